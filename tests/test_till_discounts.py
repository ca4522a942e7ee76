"""Discounts at the till through the doors a person uses: the owner's /discounts, the
cashier's /earn (and the member's message it queues), and `club discount` / `club earn`."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from handlers.notifications import render
from models import AuditEntry, Branch, DiscountRule, Member, OutboxMessage, Staff, StaffRole
from tests import cli_harness
from tests.cli_harness import Club
from tests.conftest import NOW
from tests.helpers import member as make_member
from tests.helpers import reward
from tests.staff_harness import CASHIER, OWNER, Harness, harness

club = cli_harness.club  # the fixture
PHONE = "09121111111"


@pytest.fixture
async def h(any_db: str) -> AsyncIterator[Harness]:
    await Staff.create(
        telegram_id=CASHIER,
        role=StaffRole.CASHIER,
        branch=await Branch.first(),
        name="Kaveh",
        created_at=NOW,
    )
    async with harness() as harness_:
        yield harness_
        assert harness_.api.rejected == []


async def silver_member(h: Harness) -> Member:
    """Silver (set by the owner's /tier): 5% standing discount, points × 1.25; 20 points
    for joining."""
    m = await make_member(NOW, phone=PHONE, first_name="Sara")
    assert (await h.send(OWNER, f"/tier {PHONE} silver"))[0].endswith("Tier: Silver.")
    return await Member.get(id=m.id)


async def spend_levels(h: Harness) -> None:
    assert await h.send(OWNER, "/discounts spend 1000000 5") == [
        "Discount added: #1 from 1,000,000: 5% off, all branches"
    ]
    assert await h.send(OWNER, "/discounts spend 2,000,000 8%") == [
        "Discount added: #2 from 2,000,000: 8% off, all branches"
    ]


async def member_message(member_id: int, locale: str) -> str:
    row = await OutboxMessage.get(member_id=member_id, template="points_earned")
    from zoneinfo import ZoneInfo

    return render(row.template, row.params, locale, sms=False, tz=ZoneInfo("Asia/Tehran"))


async def test_best_single_discount_and_points_on_the_paid_amount(h: Harness) -> None:
    m = await silver_member(h)
    await spend_levels(h)
    replies = await h.send(CASHIER, f"/earn {PHONE} 2500000 R1")
    # 8% of 2,500,000 beats the tier's 5%; points: 2,300,000 / 10,000 × 1.25 = 287.5 → 287.
    assert replies == [
        "Amount: 2,500,000\n"
        "Discount from 2,000,000 8%: −200,000\n"
        "To pay: 2,300,000\n"
        "Purchase recorded: 287 points earned. Balance: 307. Tier: Silver.\n"
        "Next tier: Gold, 1,713 points away."
    ]
    assert (await Member.get(id=m.id)).balance == 307
    assert await member_message(m.id, "en") == (
        "Your purchase of 2,500,000:\n"
        "Your discount for buying 2,000,000 or more, 8%: −200,000\n"
        "You paid 2,300,000 and earned 287 points. Your balance is 307.\n"
        "1,713 more points to reach the Gold tier."
    )
    assert await member_message(m.id, "fa") == (
        "خرید ۲٬۵۰۰٬۰۰۰ شما:\n"
        "تخفیف شما برای خرید ۲٬۰۰۰٬۰۰۰ یا بیشتر، ۸٪: −۲۰۰٬۰۰۰\n"
        "شما ۲٬۳۰۰٬۰۰۰ پرداختید و ۲۸۷ امتیاز گرفتید. موجودی شما ۳۰۷ است.\n"
        "۱٬۷۱۳ امتیاز دیگر تا سطح طلایی."
    )
    audit = await AuditEntry.get(action="earn")
    assert (audit.details["discount"], audit.details["paid"]) == (200_000, 2_300_000)


async def test_stacked_discounts_with_a_reward_in_reach(h: Harness) -> None:
    m = await silver_member(h)
    await reward(250, name="Coffee")
    await reward(400, name="Mug")
    await spend_levels(h)
    listing = await h.send(OWNER, "/discounts stack on")
    assert listing == [
        "#1 from 1,000,000: 5% off, all branches\n"
        "#2 from 2,000,000: 8% off, all branches\n"
        "Discounts stack, each on what the one before left.\n"
        "Points are earned on the amount paid."
    ]
    # 8% of 2,500,000 = 200,000; 5% of 2,300,000 = 115,000; 2,185,000 / 10,000 × 1.25 = 273.
    assert await h.send(CASHIER, f"/earn {PHONE} 2500000 R1") == [
        "Amount: 2,500,000\n"
        "Discount from 2,000,000 8%: −200,000\n"
        "Silver tier discount 5%: −115,000\n"
        "To pay: 2,185,000\n"
        "Purchase recorded: 273 points earned. Balance: 293. Tier: Silver.\n"
        "Within reach now: Coffee for 250 points."
    ]
    assert await member_message(m.id, "en") == (
        "Your purchase of 2,500,000:\n"
        "Your discount for buying 2,000,000 or more, 8%: −200,000\n"
        "Your Silver tier discount, 5%: −115,000\n"
        "You paid 2,185,000 and earned 273 points. Your balance is 293.\n"
        "You can now get Coffee for 250 points."
    )


async def test_points_on_the_gross_and_no_discount_below_the_levels(h: Harness) -> None:
    m = await make_member(NOW, phone=PHONE)
    await spend_levels(h)
    await h.send(OWNER, "/discounts points gross")
    assert await h.send(CASHIER, f"/earn {PHONE} 1000003 R1") == [
        "Amount: 1,000,003\n"
        "Discount from 1,000,000 5%: −50,000\n"  # 50,000.15 → 50,000
        "To pay: 950,003\n"
        "Purchase recorded: 100 points earned. Balance: 120. Tier: Bronze.\n"
        "Next tier: Silver, 400 points away."
    ]
    # Below every level: the answer is as it always was, with the offer.
    assert await h.send(CASHIER, f"/earn {PHONE} 999999 R2") == [
        "Purchase recorded: 99 points earned. Balance: 219. Tier: Bronze.\n"
        "Next tier: Silver, 301 points away."
    ]
    assert (await Member.get(id=m.id)).balance == 219


@pytest.mark.parametrize(
    ("command", "answer"),
    [
        ("/discounts spend 1000000 101", "A percentage must be above 0 and at most 100."),
        ("/discounts spend 1000000 0", "A percentage must be above 0 and at most 100."),
        ("/discounts spend -5 10", "The amount must be a positive whole number."),
        ("/discounts group 1 10 1405/01/20 1405/01/10", "The end date is before the start date."),
        ("/discounts group 99 10", "No such product group."),
        ("/discounts group 1 10 1405/13/40 1405/01/10", None),
        ("/discounts off 7", "No discount rule with that number."),
    ],
)
async def test_bad_rules_are_refused_in_one_line_and_never_stored(
    h: Harness, command: str, answer: str | None
) -> None:
    from models import ProductGroup

    await ProductGroup.create(name="Coffee")
    replies = await h.send(OWNER, command)
    assert len(replies) == 1 and "\n" not in replies[0]
    if answer is not None:
        assert replies == [answer]
    assert await DiscountRule.all().count() == 0


async def test_a_cashier_may_not_set_discounts(h: Harness) -> None:
    assert await h.send(CASHIER, "/discounts spend 1000 5") == ["Not allowed."]
    assert await DiscountRule.all().count() == 0


def _group(path: Path, name: str) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute(
            "INSERT INTO product_group (name, multiplier, active) VALUES (?, 1, 1)", (name,)
        )


def test_club_earn_applies_a_product_groups_discount_for_its_dates(
    club: Callable[[str], Club], tmp_path: Path
) -> None:
    run = club("en")
    _group(tmp_path / "club.sqlite3", "Coffee")
    assert run("member", "add", PHONE)[0] == 0
    code, out, _ = run(
        "discount", "group", "1", "12.5", "--from", "2020-01-01", "--until", "2099-12-31"
    )
    assert (code, out.strip()) == (
        0,
        "Discount added: #1 Coffee: 12.5% off, 2020-01-01 to 2099-12-31, all branches",
    )
    code, out, _ = run("earn", PHONE, "200003", "--receipt", "R1", "--group", "1")
    # 12.5% of 200,003 = 25,000.375 → 25,000; 175,003 / 10,000 = 17.5 → 17 points.
    assert (code, out.strip()) == (
        0,
        "Amount: 200,003\n"
        "Coffee discount 12.5%: −25,000\n"
        "To pay: 175,003\n"
        "17 points earned; balance 37; tier Bronze.\n"
        "Next tier: Silver, 483 points away.",
    )
    # Another group gets nothing off.
    code, out, _ = run("earn", PHONE, "200003", "--receipt", "R2")
    assert out.strip().splitlines()[0] == "20 points earned; balance 57; tier Bronze."
    assert run("discount", "group", "1", "150")[1:] == (
        "",
        "A percentage must be above 0 and at most 100.\n",
    )
    code, _, err = run(
        "discount", "group", "1", "10", "--from", "2026-05-02", "--until", "2026-05-01"
    )
    assert (code, err.strip()) == (1, "The end date is before the start date.")
