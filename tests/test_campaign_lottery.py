"""A lottery through /lottery: winners by name, card and masked phone, the entries published
with the seed so that anyone repeats the draw; /member finds a winner by card or number."""

from __future__ import annotations

from aiogram import Dispatcher
from aiogram.types import Update

from bot.settings import Settings
from handlers.telegram.staff.campaigns import router
from loyalty import lottery
from models import AuditEntry, Card, Lottery, Member, Staff, StaffRole
from tests.conftest import NOW
from tests.fakes.bot_api import FakeBotAPI
from tests.helpers import member
from tests.jobs_helpers import bot_on
from tests.staff_harness import CASHIER, harness

OWNER, MANAGER = 9001, 9002
PEOPLE = [
    ("09121110001", "Sara", "Karimi"),
    ("09121110002", "Reza", "Ahmadi"),
    ("09121110003", "Mina", ""),
    ("09121110004", "Ali", "Rad"),
]


async def feed(dp: Dispatcher, bot: object, update: dict) -> None:
    await dp.feed_update(bot, Update.model_validate(update, context={"bot": bot}))  # type: ignore[arg-type]


async def _dispatcher() -> Dispatcher:
    dp = Dispatcher(settings=Settings(_env_file=None, owner_ids=[OWNER]))
    dp.include_router(router())
    return dp


def _masked(phone: str) -> str:
    return f"{phone[:4]}***{phone[-4:]}"


async def test_winners_by_name_card_and_masked_phone_and_the_entries_published(db: str) -> None:
    dp = await _dispatcher()
    await Staff.create(telegram_id=MANAGER, role=StaffRole.MANAGER, created_at=NOW)
    for phone, first, last in PEOPLE:
        await member(NOW, phone=phone, first_name=first, last_name=last)
    async with FakeBotAPI() as api, bot_on(api) as bot:
        await feed(dp, bot, api.push_message(MANAGER, "/lottery 2", language_code="en"))
        await feed(dp, bot, api.push_message(MANAGER, "/lottery draw 1", language_code="en"))
        text, document = api.sent_to(MANAGER)[-2:]
        await feed(dp, bot, api.push_message(OWNER, "/lottery draw ۱", language_code="fa"))
        text_fa = api.sent_to(OWNER)[-2]["text"]
    drawn = await Lottery.get(id=1)
    winners = [await Member.get(id=i) for i in drawn.winners]
    cards = {c.member_id: c.number for c in await Card.filter(active=True)}
    lines = [
        f"{n}. {f'{w.first_name} {w.last_name}'.strip()}, card {cards[w.id]}, "
        f"{_masked('0' + w.phone[3:])}"
        for n, w in enumerate(winners, start=1)
    ]
    assert text["text"] == (
        "Lottery #1 drawn. Winners:\n" + "\n".join(lines) + f"\nSeed: {drawn.seed}\n"
        "The entries are in the file: anyone can repeat the draw from the seed and the entries."
    )
    first = winners[0]
    assert text_fa.startswith(
        "قرعه‌کشی شماره ۱ انجام شد. برندگان:\n"
        f"۱. {f'{first.first_name} {first.last_name}'.strip()}، کارت "
        f"{cards[first.id].translate(str.maketrans('0123456789', '۰۱۲۳۴۵۶۷۸۹'))}، ۰۹۱۲***"
    )

    # The published file: the rule, then member number, card and tickets in the draw's order;
    # anyone repeats the draw from it and the seed.
    published = api.file_bytes(document["document"]["file_id"]).decode().splitlines()
    assert document["document"]["file_name"] == "lottery-1-entries.txt"
    assert published[0].startswith(f"Lottery #1. Seed: {drawn.seed} (its SHA-256 was published")
    rows = [line.split() for line in published[1:]]
    assert [row[1] for row in rows] == [cards[m.id] for m in await Member.all().order_by("id")]
    entries = [[int(number), int(tickets)] for number, _card, tickets in rows]
    assert lottery.pick_winners(drawn.seed, entries, 2) == drawn.winners
    assert lottery.seed_hash(drawn.seed) == drawn.seed_hash

    manager = await Staff.get(telegram_id=MANAGER)
    audit = await AuditEntry.filter(action__startswith="lottery_").order_by("id")
    assert [(a.action, a.staff_id, a.actor) for a in audit] == [
        ("lottery_created", manager.id, ""),
        ("lottery_drawn", manager.id, ""),
    ]


async def test_member_found_by_card_or_member_number(db: str) -> None:
    await Staff.create(telegram_id=CASHIER, role=StaffRole.CASHIER, created_at=NOW)
    sara = await member(NOW, phone="09121110001", first_name="Sara", last_name="Karimi")
    card = (await Card.get(member_id=sara.id)).number
    async with harness() as h:
        by_card = await h.send(CASHIER, f"/member {card}")
        by_number = await h.send(CASHIER, f"/member #{sara.id}")
        by_bare_number = await h.send(
            CASHIER,
            f"/member #{sara.id}".translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")),
            language="fa",
        )
        nobody = await h.send(CASHIER, "/member #999")
        usage = await h.send(CASHIER, "/member", language="fa")
    assert by_card == by_number
    assert by_card[0].startswith(f"Sara Karimi\nCard: {card}\n")
    assert by_bare_number[0].startswith("Sara Karimi\n")
    assert nobody == ["No member with that phone or card number."]
    assert usage == ["روش استفاده: /member <تلفن، شماره کارت یا #شماره عضویت>"]
