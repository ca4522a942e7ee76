"""The export's pages: every present member once, in order of id, whatever the page size."""

from __future__ import annotations

from loyalty.erasure import delete_member_data
from loyalty.members import active_card
from loyalty.reports import member_pages
from models import Branch
from tests.conftest import NOW
from tests.helpers import member


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
    assert [row.branch for row in rows] == ["", "", "", "North", ""]  # joined by phone: no branch yet
    assert [row.balance for row in rows] == [m.balance for m in present]
    assert rows == [row async for page in member_pages() for row in page]  # one page: the same rows

    north_rows = [row async for page in member_pages(north.id, page=1) for row in page]
    assert [(row.id, row.branch) for row in north_rows] == [(joined[4].id, "North")]
