"""The owner's discount rules at the till: spend levels, product groups' percentages for a
date range, at one branch or all, and the club's two switches (stacked or the best single
discount; points on the amount paid or on the gross). Bad input is refused before
anything is written; every change is audited. The arithmetic is `loyalty.discounts`.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from loyalty import audit, discounts
from loyalty.clock import utcnow
from loyalty.earning import MAX_AMOUNT
from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.rules import get_rules, open_branch
from loyalty.staff.permissions import Action, require
from models import ClubRules, DiscountRule, ProductGroup, Staff


def check_percent(percent: Decimal) -> Decimal:
    try:
        discounts.check_percent(percent)
    except ValueError:
        raise LoyaltyError(ErrorCode.INVALID_PERCENT, percent=percent) from None
    return percent


async def _branch(branch_id: int | None) -> int | None:
    return None if branch_id is None else (await open_branch(branch_id)).id


async def add_spend_level(
    staff: Staff,
    min_amount: int,
    percent: Decimal,
    *,
    branch_id: int | None = None,
    now: datetime | None = None,
) -> DiscountRule:
    """From `min_amount` (gross) on, `percent` off."""
    now = now or utcnow()
    require(staff, Action.DISCOUNTS)
    check_percent(percent)
    if not 0 <= min_amount <= MAX_AMOUNT:
        raise LoyaltyError(ErrorCode.INVALID_AMOUNT, amount=min_amount)
    rule = await DiscountRule.create(
        kind=discounts.Kind.SPEND.value,
        percent=percent,
        min_amount=min_amount,
        branch_id=await _branch(branch_id),
        created_at=now,
    )
    await _audit(staff, rule, now)
    return rule


async def add_group_discount(
    staff: Staff,
    group_id: int,
    percent: Decimal,
    *,
    starts: date | None = None,
    ends: date | None = None,
    branch_id: int | None = None,
    now: datetime | None = None,
) -> DiscountRule:
    """`percent` off purchases of a product group, from `starts` to `ends` (both included)."""
    now = now or utcnow()
    require(staff, Action.DISCOUNTS)
    check_percent(percent)
    if starts is not None and ends is not None and ends < starts:
        raise LoyaltyError(ErrorCode.INVALID_DATE_RANGE, starts=starts, ends=ends)
    if not await ProductGroup.filter(id=group_id, active=True).exists():
        raise LoyaltyError(ErrorCode.GROUP_NOT_FOUND, group=group_id)
    rule = await DiscountRule.create(
        kind=discounts.Kind.GROUP.value,
        percent=percent,
        group_id=group_id,
        starts=starts,
        ends=ends,
        branch_id=await _branch(branch_id),
        created_at=now,
    )
    await _audit(staff, rule, now)
    return rule


async def _audit(staff: Staff, rule: DiscountRule, now: datetime) -> None:
    await audit.record(
        "discount_added",
        staff_id=staff.id,
        now=now,
        rule=rule.id,
        kind=rule.kind,
        percent=str(rule.percent),
        min_amount=rule.min_amount,
        group=rule.group_id,  # type: ignore[attr-defined]
        branch=rule.branch_id,  # type: ignore[attr-defined]
        starts=rule.starts.isoformat() if rule.starts else None,
        ends=rule.ends.isoformat() if rule.ends else None,
    )


async def remove(staff: Staff, rule_id: int, *, now: datetime | None = None) -> DiscountRule:
    """The rule no longer applies; it stays for the history."""
    now = now or utcnow()
    require(staff, Action.DISCOUNTS)
    rule = await DiscountRule.get_or_none(id=rule_id, active=True)
    if rule is None:
        raise LoyaltyError(ErrorCode.DISCOUNT_NOT_FOUND, rule=rule_id)
    await DiscountRule.filter(id=rule.id).update(active=False)
    await audit.record("discount_removed", staff_id=staff.id, now=now, rule=rule.id)
    return rule


async def rules_in_force(staff: Staff) -> list[DiscountRule]:
    require(staff, Action.DISCOUNTS)
    return await DiscountRule.filter(active=True).order_by("kind", "min_amount", "id")


async def set_switch(
    staff: Staff, key: str, value: bool, *, now: datetime | None = None
) -> ClubRules:
    """`discount_stacking` or `points_on_paid`."""
    now = now or utcnow()
    require(staff, Action.DISCOUNTS)
    if key not in ("discount_stacking", "points_on_paid"):
        raise LoyaltyError(ErrorCode.INVALID_SETTING, key=key)
    rules = await get_rules()
    setattr(rules, key, value)
    await rules.save(update_fields=[key, "updated_at"])
    await audit.record("settings", staff_id=staff.id, now=now, key=key, value=str(value))
    return rules
