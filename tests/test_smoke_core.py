import asyncio
import contextlib

import pytest
from tortoise.transactions import in_transaction

from bot import patches
from loyalty import earning, ledger
from tests.conftest import NOW
from tests.helpers import member


async def test_purchase_on_both_databases(any_db: str) -> None:
    m = await member(NOW)
    result = await earning.award_purchase(m.id, 250_000, receipt="R1", now=NOW)
    assert result.points == 25
    assert result.balance == 45
    assert await ledger.ledger_sum(m.id) == 45


inline = pytest.mark.skipif(
    not patches.applied("sqlite_inline"), reason="PATCHES leaves sqlite_inline off"
)


@inline
async def test_sqlite_statements_run_on_the_event_loops_own_thread(db: str) -> None:
    import threading

    from tortoise import connections

    from bot.sqlite_engine import ClubSqliteClient
    from models import Member

    assert isinstance(connections.get("default"), ClubSqliteClient)
    await Member.all().count()  # the connection is open and answers
    assert not [t.name for t in threading.enumerate() if "_connection_worker_thread" in t.name]


@inline
@pytest.mark.parametrize(("yield_after", "turns"), [(0.0, 60), (3600.0, 0)])
async def test_a_long_run_of_sqlite_statements_gives_the_event_loop_turns(
    db: str, monkeypatch: pytest.MonkeyPatch, yield_after: float, turns: int
) -> None:
    """A job of many statements in a row (a tier review, an import) must not hold the
    loop: members are answered meanwhile, and a SIGTERM is acted on."""
    from bot.sqlite_engine import ClubConnection
    from models import Member

    monkeypatch.setattr(ClubConnection, "yield_after", yield_after)
    await Member.all().count()
    others = 0

    async def other_task() -> None:
        nonlocal others
        while True:
            others += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(other_task())
    try:
        await asyncio.sleep(0)
        before = others
        async with in_transaction():  # in a transaction and out of one
            for _ in range(30):
                await Member.all().count()
        for _ in range(30):
            await Member.all().count()
        assert others - before == turns
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def test_each_database_gets_its_client_and_settings() -> None:
    from bot.db import _keep_session, tortoise_config

    sqlite = tortoise_config("sqlite://data/club.sqlite3?busy_timeout=10000")["connections"][
        "default"
    ]
    assert sqlite["engine"] == "bot.sqlite_engine"
    assert sqlite["credentials"]["file_path"] == "data/club.sqlite3"
    assert sqlite["credentials"]["busy_timeout"] == "10000"
    postgres = tortoise_config("postgres://club@db.example:5432/club")["connections"]["default"]
    assert postgres["engine"] == "tortoise.backends.asyncpg"
    assert (postgres["credentials"]["host"], postgres["credentials"]["database"]) == (
        "db.example",
        "club",
    )
    assert postgres["credentials"]["reset"] is _keep_session  # no reset statement per release
