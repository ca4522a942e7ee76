"""Branches (their names, whether they are open, their own earning rules, the address,
phone, hours and map link members read) and product groups (their multipliers)."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal

from tortoise.transactions import in_transaction

from loyalty import audit
from loyalty.clock import utcnow
from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.showcase import checked_link, checked_text
from loyalty.staff.access import check_branch_scope
from loyalty.staff.club_settings import RULE_LIMITS
from loyalty.staff.limits import DECIMAL_LIMITS, MULTIPLIER_RANGE, in_range
from loyalty.staff.permissions import Action, require
from loyalty.text import clean_name, to_ascii_digits
from models import Branch, ProductGroup, Staff

# A branch's own earning rules, each None for "the club's"; bounded as the club's own.
BRANCH_RULES = ("currency_unit", "min_purchase")
# What members read of a branch: bounded by its columns.
MAX_ADDRESS, MAX_HOURS = 300, 200
_PHONE = re.compile(r"\+?[0-9][0-9 ()\-]*")


async def add_branch(staff: Staff, name: str, *, now: datetime | None = None) -> Branch:
    now = now or utcnow()
    require(staff, Action.BRANCHES)
    branch, _ = await Branch.get_or_create(name=clean_name(name)[:100])
    await audit.record("branch_add", staff_id=staff.id, now=now, branch=branch.id)
    return branch


async def _branch(branch_id: int) -> Branch:
    branch = await Branch.get_or_none(id=branch_id)
    if branch is None:
        raise LoyaltyError(ErrorCode.BRANCH_NOT_FOUND, branch=branch_id)
    return branch


async def set_branch_rate(
    staff: Staff, branch_id: int, rate: Decimal | None, *, now: datetime | None = None
) -> Branch:
    """A branch's own earning rate; None returns it to the club's rate."""
    now = now or utcnow()
    require(staff, Action.BRANCHES)
    branch = await _branch(branch_id)
    if rate is not None:
        in_range("earn_rate", rate, *DECIMAL_LIMITS["earn_rate"])
    branch.earn_rate = rate
    await branch.save(update_fields=["earn_rate"])
    await audit.record("branch_rate", staff_id=staff.id, now=now, branch=branch.id, rate=str(rate))
    return branch


async def branch_rules(staff: Staff, branch_id: int) -> Branch:
    """The branch whose own earning rules `staff` may see and set."""
    require(staff, Action.BRANCH_EARNING)
    check_branch_scope(staff, branch_id)
    return await _branch(branch_id)


async def set_branch_rule(
    staff: Staff, branch_id: int, key: str, value: int | None, *, now: datetime | None = None
) -> Branch:
    """A branch's currency unit or minimum purchase (`key`, one of BRANCH_RULES); None
    returns it to the club's. The owner sets any branch's, a manager their own branch's."""
    now = now or utcnow()
    if key not in BRANCH_RULES:
        raise LoyaltyError(ErrorCode.INVALID_SETTING, key=key)
    branch = await branch_rules(staff, branch_id)
    if value is not None:
        in_range(key, value, *RULE_LIMITS[key])
    setattr(branch, key, value)
    await branch.save(update_fields=[key])
    await audit.record(
        "branch_rule", staff_id=staff.id, now=now, branch=branch.id, key=key, value=value
    )
    return branch


async def rename_branch(
    staff: Staff, branch_id: int, name: str, *, now: datetime | None = None
) -> Branch:
    now = now or utcnow()
    require(staff, Action.BRANCHES)
    name = clean_name(name)[:100]
    async with in_transaction():
        branch = await _branch(branch_id)
        if await Branch.filter(name=name).exclude(id=branch.id).exists():
            raise LoyaltyError(ErrorCode.BRANCH_NAME_TAKEN, name=name)
        old, branch.name = branch.name, name
        await branch.save(update_fields=["name"])
        await audit.record(
            "branch_rename", staff_id=staff.id, now=now, branch=branch.id, old=old, new=name
        )
    return branch


async def set_branch_open(
    staff: Staff, branch_id: int, open_: bool, *, now: datetime | None = None
) -> Branch:
    """Close a branch (it takes no new purchases, staff or members, and keeps its history,
    members and staff) or open it again. The last open branch stays open: purchases
    without a branch are rung up at the first open one."""
    now = now or utcnow()
    require(staff, Action.BRANCHES)
    async with in_transaction():
        branch = await _branch(branch_id)
        if not open_ and not await Branch.filter(active=True).exclude(id=branch.id).exists():
            raise LoyaltyError(ErrorCode.LAST_OPEN_BRANCH)
        if branch.active != open_:
            branch.active = open_
            await branch.save(update_fields=["active"])
            action = "branch_open" if open_ else "branch_close"
            await audit.record(action, staff_id=staff.id, now=now, branch=branch.id)
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


def checked_phone(text: str) -> str:
    """A branch's phone as members read and dial it (`021 8888 1234`, `+98 21 ...`), in
    ASCII digits; "" for none. INVALID_CONTACT_PHONE unless 4 to 20 digits."""
    phone = " ".join(to_ascii_digits(text or "").split())
    if not phone:
        return ""
    count = sum(c.isdigit() for c in phone)
    if not _PHONE.fullmatch(phone) or not 4 <= count <= 20 or len(phone) > 30:
        raise LoyaltyError(ErrorCode.INVALID_CONTACT_PHONE)
    return phone


async def set_branch_details(
    staff: Staff,
    branch_id: int,
    *,
    address: str,
    phone: str,
    hours: str,
    map_link: str,
    now: datetime | None = None,
) -> Branch:
    """What members read of a branch on the branches page; each "" for none."""
    now = now or utcnow()
    require(staff, Action.BRANCHES)
    details = {
        "address": checked_text(address, MAX_ADDRESS),
        "phone": checked_phone(phone),
        "hours": checked_text(hours, MAX_HOURS),
        "map_link": checked_link(map_link),
    }
    async with in_transaction():
        branch = await _branch(branch_id)
        changed = [key for key, value in details.items() if getattr(branch, key) != value]
        if changed:
            for key in changed:
                setattr(branch, key, details[key])
            await branch.save(update_fields=changed)
            await audit.record(
                "branch_details",
                staff_id=staff.id,
                now=now,
                branch=branch.id,
                **{key: details[key] for key in changed},
            )
    return branch


async def close_group(staff: Staff, group_id: int, *, now: datetime | None = None) -> None:
    """A product group no longer offered (its purchases keep it); `set_group` with its name
    brings it back."""
    now = now or utcnow()
    require(staff, Action.GROUPS)
    async with in_transaction():
        if not await ProductGroup.filter(id=group_id, active=True).update(active=False):
            raise LoyaltyError(ErrorCode.GROUP_NOT_FOUND)
        await audit.record("group_close", staff_id=staff.id, now=now, group=group_id)
