"""Branches (their names and own earning rates) and product groups (their multipliers)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from loyalty import audit
from loyalty.clock import utcnow
from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.staff.limits import DECIMAL_LIMITS, MULTIPLIER_RANGE, in_range
from loyalty.staff.permissions import Action, require
from loyalty.text import clean_name
from models import Branch, ProductGroup, Staff


async def add_branch(staff: Staff, name: str, *, now: datetime | None = None) -> Branch:
    now = now or utcnow()
    require(staff, Action.BRANCHES)
    branch, _ = await Branch.get_or_create(name=clean_name(name)[:100])
    await audit.record("branch_add", staff_id=staff.id, now=now, branch=branch.id)
    return branch


async def set_branch_rate(
    staff: Staff, branch_id: int, rate: Decimal | None, *, now: datetime | None = None
) -> Branch:
    """A branch's own earning rate; None returns it to the club's rate."""
    now = now or utcnow()
    require(staff, Action.BRANCHES)
    branch = await Branch.get_or_none(id=branch_id)
    if branch is None:
        raise LoyaltyError(ErrorCode.BRANCH_NOT_FOUND, branch=branch_id)
    if rate is not None:
        in_range("earn_rate", rate, *DECIMAL_LIMITS["earn_rate"])
    branch.earn_rate = rate
    await branch.save(update_fields=["earn_rate"])
    await audit.record("branch_rate", staff_id=staff.id, now=now, branch=branch.id, rate=str(rate))
    return branch


async def set_group(
    staff: Staff, name: str, multiplier: Decimal, *, now: datetime | None = None
) -> ProductGroup:
    """Add a product group, or change the multiplier of the one with that name."""
    now = now or utcnow()
    require(staff, Action.GROUPS)
    in_range("multiplier", multiplier, *MULTIPLIER_RANGE)
    group, _ = await ProductGroup.update_or_create(
        name=clean_name(name)[:100], defaults={"multiplier": multiplier, "active": True}
    )
    await audit.record(
        "group_set", staff_id=staff.id, now=now, group=group.id, multiplier=str(multiplier)
    )
    return group
