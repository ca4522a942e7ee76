"""Discounts at the till: which of the owner's rules apply to a purchase, and how much each
takes off. Pure arithmetic on integers and Decimals: no database, no text.

A purchase may get a tier's standing percentage, a spend level's (from amount X, Y% off)
and a product group's (for a date range, at one branch or all). The club combines them
one of two ways: the best single discount (the default), or stacked, each taken off
what the one before left. Every discount is rounded to the club's currency (a whole
toman, say) half up, once, where it is worked out: the lines shown add up exactly to
the difference between the gross and the payable amount.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

HUNDRED = Decimal(100)


class Kind(StrEnum):
    GROUP = "group"  # a product group's percentage, for a date range
    SPEND = "spend"  # from amount X, Y% off
    TIER = "tier"  # the member's tier's standing percentage


# Stacked discounts are taken in this order: the narrowest rule first.
ORDER = (Kind.GROUP, Kind.SPEND, Kind.TIER)


@dataclass(frozen=True)
class Rule:
    """A spend level or a product group's discount, as the owner set it."""

    kind: Kind
    percent: Decimal
    rule_id: int | None = None
    min_amount: int = 0  # SPEND: from this gross amount on
    group_id: int | None = None  # GROUP: the product group
    branch_id: int | None = None  # None: every branch
    starts: date | None = None  # inclusive; None: since always
    ends: date | None = None  # inclusive; None: for ever

    def applies(self, gross: int, group_id: int | None, branch_id: int, today: date) -> bool:
        if self.branch_id is not None and self.branch_id != branch_id:
            return False
        if self.starts is not None and today < self.starts:
            return False
        if self.ends is not None and today > self.ends:
            return False
        if self.kind is Kind.GROUP:
            return group_id is not None and self.group_id == group_id
        return gross >= self.min_amount


@dataclass(frozen=True)
class Line:
    """One discount taken off: why (its kind and rule) and how much."""

    kind: Kind
    percent: Decimal
    amount: int
    rule_id: int | None = None
    min_amount: int = 0
    group_id: int | None = None


@dataclass(frozen=True)
class Priced:
    gross: int
    lines: tuple[Line, ...]

    @property
    def discount(self) -> int:
        return sum(line.amount for line in self.lines)

    @property
    def payable(self) -> int:
        return self.gross - self.discount


def check_percent(percent: Decimal) -> None:
    """A percentage the owner may set: above 0, at most 100, two decimals at most."""
    if not Decimal(0) < percent <= HUNDRED or percent != percent.quantize(Decimal("0.01")):
        raise ValueError(percent)


def off(amount: int, percent: Decimal) -> int:
    """`percent` of `amount`, rounded half up to the currency's whole unit."""
    exact = Decimal(amount) * Decimal(percent) / HUNDRED
    return int(exact.to_integral_value(rounding=ROUND_HALF_UP))


def candidates(
    gross: int,
    rules: Iterable[Rule],
    *,
    tier_percent: Decimal | int,
    group_id: int | None,
    branch_id: int,
    today: date,
) -> list[Rule]:
    """The one best rule of each kind that applies: the highest percentage (for spend levels,
    the highest level reached)."""
    best: dict[Kind, Rule] = {}
    for rule in rules:
        if rule.percent <= 0 or not rule.applies(gross, group_id, branch_id, today):
            continue
        held = best.get(rule.kind)
        if held is None or (rule.percent, rule.min_amount) > (held.percent, held.min_amount):
            best[rule.kind] = rule
    if Decimal(tier_percent) > 0:
        best[Kind.TIER] = Rule(Kind.TIER, Decimal(tier_percent))
    return [best[kind] for kind in ORDER if kind in best]


def _line(rule: Rule, amount: int) -> Line:
    return Line(rule.kind, rule.percent, amount, rule.rule_id, rule.min_amount, rule.group_id)


def price(
    gross: int,
    rules: Iterable[Rule],
    *,
    tier_percent: Decimal | int = 0,
    group_id: int | None = None,
    branch_id: int,
    today: date,
    stacked: bool = False,
) -> Priced:
    """The purchase's discounts and the amount payable.

    Best single: the rule that takes off the most (on a tie, the first in ORDER). Stacked:
    each rule in ORDER takes its percentage of what the ones before left, so the total
    never passes the gross however many apply.
    """
    found = candidates(
        gross,
        rules,
        tier_percent=tier_percent,
        group_id=group_id,
        branch_id=branch_id,
        today=today,
    )
    if not found:
        return Priced(gross, ())
    if not stacked:
        amounts = [off(gross, rule.percent) for rule in found]
        best = max(range(len(found)), key=lambda i: (amounts[i], -i))
        return Priced(gross, (_line(found[best], amounts[best]),))
    lines: list[Line] = []
    left = gross
    for rule in found:
        amount = off(left, rule.percent)
        left -= amount
        lines.append(_line(rule, amount))
    return Priced(gross, tuple(lines))


__all__ = ["Kind", "Line", "Priced", "Rule", "candidates", "check_percent", "off", "price"]
