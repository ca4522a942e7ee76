"""Who is staff, and which branches a staff member's actions and figures reach."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from loyalty.clock import utcnow
from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.rules import default_branch
from loyalty.staff.permissions import PERMISSIONS, Action, allowed
from models import Staff, StaffRole
from models.queries import staff as sql


async def identify(
    telegram_id: int, owner_ids: Iterable[int], *, name: str = "", now: datetime | None = None
) -> Staff | None:
    """The active staff member behind a Telegram account, or None for everyone else.

    An owner gets a Staff row the first time, so that their actions carry a staff id too.
    """
    if telegram_id in set(owner_ids):
        staff = await Staff.get_or_none(telegram_id=telegram_id)
        if staff is None:
            return await Staff.create(
                telegram_id=telegram_id,
                name=name[:100],
                role=StaffRole.OWNER,
                created_at=now or utcnow(),
            )
        if staff.role is not StaffRole.OWNER or not staff.active:
            staff.role, staff.active, staff.branch_id = StaffRole.OWNER, True, None
            await staff.save(update_fields=["role", "active", "branch_id"])
        return staff
    staff = await sql.active_staff_by_telegram.first(telegram_id, True)
    if staff is not None and staff.role is StaffRole.OWNER:
        return None  # removed from OWNER_IDS: no longer an owner
    return staff


async def permitted(telegram_id: int, owner_ids: Iterable[int], action: Action) -> bool:
    """For a door that has no staff member at hand: may this Telegram account take `action`?"""
    return allowed(await identify(telegram_id, owner_ids), action)


def sees_all_branches(staff: Staff) -> bool:
    return staff.role is StaffRole.OWNER or (
        staff.role is StaffRole.MANAGER and staff.branch_id is None
    )


def own_branch(staff: Staff) -> int | None:
    """The branch a staff member's figures and lists are limited to; None: the whole club."""
    return None if sees_all_branches(staff) else staff.branch_id


async def counter_branch(staff: Staff) -> int:
    """Where this staff member rings purchases up: their own branch, else the first one."""
    return staff.branch_id if staff.branch_id is not None else (await default_branch()).id


def check_branch_scope(staff: Staff, branch_id: int | None) -> None:
    if not sees_all_branches(staff) and branch_id != staff.branch_id:
        raise LoyaltyError(ErrorCode.NOT_ALLOWED)


def check_member_scope(staff: Staff, member_branch_id: int | None) -> None:
    """The owner and managers of every branch act on any member; a manager of one branch,
    on the members of that branch or of none yet."""
    if not sees_all_branches(staff) and member_branch_id not in (None, staff.branch_id):
        raise LoyaltyError(ErrorCode.NOT_ALLOWED)


async def approvers(branch_id: int | None, owner_ids: Iterable[int]) -> list[int]:
    """Telegram ids of those who may approve an action at a branch: managers and owners."""
    ids = list(dict.fromkeys(owner_ids))
    # Owners are those in OWNER_IDS, whatever their rows say.
    roles = PERMISSIONS[Action.APPROVE] - {StaffRole.OWNER}
    for staff in await Staff.filter(active=True, role__in=list(roles)).order_by("id"):
        if staff.branch_id is None or staff.branch_id == branch_id:
            ids.append(staff.telegram_id)
    return list(dict.fromkeys(ids))
