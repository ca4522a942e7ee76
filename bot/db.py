"""Opening and closing the store, and applying migrations."""

from __future__ import annotations

import logging
from typing import Any

from tortoise import Tortoise
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.migrations.api import migrate

from bot.settings import DEFAULT_DATABASE_URL

log = logging.getLogger("club.db")


def connection_config(database_url: str) -> str | dict[str, Any]:
    """The URL, except that SQLite runs on the club's own client (bot/sqlite_engine.py)."""
    if not database_url.startswith("sqlite://"):
        return database_url
    return {**expand_db_url(database_url), "engine": "bot.sqlite_engine"}


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
