"""The audit log a page at a time, for the owner (`Action.AUDIT`, as `/audit` in the bot):
the newest first, narrowed to one action or one staff member.

Pages are counted from the newest and not totalled: counting a log of millions of rows
at every look costs more than the page itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from loyalty.staff.permissions import Action, require
from models import AuditEntry, Staff

PAGE_SIZE = 50
MAX_ACTION = 50  # the column's length


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEntry]  # their staff fetched with them
    page: int  # from 0
    more: bool  # older entries follow


async def audit_page(
    staff: Staff, *, action: str = "", staff_id: int | None = None, page: int = 0
) -> AuditPage:
    require(staff, Action.AUDIT)
    entries = AuditEntry.all()
    if action:
        entries = entries.filter(action=action[:MAX_ACTION])
    if staff_id is not None:
        entries = entries.filter(staff_id=staff_id)
    page = max(0, page)
    rows = list(
        await entries.order_by("-created_at", "-id")
        .offset(page * PAGE_SIZE)
        .limit(PAGE_SIZE + 1)  # one more: whether an older page exists
        .prefetch_related("staff")
    )
    return AuditPage(rows[:PAGE_SIZE], page, len(rows) > PAGE_SIZE)


async def audit_staff(staff: Staff) -> list[Staff]:
    """Everyone who was ever staff (a revoked member of staff's entries stay theirs)."""
    require(staff, Action.AUDIT)
    return await Staff.all().order_by("id")
