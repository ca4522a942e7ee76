"""Shared fixtures: a migrated database per test, on SQLite always and PostgreSQL when asked.

`db` is a fresh SQLite file built by the real migrations (copied from a template made
once per session, so each test starts in milliseconds). `any_db` runs a test on SQLite
and, when TEST_POSTGRES_URL is set, again on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

from bot import patches
from bot.settings import Settings

# As `club` does at start-up, before anything imports aiogram; PATCHES=none runs the suite
# with every library patch off.
patches.apply(Settings(_env_file=None))  # PATCHES from the environment only

import pytest  # noqa: E402
from tortoise import Tortoise  # noqa: E402
from tortoise.backends.base.executor import EXECUTOR_CACHE  # noqa: E402
from tortoise.transactions import in_transaction  # noqa: E402

from bot.db import apply_migrations, tortoise_config  # noqa: E402
from handlers.i18n import compile_catalogs  # noqa: E402
from loyalty.rules import ensure_defaults  # noqa: E402

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL")

compile_catalogs()


@pytest.fixture(autouse=True)
def _same_random_draws() -> None:
    """Every test starts `random` from one seed, so a run is reproducible.

    It matters with the dialog_ids patch off (PATCHES=none): aiogram-dialog then draws a
    dialog's id from `random`, one of 100 per second, and an unlucky draw gave a dialog
    and the one it opened the same id (its Back re-showed itself). The first 35 draws of
    `randint(0, 99)` from this seed are all different.
    """
    random.seed(38)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "club.sqlite3"
    asyncio.run(apply_migrations(f"sqlite://{path}"))
    return path


def _forget_compiled_queries() -> None:
    # Tortoise caches INSERT statements per connection name, not per dialect: switching
    # between SQLite and PostgreSQL in one process would reuse SQLite's placeholders.
    EXECUTOR_CACHE.clear()


async def _open(url: str) -> None:
    _forget_compiled_queries()
    await Tortoise.init(config=tortoise_config(url))
    await ensure_defaults()


async def _open_sqlite(template: Path, tmp_path: Path) -> str:
    path = tmp_path / "club.sqlite3"
    shutil.copy(template, path)
    url = f"sqlite://{path}?busy_timeout=10000"
    await _open(url)
    return url


_postgres_fresh = False


async def _fresh_postgres_schema() -> None:
    """Once per run: an empty schema, so migrations from an older checkout cannot linger."""
    global _postgres_fresh
    if _postgres_fresh:
        return
    import asyncpg

    connection = await asyncpg.connect(POSTGRES_URL)
    try:
        await connection.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    finally:
        await connection.close()
    _postgres_fresh = True


async def _open_postgres() -> str:
    assert POSTGRES_URL
    _forget_compiled_queries()
    await _fresh_postgres_schema()
    await apply_migrations(POSTGRES_URL)
    await Tortoise.init(config=tortoise_config(POSTGRES_URL))
    tables = [m._meta.db_table for m in Tortoise.apps["models"].values()]
    tables += ["member_interest"]
    async with in_transaction() as conn:
        await conn.execute_script(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
    await ensure_defaults()
    return POSTGRES_URL


@pytest.fixture
async def db(sqlite_template: Path, tmp_path: Path) -> AsyncIterator[str]:
    """A migrated SQLite database with the default rules, tiers and branch."""
    url = await _open_sqlite(sqlite_template, tmp_path)
    yield url
    await Tortoise.close_connections()


def _backends() -> list[object]:
    postgres = pytest.param(
        "postgres",
        marks=pytest.mark.skipif(
            not POSTGRES_URL, reason="TEST_POSTGRES_URL is not set: no PostgreSQL to test on"
        ),
    )
    return ["sqlite", postgres]


@pytest.fixture(params=_backends())
async def any_db(
    request: pytest.FixtureRequest, sqlite_template: Path, tmp_path: Path
) -> AsyncIterator[str]:
    """The same test on SQLite and, when TEST_POSTGRES_URL is set, on PostgreSQL."""
    if request.param == "sqlite":
        await _open_sqlite(sqlite_template, tmp_path)
    else:
        await _open_postgres()
    yield request.param
    await Tortoise.close_connections()
