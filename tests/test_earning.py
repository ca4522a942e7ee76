"""Earning rules as numbers: rate, unit, multipliers, minimum spend, overrides, refunds."""

from decimal import Decimal

import pytest

from loyalty import earning, ledger, rewards
from loyalty.earning import EarningRule, points_for
from loyalty.errors import ErrorCode, LoyaltyError
from models import Branch, EntryKind, LedgerEntry, Member, ProductGroup, Purchase, Tier
from tests.conftest import NOW
from tests.helpers import member, reward, set_rules

RULE = EarningRule(currency_unit=10_000, rate=Decimal("1"), min_purchase=50_000)


@pytest.mark.parametrize(
    ("amount", "group", "tier", "expected"),
    [
        (250_000, "1", "1", 25),
        (259_999, "1", "1", 25),  # rounded down, never up
        (250_000, "2", "1", 50),  # product group doubles
        (250_000, "1", "1.25", 31),  # 31.25 → 31
        (250_000, "1.5", "1.5", 56),  # 56.25 → 56
        (49_999, "2", "2", 0),  # below the minimum purchase
        (50_000, "1", "1", 5),
    ],
)
def test_points_for(amount: int, group: str, tier: str, expected: int) -> None:
    assert points_for(amount, RULE, Decimal(group), Decimal(tier)) == expected


async def test_purchase_with_group_and_tier_multipliers(any_db: str) -> None:
    m = await member(NOW)
    silver = await Tier.get(code="silver")
    await Member.filter(id=m.id).update(tier_id=silver.id)
    coffee = await ProductGroup.create(name="Coffee", multiplier=Decimal("2"))
    result = await earning.award_purchase(
        m.id, 1_000_000, receipt="A1", group_id=coffee.id, now=NOW
    )
    assert result.points == 250  # 100 × 2 (group) × 1.25 (silver)
    assert result.balance == 20 + 250
    assert await ledger.ledger_sum(m.id) == result.balance


async def test_minimum_purchase_is_refused(any_db: str) -> None:
    await set_rules(min_purchase=100_000)
    m = await member(NOW)
    with pytest.raises(LoyaltyError) as caught:
        await earning.award_purchase(m.id, 99_000, receipt="A1", now=NOW)
    assert caught.value.code is ErrorCode.BELOW_MINIMUM
    assert await Purchase.all().count() == 0
    assert (await Member.get(id=m.id)).balance == 20


async def test_branch_overrides_and_company_rate(any_db: str) -> None:
    await set_rules(earn_rate=Decimal("1"))
    north = await Branch.create(name="North", earn_rate=Decimal("3"))
    person = await member(NOW)
    company = await member(NOW)
    await Member.filter(id=company.id).update(company_earn_rate=Decimal("0.5"))
    assert (
        await earning.award_purchase(person.id, 100_000, receipt="P", branch_id=north.id, now=NOW)
    ).points == 30
    assert (
        await earning.award_purchase(company.id, 100_000, receipt="C", branch_id=north.id, now=NOW)
    ).points == 5


async def test_same_receipt_twice_awards_once(any_db: str) -> None:
    m = await member(NOW)
    first = await earning.award_purchase(m.id, 300_000, receipt="R-7", now=NOW)
    again = await earning.award_purchase(m.id, 300_000, receipt="R-7", now=NOW)
    assert (first.points, first.balance, first.replayed) == (30, 50, False)
    assert (again.points, again.balance, again.replayed) == (30, 50, True)
    assert again.purchase.id == first.purchase.id
    assert await LedgerEntry.filter(member_id=m.id, kind=EntryKind.EARN).count() == 1


async def test_same_receipt_at_another_branch_is_another_purchase(any_db: str) -> None:
    m = await member(NOW)
    south = await Branch.create(name="South")
    await earning.award_purchase(m.id, 100_000, receipt="R1", now=NOW)
    await earning.award_purchase(m.id, 100_000, receipt="R1", branch_id=south.id, now=NOW)
    assert (await Member.get(id=m.id)).balance == 40


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        (0, ErrorCode.INVALID_AMOUNT),
        (-5, ErrorCode.INVALID_AMOUNT),
        (1_000_000_001, ErrorCode.AMOUNT_TOO_LARGE),
        (10**30, ErrorCode.AMOUNT_TOO_LARGE),
    ],
)
async def test_bad_amounts_change_nothing(any_db: str, amount: int, code: ErrorCode) -> None:
    m = await member(NOW)
    with pytest.raises(LoyaltyError) as caught:
        await earning.award_purchase(m.id, amount, receipt="X", now=NOW)
    assert caught.value.code is code
    assert await Purchase.all().count() == 0
    assert (await Member.get(id=m.id)).balance == 20


async def test_the_maximum_purchase_is_the_clubs_rule(any_db: str) -> None:
    m = await member(NOW)
    await set_rules(max_purchase=500_000)
    with pytest.raises(LoyaltyError) as caught:
        await earning.award_purchase(m.id, 500_001, receipt="X", now=NOW)
    assert caught.value.values == {"amount": 500_001, "max": 500_000}
    assert (await earning.award_purchase(m.id, 500_000, receipt="Y", now=NOW)).points == 50


async def test_partial_then_full_refund(any_db: str) -> None:
    m = await member(NOW)
    await earning.award_purchase(m.id, 330_000, receipt="R1", now=NOW)  # 33 points
    part = await earning.refund_purchase("R1", 100_000, now=NOW)
    assert part.points_reversed == 10  # floor(33 × 100/330)
    assert part.balance == 20 + 33 - 10
    rest = await earning.refund_purchase("R1", now=NOW)
    assert rest.points_reversed == 23  # the rest, so the total is exactly 33
    assert rest.balance == 20
    with pytest.raises(LoyaltyError) as caught:
        await earning.refund_purchase("R1", 1, now=NOW)
    assert caught.value.code is ErrorCode.ALREADY_REFUNDED
    assert await ledger.ledger_sum(m.id) == 20


async def test_refund_larger_than_left_is_refused(any_db: str) -> None:
    m = await member(NOW)
    await earning.award_purchase(m.id, 100_000, receipt="R1", now=NOW)
    with pytest.raises(LoyaltyError) as caught:
        await earning.refund_purchase("R1", 100_001, now=NOW)
    assert caught.value.code is ErrorCode.REFUND_TOO_LARGE
    assert caught.value.values["left"] == 100_000


async def test_refund_can_leave_a_negative_balance_that_blocks_redeeming(any_db: str) -> None:
    m = await member(NOW)
    prize = await reward(10)
    await earning.award_purchase(m.id, 500_000, receipt="R1", now=NOW)  # 50 points, balance 70
    await rewards.redeem_reward(m.id, prize.id, now=NOW)  # balance 60
    await rewards.redeem_reward(m.id, prize.id, now=NOW)  # 50
    await rewards.redeem_reward(m.id, prize.id, now=NOW)  # 40
    await rewards.redeem_reward(m.id, prize.id, now=NOW)  # 30
    await rewards.redeem_reward(m.id, prize.id, now=NOW)  # 20
    await rewards.redeem_reward(m.id, prize.id, now=NOW)  # 10
    result = await earning.refund_purchase("R1", now=NOW)
    assert result.balance == -40
    with pytest.raises(LoyaltyError) as caught:
        await rewards.redeem_reward(m.id, prize.id, now=NOW)
    assert caught.value.code is ErrorCode.NEGATIVE_BALANCE
    assert (await Member.get(id=m.id)).balance == -40
