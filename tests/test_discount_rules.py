"""The arithmetic of discounts at the till (loyalty/discounts.py), with exact numbers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from loyalty.discounts import Kind, Rule, check_percent, off, price

TODAY = date(2026, 12, 3)
SPEND_5 = Rule(Kind.SPEND, Decimal(5), rule_id=1, min_amount=1_000_000)
SPEND_8 = Rule(Kind.SPEND, Decimal(8), rule_id=2, min_amount=2_000_000)
COFFEE_12 = Rule(
    Kind.GROUP,
    Decimal("12.5"),
    rule_id=3,
    group_id=7,
    starts=date(2026, 12, 1),
    ends=date(2026, 12, 10),
)
RULES = (SPEND_5, SPEND_8, COFFEE_12)


def test_off_rounds_half_up_to_the_currency() -> None:
    assert off(333_333, Decimal(10)) == 33_333  # 33,333.3
    assert off(15, Decimal(10)) == 2  # 1.5
    assert off(25, Decimal(10)) == 3  # 2.5: half up, not to even
    assert off(14, Decimal(10)) == 1  # 1.4
    assert off(2_000_003, Decimal("12.5")) == 250_000  # 250,000.375


def test_best_single_discount_is_the_largest() -> None:
    priced = price(2_500_000, RULES, tier_percent=10, group_id=7, branch_id=1, today=TODAY)
    assert [(line.kind, line.amount) for line in priced.lines] == [(Kind.GROUP, 312_500)]
    assert priced.discount == 312_500
    assert priced.payable == 2_187_500


def test_spend_level_is_the_highest_reached() -> None:
    priced = price(2_000_000, RULES, branch_id=1, today=TODAY)
    assert [(line.rule_id, line.amount) for line in priced.lines] == [(2, 160_000)]
    assert price(1_999_999, RULES, branch_id=1, today=TODAY).lines[0].amount == 100_000
    assert price(999_999, RULES, branch_id=1, today=TODAY).lines == ()
    assert price(999_999, RULES, branch_id=1, today=TODAY).payable == 999_999


def test_stacked_discounts_each_take_from_what_is_left() -> None:
    priced = price(
        2_000_001, RULES, tier_percent=10, group_id=7, branch_id=1, today=TODAY, stacked=True
    )
    # 12.5% of 2,000,001 = 250,000.125 → 250,000; 8% of 1,750,001 = 140,000.08 → 140,000;
    # 10% of 1,610,001 = 161,000.1 → 161,000.
    assert [(line.kind, line.amount) for line in priced.lines] == [
        (Kind.GROUP, 250_000),
        (Kind.SPEND, 140_000),
        (Kind.TIER, 161_000),
    ]
    assert priced.payable == 2_000_001 - 551_000 == 1_449_001


def test_a_tie_goes_to_the_narrower_rule() -> None:
    rules = (Rule(Kind.SPEND, Decimal(10), min_amount=0),)
    priced = price(1000, rules, tier_percent=10, branch_id=1, today=TODAY)
    assert [line.kind for line in priced.lines] == [Kind.SPEND]


def test_dates_and_branches_limit_a_rule() -> None:
    at_two = Rule(Kind.GROUP, Decimal(20), group_id=7, branch_id=2)
    assert price(1000, (at_two,), group_id=7, branch_id=1, today=TODAY).lines == ()
    assert price(1000, (at_two,), group_id=7, branch_id=2, today=TODAY).payable == 800
    # The range's first and last days count; the day after does not.
    for day, payable in (
        (date(2026, 12, 1), 875),
        (date(2026, 12, 10), 875),
        (date(2026, 11, 30), 1000),
        (date(2026, 12, 11), 1000),
    ):
        assert price(1000, (COFFEE_12,), group_id=7, branch_id=1, today=day).payable == payable
    assert price(1000, (COFFEE_12,), group_id=8, branch_id=1, today=TODAY).payable == 1000


def test_a_hundred_percent_makes_it_free_and_never_less() -> None:
    rules = (Rule(Kind.SPEND, Decimal(100)),)
    priced = price(777, rules, tier_percent=50, branch_id=1, today=TODAY, stacked=True)
    assert [line.amount for line in priced.lines] == [777, 0]
    assert priced.payable == 0


@pytest.mark.parametrize("percent", ["0", "-5", "100.01", "101", "12.345"])
def test_percent_out_of_range_is_refused(percent: str) -> None:
    with pytest.raises(ValueError):
        check_percent(Decimal(percent))


def test_percent_in_range_is_accepted() -> None:
    for percent in ("0.01", "12.5", "100"):
        check_percent(Decimal(percent))
