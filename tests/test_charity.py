"""Charity through the doors: the owner's /causes and CLI, the member's dialog and SMS, /report,
and gifts sent at once (SQLite and PostgreSQL). Totals are checked against the ledger."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest
from tortoise.functions import Sum

from bot.sms_door import SmsDoor
from handlers.sms.inbound import SmsConfig
from loyalty import charity, ledger
from loyalty.errors import ErrorCode, LoyaltyError
from models import AuditEntry, Cause, CharityGift, EntryKind, LedgerEntry, Member
from tests import cli_harness
from tests.cli_harness import Club
from tests.conftest import NOW
from tests.helpers import member as make_member
from tests.helpers import set_rules
from tests.sms_harness import sms_line
from tests.staff_harness import MANAGER, OWNER, Harness, harness
from tests.test_member_dialogs import Chat_, joined, open_chat

club = cli_harness.club  # the fixture
PHONE = "09121234567"


async def ledger_given(cause_id: int | None = None) -> int:
    """Points given, as the ledger's GIVE rows record them (debits, so negated)."""
    entries = LedgerEntry.filter(kind=EntryKind.GIVE)
    if cause_id is not None:
        ids = await CharityGift.filter(cause_id=cause_id).values_list("entry_id", flat=True)
        entries = entries.filter(id__in=list(ids))
    rows = await entries.annotate(total=Sum("amount")).values_list("total", flat=True)
    return -int(rows[0] or 0) if rows else 0


async def giver(points: int, **kwargs: object) -> Member:
    """A member holding exactly `points`."""
    await set_rules(signup_bonus=0)
    m = await make_member(NOW, **kwargs)
    await _fund(m, points)
    return m


async def hospital(**kwargs: object) -> Cause:
    return await charity.add_cause("Hospital", 1_000, description="Medicines", now=NOW, **kwargs)


# ---- the owner --------------------------------------------------------------------------------


@pytest.fixture
async def h(db: str) -> AsyncIterator[Harness]:
    async with harness() as harness_:
        yield harness_


async def test_the_owner_adds_lists_and_takes_off_causes(h: Harness) -> None:
    assert await h.send(OWNER, "/causes") == [
        "No charity causes yet. Add one: /causes add 1000 Children's hospital | Medicines"
    ]
    assert await h.send(OWNER, "/causes add 1000 Children's hospital | Medicines | 5000") == [
        "Cause added:\n#1 Children's hospital: 1,000 toman a point; given 0 points (0 toman), "
        "target 5,000 points\nMedicines"
    ]
    assert await h.send(OWNER, "/causes add 0 Nothing") == [
        "The amount must be a positive whole number."
    ]
    assert await h.send(OWNER, "/causes add 500 Trees | | -3") == [
        "The amount must be a positive whole number."
    ]
    assert await h.send(OWNER, "/causes add 500") == [
        "Usage:\n/causes — the charity causes and what members gave them\n"
        "/causes add <toman a point is worth> <name> | <description> [| <target points>]\n"
        "/causes off <number>"
    ]
    assert await Cause.all().count() == 1
    assert await h.send(OWNER, "/causes add ۵۰۰ Trees") == [
        "Cause added:\n#2 Trees: 500 toman a point; given 0 points (0 toman)"
    ]
    m = await giver(100, phone=PHONE)
    await charity.give(m.id, 1, 30, key="k1", now=NOW)
    assert await h.send(OWNER, "/causes off 2") == ["Cause off: it takes no more gifts."]
    assert await h.send(OWNER, "/causes off 9") == ["No charity cause number 9 takes gifts."]
    assert await h.send(OWNER, "/causes") == [
        "#1 Children's hospital: 1,000 toman a point; given 30 points (30,000 toman), "
        "target 5,000 points\nMedicines\n\n"
        "#2 Trees: 500 toman a point; given 0 points (0 toman) (off)"
    ]
    assert [
        a.action for a in await AuditEntry.filter(action__startswith="cause").order_by("id")
    ] == [
        "cause_added",
        "cause_added",
        "cause_ended",
    ]
    audit = await h.send(OWNER, "/audit")
    assert "charity cause taken off (cause: #2)" in audit[0]
    refused = await h.send(MANAGER, "/causes add 100 Mine")
    assert len(refused) == 1 and await Cause.all().count() == 2


async def test_the_report_shows_each_cause_given_in_the_period(h: Harness) -> None:
    m = await giver(200, phone=PHONE)
    first = await hospital()
    second = await charity.add_cause("Trees", 250, now=NOW)
    await charity.give(m.id, first.id, 40, key="a", now=NOW)
    await charity.give(m.id, first.id, 15, key="b", now=NOW)
    await charity.give(m.id, second.id, 12, key="c", now=NOW)
    replies = await h.send(OWNER, "/report 7")
    assert replies[0].splitlines()[-3:] == [
        "Charity in the period:",
        "Hospital: 55 points given, worth 55,000 toman",
        "Trees: 12 points given, worth 3,000 toman",
    ]
    assert await ledger_given(first.id) == 55 and await ledger_given(second.id) == 12


async def test_a_gift_is_not_undone_by_a_correction(h: Harness) -> None:
    m = await giver(50, phone=PHONE)
    cause = await hospital()
    given = await charity.give(m.id, cause.id, 20, key="a", now=NOW)
    entry = await LedgerEntry.get(idempotency_key="give:a")
    assert await h.send(OWNER, f"/undo {entry.id}") == [
        "That transaction cannot be undone this way: refund the purchase or cancel the voucher."
    ]
    assert given.balance == 30 == (await Member.get(id=m.id)).balance
    assert await charity.total_of(cause.id) == 20 == await ledger_given(cause.id)


async def _fund(m: Member, points: int) -> None:
    """Give `m` exactly `points` (no sign-up bonus: `giver` sets it to none) by a ledger row."""
    from tortoise.transactions import in_transaction

    async with in_transaction():
        await ledger.post(m.id, EntryKind.ADJUST, points, "adjust", f"fund-{m.id}", now=NOW)


# ---- the member's menu ------------------------------------------------------------------------


@pytest.fixture
async def chat(db: str) -> Chat_:
    return open_chat()


async def test_a_member_gives_points_in_the_menu(chat: Chat_) -> None:
    await set_rules(signup_bonus=0)
    member = await joined()
    await _fund(member, 120)
    cause = await hospital(target=10_000)
    await chat.send("/start")
    await chat.click("Charity")
    assert chat.text == (
        "Give points to a good cause: choose one.\nHospital: members have given 0 points of 10,000"
    )
    await chat.click("Hospital")
    assert chat.text.startswith("How many points do you give to Hospital? You have 120 points;")
    assert chat.buttons() == ["10", "50", "100", "Back"]
    for typed, answer in (
        ("abc", "The amount must be a positive whole number."),
        ("0", "The amount must be a positive whole number."),
        ("-5", "The amount must be a positive whole number."),
        ("9", "The smallest gift to a cause is 10 points."),
        ("121", "Not enough points: you have 120, this needs 121."),
    ):
        await chat.send(typed)
        assert chat.answers()[-1] == answer, typed
    assert await CharityGift.all().count() == 0
    await chat.send("۲۵")
    assert chat.text == "Give 25 points to Hospital?"
    await chat.click("Yes, give")
    assert chat.text == (
        "Thank you! You gave 25 points to Hospital. Members have given it 25 points so far. "
        "Your balance: 95 points."
    )
    await chat.click("Back")
    await chat.click("Charity")
    await chat.click("Hospital")
    await chat.click("50")
    await chat.click("Yes, give")
    assert "Members have given it 75 points so far. Your balance: 45 points." in chat.text
    assert (await Member.get(id=member.id)).balance == 45 == await ledger.ledger_sum(member.id)
    assert await charity.total_of(cause.id) == 75 == await ledger_given(cause.id)


# ---- SMS ------------------------------------------------------------------------------------


async def test_gifts_by_sms_in_english_and_persian(db: str) -> None:
    await set_rules(charity_min=10)
    english = await giver(100, phone=PHONE, locale="en")
    persian = await giver(100, phone="09127654321", locale="fa")
    async with sms_line(SmsDoor(SmsConfig(per_minute=100))) as line:
        assert await line.sms(PHONE, "GIVE 20", "1") == 200
        await line.deliver()
        assert line.texts_to(PHONE) == ["No charity cause takes gifts right now."]
        first = await hospital()
        for n, text in enumerate(("GIVE 20", "GIVE 20", "give 5", "GIVE 0", "GIVE -3", "GIVE 500")):
            assert await line.sms(PHONE, text, f"e{n}") == 200
        assert await line.sms(PHONE, "GIVE 20", "e0") == 200  # the same message again
        await line.deliver()
        assert line.texts_to(PHONE)[1:] == [
            "Thank you! 20 points to Hospital, total 20. Balance 80.",
            "Thank you! 20 points to Hospital, total 40. Balance 60.",
            "The smallest gift to a cause is 10 points.",
            "The amount must be a positive whole number.",
            "The amount must be a positive whole number.",
            "Not enough points: you have 60, this needs 500.",
        ]
        second = await charity.add_cause("Trees", 500, now=NOW)
        for n, text in enumerate(("GIVE 10", "GIVE 10 7", "GIVE 10 2")):
            assert await line.sms(PHONE, text, f"s{n}") == 200
        assert await line.sms("09127654321", "اهدا ۳۰ ۱", "p1") == 200
        await line.deliver()
        assert line.texts_to(PHONE)[7:] == [
            "Send GIVE, the points and the cause number, like GIVE 20 1:\n1. Hospital\n2. Trees",
            "No charity cause number 7 takes gifts.",
            "Thank you! 10 points to Trees, total 10. Balance 50.",
        ]
        assert line.texts_to("09127654321") == ["سپاس! ۳۰ امتیاز به Hospital. جمع ۷۰، موجودی ۷۰"]
    assert await charity.total_of(first.id) == 70 == await ledger_given(first.id)
    assert await charity.total_of(second.id) == 10 == await ledger_given(second.id)
    for m in (english, persian):
        fresh = await Member.get(id=m.id)
        assert fresh.balance == await ledger.ledger_sum(m.id)


# ---- many at once ---------------------------------------------------------------------------


async def test_gifts_sent_at_once_never_overdraw(any_db: str) -> None:
    m = await giver(100)
    cause = await hospital()
    results = await asyncio.gather(
        *(charity.give(m.id, cause.id, 30, key=f"k{n}", now=NOW) for n in range(10)),
        return_exceptions=True,
    )
    given = [r for r in results if isinstance(r, charity.Given)]
    refused = [r for r in results if isinstance(r, LoyaltyError)]
    assert len(given) == 3 and len(refused) == 7
    assert {e.code for e in refused} == {ErrorCode.NOT_ENOUGH_POINTS}
    assert (await Member.get(id=m.id)).balance == 10 == await ledger.ledger_sum(m.id)
    assert await charity.total_of(cause.id) == 90 == await ledger_given(cause.id)
    again = await asyncio.gather(
        *(charity.give(m.id, cause.id, 10, key="same", now=NOW) for _ in range(5))
    )
    assert sum(not g.replayed for g in again) == 1
    assert (await Member.get(id=m.id)).balance == 0 == await ledger.ledger_sum(m.id)
    assert await charity.total_of(cause.id) == 100 == await ledger_given(cause.id)


# ---- the CLI ------------------------------------------------------------------------------------


def test_the_cli_adds_lists_and_takes_off_causes(club: Callable[[str], Club]) -> None:
    run = club("en")
    assert run("cause", "list")[:2] == (
        0,
        "No charity causes yet. Add one: /causes add 1000 Children's hospital | Medicines\n",
    )
    assert run("cause", "add", "1000", "Hospital", "--description", "Medicines")[:2] == (
        0,
        "#1 Hospital: 1,000 toman a point; given 0 points (0 toman)\nMedicines\n",
    )
    assert run("cause", "add", "0", "Nothing")[0] != 0
    assert run("cause", "off", "1")[:2] == (
        0,
        "#1 Hospital: 1,000 toman a point; given 0 points (0 toman) (off)\nMedicines\n",
    )
    assert run("cause", "list")[1].endswith("(off)\nMedicines\n")
