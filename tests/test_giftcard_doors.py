"""Gift cards through the doors people use: staff commands, the member menu, SMS, the CLI."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from aiogram.types import Update

from bot.sms_door import SmsDoor
from handlers.gift_texts import code_text
from handlers.notifications import render
from handlers.sms.inbound import SmsConfig
from loyalty import giftcards
from loyalty.codes import VOUCHER_ALPHABET, new_gift_card_code
from models import AuditEntry, Branch, GiftCard, GiftCardEntry, OutboxMessage, Staff, StaffRole
from tests import cli_harness
from tests.cli_harness import Club
from tests.conftest import NOW
from tests.helpers import member as make_member
from tests.helpers import set_rules
from tests.sms_harness import sms_line
from tests.staff_harness import CASHIER, MANAGER, OWNER, STRANGER, Harness, harness
from tests.test_member_dialogs import Chat_, joined, open_chat

club = cli_harness.club  # the fixture
TEHRAN = ZoneInfo("Asia/Tehran")


@pytest.fixture
async def h(db: str) -> AsyncIterator[Harness]:
    branch = await Branch.first()
    await Staff.create(
        telegram_id=CASHIER, role=StaffRole.CASHIER, branch=branch, name="Kaveh", created_at=NOW
    )
    await Staff.create(
        telegram_id=MANAGER, role=StaffRole.MANAGER, branch=branch, name="Mina", created_at=NOW
    )
    async with harness() as harness_:
        yield harness_
        assert harness_.api.rejected == []


def _typo(code: str) -> str:
    """The code with its fifth character changed: the check character refuses it."""
    other = VOUCHER_ALPHABET[(VOUCHER_ALPHABET.index(code[4]) + 1) % len(VOUCHER_ALPHABET)]
    return code[:4] + other + code[5:]


async def _sold_card() -> GiftCard:
    card = await GiftCard.all().order_by("-id").first()
    assert card is not None
    return card


async def test_a_card_sold_spent_topped_up_refunded_and_blocked_at_the_till(h: Harness) -> None:
    m = await make_member(NOW, phone="09121111111")
    replies = await h.send(CASHIER, "/giftcard sell 500000 09121111111")
    card = await _sold_card()
    code = code_text(card.code)
    assert replies == [f"Gift card sold: {code}, holding 500,000 toman."]
    photo = h.api.sent_to(CASHIER)[-1]
    assert "photo" in photo and card.member_id == m.id
    told = await OutboxMessage.get(member_id=m.id, template="gift_card_received")
    assert told.params == {"balance": 500_000, "currency": "toman"}

    assert await h.send(CASHIER, f"/giftcard spend {code} 120000 R1") == [
        f"Paid 120,000 toman by gift card {code}. Left on it: 380,000 toman."
    ]
    assert await h.send(CASHIER, f"/giftcard spend {code.lower()} 120000 R1") == [
        "Receipt R1 was already paid by this card: 120,000 toman. Left on it: 380,000 toman."
    ]
    assert await h.send(CASHIER, f"/giftcard spend {card.code} 400000 R2") == [
        "Not enough on the gift card: it holds 380,000 toman."
    ]
    assert await h.send(CASHIER, f"/giftcard topup {code} 20000") == [
        f"Gift card {code} topped up by 20,000 toman. Balance: 400,000 toman."
    ]
    assert await h.send(CASHIER, f"/giftcard refund {code} 50000 R1") == [
        f"50,000 toman put back on gift card {code}. Balance: 450,000 toman."
    ]
    assert await h.send(CASHIER, f"/giftcard refund {code} 80000 R1") == [
        "Only 70,000 toman of this receipt can go back on the card."
    ]
    assert await h.send(CASHIER, f"/giftcard block {code}") == [
        f"Gift card {code} is blocked; the 450,000 toman on it stays owed."
    ]
    assert await h.send(CASHIER, f"/giftcard spend {code} 1000 R3") == [
        "This gift card is blocked."
    ]
    fresh = await GiftCard.get(id=card.id)
    assert fresh.balance == 450_000
    assert sum(await GiftCardEntry.filter(card_id=card.id).values_list("amount", flat=True)) == (
        450_000
    )
    assert await GiftCardEntry.filter(card_id=card.id).count() == 4
    actions = await AuditEntry.filter(action__startswith="giftcard").values_list(
        "action", flat=True
    )
    assert sorted(actions) == sorted(
        ["giftcard_sell", "giftcard_spend", "giftcard_topup", "giftcard_refund", "giftcard_block"]
    )


async def test_bad_input_gets_one_line_and_changes_nothing(h: Harness) -> None:
    await h.send(CASHIER, "/giftcard sell 10000")
    card = await _sold_card()
    code = code_text(card.code)
    other = new_gift_card_code()
    refusals = {
        f"/giftcard spend {code} -5": "The amount must be a positive whole number.",
        f"/giftcard spend {code} 0": "The amount must be a positive whole number.",
        f"/giftcard topup {code} abc": "The amount must be a positive whole number.",
        "/giftcard sell 0": "The amount must be a positive whole number.",
        f"/giftcard spend {_typo(card.code)} 100": "That is not a gift card code: please check it.",
        f"/giftcard spend {card.code[:-1]} 100": "That is not a gift card code: please check it.",
        f"/giftcard spend {other} 100": "No gift card with that code.",
        "/giftcard sell 1000 09129999999": "No member with that phone or card number.",
    }
    for text, answer in refusals.items():
        assert await h.send(CASHIER, text) == [answer], text
    usage = await h.send(CASHIER, "/giftcard spend")
    assert usage[0].startswith("Usage:\n/giftcard sell <amount> [member]")
    assert await h.send(STRANGER, f"/giftcard spend {code} 100") == ["Not allowed."]
    assert await GiftCardEntry.all().count() == 1
    assert (await GiftCard.get(id=card.id)).balance == 10_000


async def test_in_persian_with_persian_digits(h: Harness) -> None:
    await h.send(CASHIER, "/giftcard sell ۲۵۰۰۰", language="fa")
    card = await _sold_card()
    code = code_text(card.code)
    assert await h.send(CASHIER, f"/giftcard spend {code} ۱۰٬۰۰۰ R1", language="fa") == [
        f"۱۰٬۰۰۰ تومان با کارت هدیه {code} پرداخت شد. مانده کارت: ۱۵٬۰۰۰ تومان."
    ]
    assert await h.send(CASHIER, f"/giftcard spend {code} 20000 R2", language="fa") == [
        "موجودی کارت هدیه کافی نیست: ۱۵٬۰۰۰ تومان دارد."
    ]


async def test_an_expired_card_is_refused_and_the_report_shows_the_liability(h: Harness) -> None:
    await set_rules(gift_card_valid_days=30, currency="rial")
    cashier = await Staff.get(telegram_id=CASHIER)
    old = await giftcards.sell(cashier, 70_000, request="old", now=NOW - timedelta(days=40))
    assert await h.send(CASHIER, f"/giftcard spend {old.card.code} 100") == [
        "This gift card has expired."
    ]
    await h.send(CASHIER, "/giftcard sell 300000")
    card = await _sold_card()
    await h.send(CASHIER, f"/giftcard spend {card.code} 100000 R1")
    assert await giftcards.expire_due(now=NOW) == 1
    report = await h.send(OWNER, "/report 7")
    assert report[0].splitlines()[-1] == (
        "Gift cards: 200,000 rial outstanding (owed to holders); in the period sold "
        "300,000 rial, spent 100,000 rial, expired 70,000 rial"
    )


# ---- the member's menu ---------------------------------------------------------------------


@pytest.fixture
async def chat(db: str) -> Chat_:
    return open_chat()


async def test_a_member_sees_a_card_and_gives_it_to_another_member(chat: Chat_) -> None:
    member = await joined()
    reza = await make_member(NOW, phone="09122222222", first_name="Reza")
    owner = Staff(name="test", role=StaffRole.OWNER, active=True, telegram_id=0)
    sold = await giftcards.sell(owner, 100_000, "09121110000", request="s", now=NOW)
    await giftcards.spend(owner, sold.card.code, 30_000, "R7", now=NOW)
    code = code_text(sold.card.code)

    await chat.send("/start")
    await chat.click("Gift cards")
    assert chat.text == "Your gift cards:"
    label = f"…{sold.card.code[-4:]}: 70,000 toman"
    assert chat.buttons() == [label, "Back"]
    await chat.click(label)
    assert chat.text == (
        f"Gift card <code>{code}</code> holds 70,000 toman.\n"
        "2026-03-01 -30,000 toman spent (R7)\n"
        "2026-03-01 +100,000 toman sold"
    )
    await chat.click("Show QR code")
    photo = chat.session.sent("SendPhoto")[-1]
    assert photo.photo.data.startswith(b"\x89PNG") and code in photo.caption

    await chat.click("Give it to a member")
    assert chat.text == "Send the phone number of the member you give this card to."
    await chat.send("12345")
    assert chat.answers()[-1] == "That is not a valid mobile number."
    await chat.send("09123333333")
    assert chat.answers()[-1] == "No member with that phone or card number."
    await chat.send("09121110000")
    assert chat.answers()[-1] == "The card is yours already: give it to someone else."
    assert (await GiftCard.get(id=sold.card.id)).member_id == member.id
    await chat.send("۰۹۱۲ ۲۲۲ ۲۲۲۲")
    assert chat.text == "The card now belongs to Reza."
    assert (await GiftCard.get(id=sold.card.id)).member_id == reza.id
    told = await OutboxMessage.get(member_id=reza.id, template="gift_card_received")
    assert render(told.template, told.params, "en", sms=False, tz=TEHRAN) == (
        "You received a gift card holding 70,000 toman. It is under Gift cards in the menu."
    )
    await chat.click("Back")
    assert "You have no gift cards." in chat.text


# ---- SMS --------------------------------------------------------------------------------------

PHONE = "09121234567"


async def test_a_balance_by_sms_and_checks_limited_per_sender(db: str) -> None:
    owner = Staff(name="test", role=StaffRole.OWNER, active=True, telegram_id=0)
    sold = await giftcards.sell(owner, 45_000, request="s", now=NOW)
    tail = sold.card.code[-4:]
    # The general flood gate (5 a minute) set aside: the gift card checks' own one is tested.
    async with sms_line(SmsDoor(SmsConfig(per_minute=100))) as line:
        assert await line.sms(PHONE, f"GIFT {code_text(sold.card.code)}", "1") == 200
        assert await line.sms(PHONE, f"کارت {sold.card.code.lower()}", "2") == 200
        assert await line.sms(PHONE, f"GIFT {_typo(sold.card.code)}", "3") == 200
        assert await line.sms(PHONE, "GIFT", "4") == 200
        assert await line.sms(PHONE, f"gift {sold.card.code}", "5") == 200
        await line.deliver()
        assert line.texts_to(PHONE) == [
            f"Gift card ..{tail}: 45,000 toman.",
            f"کارت هدیه ..{tail}: ۴۵٬۰۰۰ تومان.",
            "That is not a gift card code: please check it.",
            "Send GIFT and the code of the gift card.",
            f"Gift card ..{tail}: 45,000 toman.",
        ]
        # A sixth check within the hour is refused, however right its code.
        assert await line.sms(PHONE, f"GIFT {sold.card.code}", "6") == 200
        await line.deliver()
        assert line.texts_to(PHONE)[-1] == (
            "Too many gift card checks. Please try again in an hour."
        )
        # Another sender is not held back by the first one's checks.
        assert await line.sms("09127654321", f"GIFT {sold.card.code}", "7") == 200
        await line.deliver()
        assert line.texts_to("09127654321") == [f"Gift card ..{tail}: 45,000 toman."]


# ---- the CLI ------------------------------------------------------------------------------------


def test_the_cli_sells_spends_and_shows_a_card(club: Callable[[str], Club]) -> None:
    run = club("en")
    status, out, _ = run("giftcard", "sell", "200000")
    assert status == 0
    found = re.fullmatch(r"Gift card sold: (\S+), holding 200,000 toman\.\n", out)
    assert found is not None
    code = found.group(1)
    assert run("giftcard", "spend", code, "50000", "--receipt", "R1")[:2] == (
        0,
        f"Paid 50,000 toman by gift card {code}. Left on it: 150,000 toman.\n",
    )
    assert run("giftcard", "spend", code, "50000", "--receipt", "R1")[1] == (
        "Receipt R1 was already paid by this card: 50,000 toman. Left on it: 150,000 toman.\n"
    )
    assert run("giftcard", "spend", code, "0") == (
        1,
        "",
        "The amount must be a positive whole number.\n",
    )
    assert run("giftcard", "spend", _typo(code.replace("-", "")), "10")[2] == (
        "That is not a gift card code: please check it.\n"
    )
    assert run("giftcard", "topup", code, "10000")[0] == 0
    assert run("giftcard", "refund", code, "5000", "R1")[0] == 0
    status, out, _ = run("giftcard", "show", code)
    assert (status, out.splitlines()[0]) == (0, f"Gift card {code}: 165,000 toman.")
    assert [line.strip().split(" ", 2)[1:] for line in out.splitlines()[1:]] == [
        ["+5,000", "toman refunded onto the card (R1)"],
        ["+10,000", "toman topped up"],
        ["-50,000", "toman spent (R1)"],
        ["+200,000", "toman sold"],
    ]
    assert run("giftcard", "block", code)[1] == (
        f"Gift card {code} is blocked; the 165,000 toman on it stays owed.\n"
    )
    assert run("giftcard", "spend", code, "10")[:2] == (1, "")


async def test_the_owner_sets_the_currency_and_how_long_cards_last(h: Harness) -> None:
    shown = await h.send(OWNER, "/settings currency ریال")
    assert shown[0].splitlines()[-2:] == [
        "Currency (toman or rial): rial (/settings currency)",
        "Gift cards valid for (days, 0: always): 0 (/settings gift_card_valid_days)",
    ]
    assert await h.send(OWNER, "/settings currency dollar") == [
        "That value is not valid for currency."
    ]
    shown = await h.send(OWNER, "/settings gift_card_valid_days 365")
    assert shown[0].splitlines()[-1] == (
        "Gift cards valid for (days, 0: always): 365 (/settings gift_card_valid_days)"
    )
    await h.send(CASHIER, "/giftcard sell 1000")
    card = await _sold_card()
    assert card.expires_at == NOW + timedelta(days=365)
    assert await h.send(CASHIER, f"/giftcard spend {card.code} 5000") == [
        "Not enough on the gift card: it holds 1,000 rial."
    ]


async def test_a_spend_without_receipt_delivered_twice_pays_once(h: Harness) -> None:
    """Telegram sends an update again after a crash; the message itself keys the spend."""
    await h.send(CASHIER, "/giftcard sell 30000")
    card = await _sold_card()
    update = h.api.push_message(CASHIER, f"/giftcard spend {card.code} 10000", language_code="en")
    replies = []
    for _ in range(2):
        before = len(h.api.sent_to(CASHIER))
        await h.dp.feed_update(h.bot, Update.model_validate(update, context={"bot": h.bot}))
        replies += [message["text"] for message in h.api.sent_to(CASHIER)[before:]]
    code = code_text(card.code)
    assert replies == [f"Paid 10,000 toman by gift card {code}. Left on it: 20,000 toman."] * 2
    assert (await GiftCard.get(id=card.id)).balance == 20_000
