"""Rewards priced in money: value per point in the catalogue, warnings for a dearer reward
that gives less per point, and the points outstanding priced in /report."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from decimal import Decimal

import pytest

from loyalty import reward_values
from models import AuditEntry, Branch, Member, Reward, Staff, StaffRole
from tests import cli_harness
from tests.cli_harness import Club
from tests.conftest import NOW
from tests.helpers import member as make_member
from tests.staff_harness import CASHIER, OWNER, Harness, harness

club = cli_harness.club  # the fixture


@pytest.fixture
async def h(db: str) -> AsyncIterator[Harness]:
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


async def priced_catalogue(h: Harness) -> None:
    for command in (
        "/rewards add 90 Tea",  # #1
        "/rewards add 200 Cake",  # #2
        "/rewards add 50 Cookie",  # #3
        "/rewards add 120 Mug",  # #4, no money value
        "/rewards value 1 45000",  # 500 per point
        "/rewards value 2 50,000",  # 250 per point: less than Tea's
        "/rewards value ۳ ۱۰۰۰۰",  # 200 per point
    ):
        await h.send(OWNER, command)


async def test_the_catalogue_shows_value_per_point_and_warns(h: Harness) -> None:
    await priced_catalogue(h)
    assert await h.send(OWNER, "/rewards") == [
        "#3 Cookie: 50 points (worth 10,000, 200 per point)\n"
        "#1 Tea: 90 points (worth 45,000, 500 per point)\n"
        "#4 Mug: 120 points\n"
        "#2 Cake: 200 points (worth 50,000, 250 per point)\n"
        "⚠ #2 Cake costs more points than #1 Tea but gives less per point: 250 against 500."
    ]
    assert await h.send(OWNER, "/rewards", language="fa") == [
        "#۳ Cookie: ۵۰ امتیاز (ارزش ۱۰٬۰۰۰، ۲۰۰ برای هر امتیاز)\n"
        "#۱ Tea: ۹۰ امتیاز (ارزش ۴۵٬۰۰۰، ۵۰۰ برای هر امتیاز)\n"
        "#۴ Mug: ۱۲۰ امتیاز\n"
        "#۲ Cake: ۲۰۰ امتیاز (ارزش ۵۰٬۰۰۰، ۲۵۰ برای هر امتیاز)\n"
        "⚠ #۲ Cake امتیاز بیشتری از #۱ Tea می‌خواهد اما برای هر امتیاز کمتر می‌دهد: "
        "۲۵۰ در برابر ۵۰۰."
    ]
    assert await h.send(OWNER, "/rewards value 2 none") == ["#2 Cake: 200 points"]
    assert (await Reward.get(id=2)).value_money is None
    assert await AuditEntry.filter(action="reward_edit").count() == 4


@pytest.mark.parametrize(
    ("command", "answer"),
    [
        (
            "/rewards value 1 0",
            "That value is not valid for value_money: send a number from 1 to 1,000,000,000,000.",
        ),
        ("/rewards value 1 -5", "The amount must be a positive whole number."),
        ("/rewards value 1 ten", "The amount must be a positive whole number."),
        (
            "/rewards value 1 99999999999999999999",
            "That value is not valid for value_money: send a number from 1 to 1,000,000,000,000.",
        ),
        ("/rewards value 9 1000", "No such reward."),
    ],
)
async def test_a_bad_money_value_is_refused(h: Harness, command: str, answer: str) -> None:
    await h.send(OWNER, "/rewards add 90 Tea")
    assert await h.send(OWNER, command) == [answer]
    assert (await Reward.get(id=1)).value_money is None
    assert await AuditEntry.filter(action="reward_edit").count() == 0


async def test_only_managers_price_rewards(h: Harness) -> None:
    await h.send(OWNER, "/rewards add 90 Tea")
    assert await h.send(CASHIER, "/rewards value 1 45000") == ["Not allowed."]


async def test_the_report_prices_the_points_outstanding(h: Harness) -> None:
    for _ in range(2):
        await make_member(NOW)  # 20 points each for joining
    owing = await make_member(NOW)
    await Member.filter(id=owing.id).update(balance=-5)  # owes the club: not outstanding
    gone = await make_member(NOW)
    await Member.filter(id=gone.id).update(deleted_at=NOW)
    replies = await h.send(OWNER, "/report 7")
    assert "Points outstanding: 40 (no reward has a money value to price them)" in replies[0]
    await priced_catalogue(h)
    # (10,000 + 45,000 + 50,000) / (50 + 90 + 200) = 308.8235… per point; 40 × that = 12,352.9
    replies = await h.send(OWNER, "/report 7")
    lines = replies[0].split("\n")
    assert (
        "Points outstanding: 40, worth 12,352 at the catalogue's average of 308.82 per point"
        in lines
    )
    replies = await h.send(OWNER, "/report 7", language="fa")
    assert (
        "امتیازهای نزد اعضا: ۴۰، به ارزش ۱۲٬۳۵۲ با میانگین فهرست جوایز، ۳۰۸٫۸۲ برای هر امتیاز"
        in replies[0].split("\n")
    )


def test_rates_and_warnings_exactly() -> None:
    def reward(id_: int, cost: int, value: int | None) -> Reward:
        return Reward(id=id_, name=f"R{id_}", cost=cost, value_money=value)

    a, b, c, d = (
        reward(1, 100, 30_000),
        reward(2, 300, 60_000),
        reward(3, 300, 90_000),
        reward(4, 1000, None),
    )
    assert reward_values.per_point(b) == Decimal(200)
    assert reward_values.per_point(d) is None
    assert reward_values.average_rate([a, b, c, d]) == Decimal(180_000) / Decimal(700)
    assert reward_values.average_rate([d]) is None
    # b gives 200 per point against a's 300; c as much as a: no warning; equal costs never warn
    assert [(m.dearer.id, m.cheaper.id) for m in reward_values.mispriced([c, b, a, d])] == [(2, 1)]
    assert reward_values.money(40, Decimal(180_000) / Decimal(700)) == 10_285


def test_priced_rewards_from_the_terminal(club: Callable[[str], Club]) -> None:
    en = club("en")
    assert en("reward", "add", "Tea", "90", "--value-money", "45000")[1] == (
        "Reward 1 added: Tea for 90 points.\n"
    )
    assert en("reward", "add", "Cake", "200", "--value-money", "۵۰۰۰۰", "--stock", "3")[0] == 0
    assert en("reward", "add", "Mug", "120")[0] == 0
    assert en("reward", "list")[1] == (
        "Reward 1: Tea (worth 45,000, 500 per point), 90 points, no stock limit\n"
        "Reward 3: Mug, 120 points, no stock limit\n"
        "Reward 2: Cake (worth 50,000, 250 per point), 200 points, 3 left\n"
        "⚠ #2 Cake costs more points than #1 Tea but gives less per point: 250 against 500.\n"
    )
    code, out, err = en("reward", "add", "Pen", "10", "--value-money", "0")
    assert (code, out) == (1, "")
    assert err.strip() == (
        "That value is not valid for value_money: send a number from 1 to 1,000,000,000,000."
    )


async def test_the_rewards_dialog_shows_value_per_point_and_warns(db: str) -> None:
    from tests.test_staff_dialogs import OWNER as DIALOG_OWNER
    from tests.test_staff_dialogs import open_chat

    await Reward.create(name="Tea", cost=90, value_money=45_000)
    await Reward.create(name="Cake", cost=200, value_money=50_000)
    await Reward.create(name="Mug", cost=120)
    chat = open_chat(DIALOG_OWNER)
    await chat.send("/rewards")
    assert chat.text == (
        "Rewards (page 1 of 1). Choose one to see it in full or withdraw it.\n"
        "#1 Tea: worth 45,000, 500 per point\n"
        "#2 Cake: worth 50,000, 250 per point\n"
        "⚠ #2 Cake costs more points than #1 Tea but gives less per point: 250 against 500."
    )
