"""Benchmark 5: today's birthdays and a campaign's reach among 1,000,000 members.

    python -m bench.audiences                   # SQLite file in a temporary folder
    python -m bench.audiences --database-url postgres://postgres@127.0.0.1:5432/test
    python -m bench.audiences --members 100000  # a smaller club

The PostgreSQL database is emptied first: never point it at a club in use.

The members are written in bulk (bench/fill.py; not measured). Then, through the functions
the birthday job and the campaign dialog call, it times `birthdays_on` on an ordinary day
and on the last day of a common Jalali year (two birthday keys), and the reach of the
campaign "tier silver, no purchase for 60 days" by Telegram with SMS fallback
(`campaigns.preview`, what staff see before confirming), and prints the plan the
database chose for each statement they ran. Prints a table and one JSON line. Targets:
birthdays under 0.5 s, the reach under 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from tortoise import Tortoise

from bench.fill import fill_members
from bench.ledger import _reset_postgres
from bot import patches
from bot.db import close_db, open_db
from bot.settings import Settings
from handlers.sms.text import sms_parts
from loyalty import campaigns
from loyalty.audiences import birthdays_on

TZ = ZoneInfo("Asia/Tehran")
NOW = datetime(2026, 3, 19, 6, 30, tzinfo=UTC)  # 1404-12-28, a Thursday morning in Tehran
ORDINARY_DAY = date(2026, 5, 14)
LAST_DAY_OF_1404 = date(2026, 3, 20)  # Esfand 29 of a common year: Esfand 30 is celebrated too
AUDIENCE = {"tier": "silver", "inactive_days": 60}
TEXT = "حراج پایان سال: ۲۰٪ تخفیف تا آخر هفته"
REPEAT = 3


class _Statements(logging.Handler):
    """The SQL statements and parameters the database client logs while it is attached."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.seen: list[tuple[str, list[Any]]] = []

    def emit(self, record: logging.LogRecord) -> None:
        if (
            isinstance(record.args, tuple)
            and len(record.args) == 2
            and isinstance(record.args[0], str)
        ):
            self.seen.append((record.args[0], list(record.args[1] or [])))


async def _statements(call: Callable[[], Awaitable[object]]) -> list[tuple[str, list[Any]]]:
    logger = logging.getLogger("tortoise.db_client")
    handler, level = _Statements(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        await call()
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    return handler.seen


async def _plans(call: Callable[[], Awaitable[object]]) -> list[str]:
    """EXPLAIN (QUERY PLAN) of every statement `call` runs on the member table."""
    connection = Tortoise.get_connection("default")
    postgres = connection.capabilities.dialect == "postgres"
    plans = []
    for query, values in await _statements(call):
        if '"member"' not in query:
            continue
        explain = "EXPLAIN " if postgres else "EXPLAIN QUERY PLAN "
        rows = await connection.execute_query_dict(explain + query, values)
        lines = [r["QUERY PLAN"] for r in rows] if postgres else [r["detail"] for r in rows]
        plans.append(query + "\n      " + "\n      ".join(lines))
    return plans


async def _timed(call: Callable[[], Awaitable[Any]]) -> tuple[list[float], Any]:
    seconds, result = [], None
    for _ in range(REPEAT):
        started = time.perf_counter()
        result = await call()
        seconds.append(round(time.perf_counter() - started, 4))
    return seconds, result


async def run(database_url: str, members: int) -> dict[str, object]:
    await open_db(database_url)
    if database_url.startswith("postgres"):
        await _reset_postgres()
        await close_db()
        await open_db(database_url)
    started = time.perf_counter()
    await fill_members(members, now=NOW)
    fill_seconds = time.perf_counter() - started

    def reach() -> Awaitable[campaigns.Preview]:
        return campaigns.preview(
            AUDIENCE, "telegram_sms", TEXT, now=NOW, tz=TZ, sms_parts=sms_parts
        )

    ordinary, greeted = await _timed(lambda: birthdays_on(ORDINARY_DAY))
    last_day, greeted_last = await _timed(lambda: birthdays_on(LAST_DAY_OF_1404))
    reach_seconds, preview = await _timed(reach)
    plans = await _plans(lambda: birthdays_on(LAST_DAY_OF_1404)) + await _plans(reach)
    await close_db()
    return {
        "benchmark": "audiences",
        "database": database_url.split(":", 1)[0],
        "members": members,
        "fill_seconds": round(fill_seconds, 1),
        "birthdays_seconds": ordinary,
        "birthdays_found": len(greeted),
        "birthdays_last_day_seconds": last_day,
        "birthdays_last_day_found": len(greeted_last),
        "reach_seconds": reach_seconds,
        "reach_telegram": preview.telegram,
        "reach_sms": preview.sms,
        "birthdays_target_met": max(min(ordinary), min(last_day)) < 0.5,
        "reach_target_met": min(reach_seconds) < 2.0,
        "loadavg": os.getloadavg()[0],
        "plans": plans,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--members", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite://{Path(folder) / 'bench.sqlite3'}?busy_timeout=10000"
        result = asyncio.run(run(url, args.members))
    for key, value in result.items():
        if key != "plans":
            print(f"{key:>28}  {value}")
    print("plans:")
    for plan in result["plans"]:  # type: ignore[union-attr]
        print("  " + plan)
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    patches.apply(Settings())  # as `club` does at start-up, before aiogram is imported
    main()
