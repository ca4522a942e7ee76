"""The panel's search by a part of a name, on PostgreSQL: served by the trigram indexes of
migration 0029, which are built on the statement the ORM writes for it. Should Tortoise
write that match differently, the indexes would silently serve nothing (every search a
scan of the member table, 1.3 s among 1,000,000 members: bench/pages.py): this fails."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from tortoise import Tortoise
from tortoise.transactions import in_transaction

from loyalty.staff import panel
from models import Member
from tests import helpers
from tests.conftest import NOW, POSTGRES_URL, _open_postgres

pytestmark = pytest.mark.skipif(
    not POSTGRES_URL, reason="TEST_POSTGRES_URL is not set: the indexes are PostgreSQL's"
)
INDEXES = ("member_first_name_search", "member_last_name_search")


@pytest.fixture
async def postgres() -> AsyncIterator[None]:
    await _open_postgres()
    yield
    await Tortoise.close_connections()


async def _plan_and_rows(text: str) -> tuple[str, list[int]]:
    """The generic plan (the one a prepared statement settles on, parameters unknown) of the
    ORM's name search, and the ids it finds, with table scans ruled out."""
    search = Member.filter(deleted_at=None).filter(panel.name_matches(text)).order_by("id")
    sql = search.values_list("id", flat=True).sql()
    pattern = "'%" + text.replace("'", "''") + "%'"  # EXECUTE takes no bound parameters
    async with in_transaction() as connection:
        await connection.execute_script(
            "SET LOCAL enable_seqscan = off; SET LOCAL plan_cache_mode = force_generic_plan"
        )
        await connection.execute_script(f"PREPARE name_search AS {sql}")
        run = f"EXECUTE name_search({pattern}, {pattern})"
        plan = await connection.execute_query_dict(f"EXPLAIN {run}")
        rows = await connection.execute_query_dict(run)
        await connection.execute_script("DEALLOCATE name_search")
    return "\n".join(r["QUERY PLAN"] for r in plan), [next(iter(r.values())) for r in rows]


async def test_a_part_of_a_name_is_found_from_the_trigram_indexes(postgres: None) -> None:
    zahra = await helpers.member(NOW, first_name="زهرا", last_name="احمدی")
    bazargan = await helpers.member(NOW, first_name="علی", last_name="بازرگان")
    zahir = await helpers.member(NOW, first_name="Zahir", last_name="Rad")
    await helpers.member(NOW, first_name="مریم", last_name="کریمی")

    plan, found = await _plan_and_rows("زهر")
    assert all(index in plan for index in INDEXES), plan
    assert found == [zahra.id]
    assert (await _plan_and_rows("زرگ"))[1] == [bazargan.id]  # in the middle of a last name
    assert (await _plan_and_rows("ZAH"))[1] == [zahir.id]  # in any case
    assert (await _plan_and_rows("ahi"))[1] == [zahir.id]
