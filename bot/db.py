"""Opening and closing the store, and applying migrations."""

from __future__ import annotations

import logging
from typing import Any

from tortoise import Tortoise
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.migrations.api import migrate

from bot.settings import DEFAULT_DATABASE_URL

log = logging.getLogger("club.db")


async def _keep_session(connection: Any) -> None:
    """Nothing to reset when a PostgreSQL connection goes back to the pool.

    asyncpg's default runs `SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *;
    RESET ALL` on every release, a round trip per transaction; the club leaves nothing
    of the kind on a connection (no session advisory locks, cursors, LISTEN or SET; its
    advisory locks are a transaction's, and end with it). An open transaction is still
    rolled back by asyncpg before this is called.
    """


def connection_config(database_url: str) -> str | dict[str, Any]:
    """The URL, with the club's own SQLite client (bot/sqlite_engine.py) and, on
    PostgreSQL, no reset statement each time a connection goes back to the pool."""
    if database_url.startswith("sqlite://"):
        return {**expand_db_url(database_url), "engine": "bot.sqlite_engine"}
    if database_url.startswith(("postgres://", "postgresql://", "asyncpg://")):
        config = expand_db_url(database_url)
        config["credentials"]["reset"] = _keep_session
        return config
    return database_url


def tortoise_config(database_url: str) -> dict[str, Any]:
    return {
        "connections": {"default": connection_config(database_url)},
        "apps": {
            "models": {
                "models": ["models"],
                "migrations": "models.migrations",
                "default_connection": "default",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


# For Tortoise's own command line (`tortoise makemigrations`), see [tool.tortoise].
TORTOISE_ORM = tortoise_config(DEFAULT_DATABASE_URL)


def _ensure_sqlite_folder(database_url: str) -> None:
    from pathlib import Path

    if not database_url.startswith("sqlite://"):
        return
    path = database_url.removeprefix("sqlite://").split("?", 1)[0]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)


async def apply_migrations(database_url: str) -> None:
    _ensure_sqlite_folder(database_url)
    await migrate(config=tortoise_config(database_url))
    await Tortoise.close_connections()


async def open_db(database_url: str, *, run_migrations: bool = True) -> None:
    """Connect, migrate to the latest schema, and make sure the default rules exist."""
    _ensure_sqlite_folder(database_url)
    if run_migrations:
        await apply_migrations(database_url)
    await Tortoise.init(config=tortoise_config(database_url))
    from loyalty.rules import ensure_defaults

    await ensure_defaults()


async def close_db() -> None:
    await Tortoise.close_connections()
