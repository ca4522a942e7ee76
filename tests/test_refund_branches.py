"""The owner refunds a purchase of any branch; managers and cashiers their own branch's only.
Through /refund in Telegram and `club refund`, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiogram.types import Update

from models import AuditEntry, Branch, LedgerEntry, Member, Purchase, Staff, StaffRole
from tests import cli_harness
from tests.cli_harness import Club
from tests.conftest import NOW
from tests.helpers import member
from tests.staff_harness import CASHIER, MANAGER, OWNER, Harness, harness

club = cli_harness.club  # the fixture
MAIN_CASHIER = CASHIER + 1
PHONE = "09121110001"


@pytest.fixture
async def h(any_db: str) -> AsyncIterator[Harness]:
    """Main (#1) with a cashier; North (#2) with its manager and cashier; one member who
    bought R7 at North (100 points), R1 at Main (50) and R1 at North (30): balance 200."""
    main = await Branch.get(id=1)
    north = await Branch.create(name="North", created_at=NOW)
    await Staff.create(telegram_id=MANAGER, role=StaffRole.MANAGER, branch=north, created_at=NOW)
    await Staff.create(telegram_id=CASHIER, role=StaffRole.CASHIER, branch=north, created_at=NOW)
    await Staff.create(
        telegram_id=MAIN_CASHIER, role=StaffRole.CASHIER, branch=main, created_at=NOW
    )
    await member(NOW, phone=PHONE)
    async with harness() as harness_:
        await harness_.send(CASHIER, f"/earn {PHONE} 1000000 R7")
        await harness_.send(MAIN_CASHIER, f"/earn {PHONE} 500000 R1")
        assert await harness_.send(CASHIER, f"/earn {PHONE} 300000 R1") == [
            "Purchase recorded: 30 points earned. Balance: 200. Tier: Bronze.\n"
            "Next tier: Silver, 320 points away."
        ]
        yield harness_
        assert harness_.api.rejected == []


async def _balance() -> int:
    sara = await Member.get(phone__endswith=PHONE[1:])
    rows = await LedgerEntry.filter(member_id=sara.id).values_list("amount", flat=True)
    assert sum(rows) == sara.balance  # the ledger and the cached balance agree
    return sara.balance


async def test_the_owner_refunds_another_branch_in_part_and_in_full(h: Harness) -> None:
    assert await h.send(OWNER, "/refund R7 400000") == [
        "Refund recorded: 40 points taken back. Balance: 160."
    ]
    assert await h.send(OWNER, "/refund R7 all") == [
        "Refund recorded: 60 points taken back. Balance: 100."
    ]
    assert await h.send(OWNER, "/refund R7") == ["This purchase has already been refunded in full."]
    assert (await Purchase.get(receipt="R7")).refunded_amount == 1_000_000
    refunds = await AuditEntry.filter(action="refund").order_by("id")
    assert [(a.details["branch"], a.details["points"]) for a in refunds] == [(2, 40), (2, 60)]
    assert await _balance() == 100


async def test_a_receipt_in_two_branches_needs_the_branch(h: Harness) -> None:
    assert await h.send(OWNER, "/refund R1") == [
        "Receipt R1 is in branches 1, 2: name the branch, as in /refund R1 all <branch>."
    ]
    assert await h.send(OWNER, "/refund R1", language="fa") == [
        "فاکتور R1 در شعبه‌های ۱، ۲ هست: شعبه را هم بنویسید، مانند /refund R1 همه <شماره شعبه>."
    ]
    assert await h.send(OWNER, "/refund R1 همه ۲", language="fa") == [
        "مرجوعی ثبت شد: ۳۰ امتیاز پس گرفته شد. موجودی: ۱۷۰."
    ]
    assert await h.send(OWNER, "/refund R1 100000 1") == [
        "Refund recorded: 10 points taken back. Balance: 160."
    ]
    assert await h.send(OWNER, "/refund R1 100000 9") == [
        "No purchase with receipt R1 at this branch."
    ]
    assert await h.send(OWNER, "/refund R1 x 1") == ["The amount must be a positive whole number."]
    assert await h.send(OWNER, "/refund R1 1 2 3") == [
        "Usage: /refund <receipt> [amount|all] [branch]"
    ]
    north, main = (
        await Purchase.get(receipt="R1", branch_id=2),
        await Purchase.get(receipt="R1", branch_id=1),
    )
    assert (north.refunded_amount, main.refunded_amount) == (300_000, 100_000)
    assert await _balance() == 160


async def test_managers_and_cashiers_keep_their_branch(h: Harness) -> None:
    own = "Only purchases of your own branch (#2) can be refunded."
    assert await h.send(MANAGER, "/refund R1 all 1") == [own]
    assert await h.send(CASHIER, "/refund R1 100000 1") == [own]
    assert await h.send(MAIN_CASHIER, "/refund R7") == [
        "No purchase with receipt R7 at this branch."
    ]
    # Their own branch's R1, named or not.
    assert await h.send(MANAGER, "/refund R1 100000 2") == [
        "Refund recorded: 10 points taken back. Balance: 190."
    ]
    assert await h.send(CASHIER, "/refund R1") == [
        "Refund recorded: 20 points taken back. Balance: 170."
    ]
    assert (await Purchase.get(receipt="R1", branch_id=1)).refunded_amount == 0
    assert (await Purchase.get(receipt="R7")).refunded_amount == 0
    assert await _balance() == 170


async def test_a_refund_delivered_twice_takes_back_once(h: Harness) -> None:
    update = h.api.push_message(OWNER, "/refund R1 200000 1", language_code="en")
    replies = []
    for _ in range(2):
        before = len(h.api.sent_to(OWNER))
        await h.dp.feed_update(h.bot, Update.model_validate(update, context={"bot": h.bot}))
        replies += [m["text"] for m in h.api.sent_to(OWNER)[before:]]
    assert replies == ["Refund recorded: 20 points taken back. Balance: 180."] * 2
    assert await LedgerEntry.filter(kind="refund").count() == 1
    assert await AuditEntry.filter(action="refund").count() == 1
    assert (await Purchase.get(receipt="R1", branch_id=1)).refunded_amount == 200_000
    # Another message with the same words is another refund of the rest.
    assert await h.send(OWNER, "/refund R1 300000 1") == [
        "Refund recorded: 30 points taken back. Balance: 150."
    ]
    assert await h.send(OWNER, "/refund R1 1 1") == [
        "This purchase has already been refunded in full."
    ]
    assert await _balance() == 150


def test_the_terminal_refunds_as_the_owner(club) -> None:  # type: ignore[no-untyped-def]
    en: Club = club("en")
    assert en("member", "add", PHONE)[0] == 0
    assert en("earn", PHONE, "1000000", "--receipt", "R7")[0] == 0  # at Main: 100 points
    assert en("refund", "R7", "400000")[1] == "40 points taken back; balance 80.\n"
    assert en("refund", "R7", "--branch", "1")[1] == "60 points taken back; balance 20.\n"
    assert en("refund", "R8") == (1, "", "No purchase with receipt R8 at this branch.\n")
