"""Rewards priced in money: what a point is worth, reward by reward and on average.

A reward's `value_money` is what it is worth in the shop's currency; its value per point is
that over its cost in points. The catalogue's average rate is the value of all the priced
rewards on offer over their points (a sum over a sum, so a reward counts by its size), and
it prices the points members hold: the club's debt to them in money.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from tortoise.expressions import Q
from tortoise.functions import Sum

from models import Member, Reward

# A reward's money value: above zero, at most a sum no shop's reward reaches.
VALUE_RANGE = (1, 1_000_000_000_000)


def per_point(reward: Reward) -> Decimal | None:
    """Money per point of a priced reward; None for one without a money value."""
    if not reward.value_money or reward.cost <= 0:
        return None
    return Decimal(reward.value_money) / Decimal(reward.cost)


@dataclass(frozen=True)
class Mispriced:
    """A dearer reward that gives less per point than a cheaper one."""

    dearer: Reward
    cheaper: Reward


def mispriced(rewards: Iterable[Reward]) -> list[Mispriced]:
    """Each priced reward that gives less per point than a cheaper one (fewer points),
    named with the cheaper one that gives the most per point; dearest last."""
    priced = sorted((r for r in rewards if per_point(r) is not None), key=lambda r: (r.cost, r.id))
    found: list[Mispriced] = []
    best: Reward | None = None  # of the rewards strictly cheaper than the current one
    for position, reward in enumerate(priced):
        cheaper = [r for r in priced[:position] if r.cost < reward.cost]
        best = max(cheaper, key=lambda r: (per_point(r), -r.id), default=None)
        if best is not None and per_point(reward) < per_point(best):  # type: ignore[operator]
            found.append(Mispriced(reward, best))
    return found


def average_rate(rewards: Iterable[Reward]) -> Decimal | None:
    """The catalogue's money per point: the priced rewards' values over their points."""
    priced = [r for r in rewards if per_point(r) is not None]
    if not priced:
        return None
    return Decimal(sum(r.value_money for r in priced)) / Decimal(sum(r.cost for r in priced))  # type: ignore[misc]


def money(points: int, rate: Decimal) -> int:
    """Points in money at `rate`, rounded down: money is an integer."""
    return int((Decimal(points) * rate).to_integral_value(rounding=ROUND_FLOOR))


@dataclass(frozen=True)
class Outstanding:
    points: int  # the positive balances of the members (a negative one owes the club)
    rate: Decimal | None  # the catalogue's average; None: no reward is priced
    value: int | None  # points × rate, rounded down


async def outstanding(*, branch_id: int | None = None) -> Outstanding:
    """The points members hold and their value at the catalogue's average rate; a branch's
    members and the rewards it offers (its own and the club's) when `branch_id` is given."""
    members = Member.filter(deleted_at=None, balance__gt=0)
    rewards = Reward.filter(active=True)
    if branch_id is not None:
        members = members.filter(branch_id=branch_id)
        rewards = rewards.filter(Q(branch_id=branch_id) | Q(branch_id=None))
    rows = await members.annotate(total=Sum("balance")).values("total")
    points = int(rows[0]["total"] or 0) if rows else 0
    rate = average_rate(await rewards)
    return Outstanding(points, rate, money(points, rate) if rate is not None else None)
