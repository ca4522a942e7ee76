"""The export's pages (every present member once, in order of id, whatever the page size) and
the report's timeline of joins and leaves, by the club's local day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from loyalty.erasure import delete_member_data
from loyalty.members import active_card
from loyalty.reports import member_pages
from loyalty.staff import figures
from models import Branch, Staff, StaffRole
from tests.conftest import NOW
from tests.helpers import member

TEHRAN = ZoneInfo("Asia/Tehran")


async def test_export_pages_cover_every_member_once(any_db: str) -> None:
    north = await Branch.create(name="North")
    joined = [await member(NOW) for _ in range(6)]
    await delete_member_data(joined[2].id, now=NOW)
    joined[4].branch_id = north.id
    await joined[4].save(update_fields=["branch_id"])
    present = [m for n, m in enumerate(joined) if n != 2]

    pages = [page async for page in member_pages(page=2)]
    assert [len(page) for page in pages] == [2, 2, 1]
    rows = [row for page in pages for row in page]
    assert [row.id for row in rows] == [m.id for m in present]
    assert [row.card for row in rows] == [(await active_card(m.id)).number for m in present]
    assert [row.branch for row in rows] == [
        "",
        "",
        "",
        "North",
        "",
    ]  # joined by phone: no branch yet
    assert [row.balance for row in rows] == [m.balance for m in present]
    assert rows == [row async for page in member_pages() for row in page]  # one page: the same rows

    north_rows = [row async for page in member_pages(north.id, page=1) for row in page]
    assert [(row.id, row.branch) for row in north_rows] == [(joined[4].id, "North")]


async def test_report_counts_joins_and_leaves_by_the_club_s_day(any_db: str) -> None:
    owner = await Staff.create(telegram_id=1, role=StaffRole.OWNER, created_at=NOW)
    late = datetime(2026, 2, 26, 20, 29, tzinfo=UTC)  # 23:59 on 2026-02-26 in Tehran
    early = datetime(2026, 2, 26, 20, 31, tzinfo=UTC)  # 00:01 on 2026-02-27
    await member(late)
    goes = await member(early)
    joined_before = await member(early - timedelta(days=10))
    await delete_member_data(joined_before.id, now=late)
    await delete_member_data(goes.id, now=NOW)

    report = await figures.report(owner, 7, tz=TEHRAN, now=NOW)
    assert [(p.start.isoformat(), p.joined, p.left) for p in report.timeline] == [
        ("2026-02-23", 0, 0),
        ("2026-02-24", 0, 0),
        ("2026-02-25", 0, 0),
        ("2026-02-26", 1, 1),
        ("2026-02-27", 1, 0),
        ("2026-02-28", 0, 0),
        ("2026-03-01", 0, 1),
    ]
    assert (report.members_total, report.members_new, report.members_left) == (1, 2, 2)

    weekly = await figures.report(owner, 60, tz=TEHRAN, now=NOW)
    assert [p.start.isoformat() for p in weekly.timeline][-2:] == ["2026-02-19", "2026-02-26"]
    assert [(p.joined, p.left) for p in weekly.timeline][-1] == (2, 2)  # 2026-02-26 to today
    yearly = await figures.report(owner, 400, tz=TEHRAN, now=NOW)
    assert len(yearly.timeline) == 14  # 30 days each, the last one ten
    assert yearly.timeline[-1].start.isoformat() == "2026-02-20"
