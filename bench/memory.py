"""Benchmark 6 (idle): resident memory and start-up time of `club run` with 100,000 members.

    python -m bench.memory                      # SQLite file in a temporary folder
    python -m bench.memory --database-url postgres://postgres@127.0.0.1:5432/test
    python -m bench.memory --members 0 --idle 10

The PostgreSQL database is emptied first: never point it at a club in use.

The members are written in bulk (bench/fill.py). Then `club run` starts as an owner
starts it, long polling the fake Bot API, and is left idle for `--idle` seconds, past the
scheduler's first ticks (the outbox every 5 s, the lease at 20 s, with its catch-up of
the daily jobs). Start-up is the time from the spawn to the first getUpdates. Prints a
table and one JSON line. Target: under 150 MB resident when idle.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.club_process import club_env, club_run, fake_bot_api, free_port, wait_until
from bench.fill import fill_members
from bench.ledger import _reset_postgres
from bot import patches
from bot.db import close_db, open_db
from bot.settings import Settings

TARGET_MB = 150
SAMPLE_SECONDS = 0.5


async def _prepare(database_url: str, members: int) -> None:
    await open_db(database_url)
    if database_url.startswith("postgres"):
        await _reset_postgres()
        await close_db()
        await open_db(database_url)
    await fill_members(members)
    await close_db()


def _polled(port: int) -> bool:
    """The bot has asked for updates: getMe, then the first (long) getUpdates."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_fake/stats", timeout=5) as answer:
        return json.load(answer)["stats"].get("requests", 0) >= 2


def run(database_url: str, members: int, idle: float, log_path: Path) -> dict[str, object]:
    asyncio.run(_prepare(database_url, members))
    port = free_port()
    with log_path.open("wb") as log, fake_bot_api(port, log=log):
        started = time.perf_counter()
        env = club_env(
            database_url, bot_api_port=port, WEB_PORT=str(free_port())
        )  # 8080 may be taken
        with club_run(env, log=log) as club:
            wait_until(lambda: club._alive() and _polled(port), "the first getUpdates", timeout=180)
            startup = time.perf_counter() - started
            samples = [club.rss_mb()]
            deadline = time.perf_counter() + idle
            while time.perf_counter() < deadline:
                time.sleep(SAMPLE_SECONDS)
                club._alive()
                samples.append(club.rss_mb())
            status = club.stop()
    return {
        "benchmark": "memory_idle",
        "database": database_url.split(":", 1)[0],
        "members": members,
        "startup_seconds": round(startup, 2),
        "idle_seconds": idle,
        "rss_mb_at_start": round(samples[0], 1),
        "rss_mb_peak": round(max(samples), 1),
        "rss_mb_end": round(samples[-1], 1),
        "target_mb": TARGET_MB,
        "target_met": max(samples) < TARGET_MB,
        "exit_status": status,
        "loadavg": os.getloadavg()[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--idle", type=float, default=30.0, help="seconds left idle after start-up")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite://{Path(folder) / 'bench.sqlite3'}?busy_timeout=10000"
        log = Path(folder) / "club.log"
        try:
            result = run(url, args.members, args.idle, log)
        except (RuntimeError, TimeoutError):
            print(log.read_text(errors="replace")[-3000:])  # what the club and the fake said
            raise
    for key, value in result.items():
        print(f"{key:>18}  {value}")
    print(json.dumps(result))


if __name__ == "__main__":
    patches.apply(Settings())  # as `club` does at start-up, before aiogram is imported
    main()
