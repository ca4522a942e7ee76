"""Figures for the owner and managers: the report, the members' export, the audit log."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from zoneinfo import ZoneInfo

from loyalty import audit, reports
from loyalty.clock import local_day_start, utcnow
from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.staff.access import own_branch
from loyalty.staff.permissions import Action, require
from models import AuditEntry, Staff

MAX_REPORT_DAYS = 3660


async def report(
    staff: Staff, days: int, *, tz: ZoneInfo, now: datetime | None = None
) -> reports.Report:
    """Figures for the last `days` local days including today; a manager sees their branch."""
    now = now or utcnow()
    branch_id = own_branch(require(staff, Action.REPORT))
    if not 1 <= days <= MAX_REPORT_DAYS:
        raise LoyaltyError(ErrorCode.INVALID_AMOUNT, amount=days)
    figures = await reports.build(
        local_day_start(now, tz, days - 1), now, tz=tz, branch_id=branch_id
    )
    await audit.record("report", staff_id=staff.id, now=now, days=days, branch=branch_id)
    return figures


def export_pages(
    staff: Staff, *, now: datetime | None = None
) -> AsyncIterator[list[reports.MemberRow]]:
    """The members a staff member may export, a page at a time; recorded once all are read.

    Refused here and now, not at the first page, so a refused export starts nothing.
    """
    return _export_pages(staff.id, own_branch(require(staff, Action.EXPORT)), now or utcnow())


async def _export_pages(
    staff_id: int, branch_id: int | None, now: datetime
) -> AsyncIterator[list[reports.MemberRow]]:
    rows = 0
    async for page in reports.member_pages(branch_id):
        rows += len(page)
        yield page
    await audit.record("export", staff_id=staff_id, now=now, branch=branch_id, rows=rows)


async def timeline(staff: Staff, limit: int = 20) -> list[AuditEntry]:
    require(staff, Action.AUDIT)
    return (
        await AuditEntry.all().order_by("-created_at", "-id").limit(limit).prefetch_related("staff")
    )
