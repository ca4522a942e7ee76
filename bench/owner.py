"""The owner's commands in a large club: /report and /export in `club run` with 500,000 members.

    python -m bench.owner                      # SQLite file in a temporary folder
    python -m bench.owner --database-url postgres://postgres@127.0.0.1:5432/test
    python -m bench.owner --members 20000 --purchases 40000   # a smaller club

The PostgreSQL database is emptied first: never point it at a club in use.

Set-up (not measured): members and a year of purchases written in bulk (bench/fill.py).
Then `club run` long-polls the fake Bot API and the owner sends /report (the figures of
30 days, with the customer segments, then the charts) and /export (every member in a
spreadsheet). For each: the time from the command being available to the bot's first
reply, and the peak resident memory of `club run`. While the export is being made,
members open the bot (/start, ten a second): their replies' p99 shows whether the bot
still answers others meanwhile. Prints a table and one JSON line. No target is set by the
issue; the bot's memory target during load (benchmark 6) is 250 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

from bench.chat import Fake, Peak, percentile, start
from bench.club_process import Child, club_env, club_run, fake_bot_api, free_port, wait_until
from bench.fill import fill_members, fill_purchases
from bench.ledger import _reset_postgres
from bench.memory import _polled
from bot import patches
from bot.db import close_db, open_db
from bot.settings import Settings

OWNER = 99_999_999
FIRST_MEMBER = 10_000_000  # bench.fill's Telegram ids
OTHERS = 50  # members opening the bot during the export


async def seed(database_url: str, members: int, purchases: int) -> None:
    await open_db(database_url)
    if database_url.startswith("postgres"):
        await _reset_postgres()
        await close_db()
        await open_db(database_url)
    now = datetime.now(UTC)
    await fill_members(members, now=now)
    await fill_purchases(purchases, members, now=now)
    await close_db()


def command(text: str) -> dict[str, Any]:
    return {"action": "push_message", "kwargs": {"user_id": OWNER, "text": text}}


async def timed(
    fake: Fake, peak: Peak, update_id: int, action: dict[str, Any]
) -> tuple[float, float]:
    """Seconds to the first reply to `action` (update `update_id`), and the peak RSS meanwhile."""
    peak.rss_mb = 0.0
    await fake.push([action])
    record = (await fake.wait_handled(update_id, 1, timeout=1800))[0]
    return record["handled_at"] - record["pushed_at"], peak.rss_mb


async def sent_to_owner(fake: Fake) -> list[dict[str, Any]]:
    async with fake.session.get(f"{fake.base}/sent", params={"chat_id": OWNER}) as resp:
        return await resp.json()


async def quiet(fake: Fake, seconds: float = 2.0, timeout: float = 300) -> None:
    """Until nothing more has reached the owner for `seconds`: the report's charts follow its
    text, and a message sent after /export would be taken for its reply."""
    deadline = time.monotonic() + timeout
    count, since = len(await sent_to_owner(fake)), time.monotonic()
    while time.monotonic() - since < seconds:
        if time.monotonic() > deadline:
            raise TimeoutError(f"messages still reaching the owner after {timeout:.0f} s")
        await asyncio.sleep(0.25)
        now = len(await sent_to_owner(fake))
        if now != count:
            count, since = now, time.monotonic()


async def drive(port: int, child: Child) -> dict[str, Any]:
    async with aiohttp.ClientSession() as session:
        fake = Fake(session, port)
        peak = Peak(child, every=0.05)
        try:
            report_seconds, report_rss = await timed(fake, peak, 1, command("/report 30"))
            await quiet(fake)
            peak.rss_mb = 0.0
            await fake.push([command("/export")])
            # Members (or, for the three in ten not on Telegram in bench.fill, strangers who
            # are asked for their phone): either way a reply is due at once.
            await asyncio.sleep(0.5)
            await fake.push([start(FIRST_MEMBER + n) for n in range(OTHERS)], per_second=10)
            export = (await fake.wait_handled(2, 1, timeout=1800))[0]
            export_rss = peak.rss_mb
            records = await fake.wait_handled(3, OTHERS, timeout=600)
            sent = await sent_to_owner(fake)
        finally:
            peak.stop()
    # What the owner got, so a refusal or an error is not taken for a report: the text,
    # its charts, then the spreadsheet.
    replies = [
        ("document" if "document" in m else "photo" if "photo" in m else "text") for m in sent
    ]
    if replies[0] != "text" or replies[-1] != "document" or "photo" not in replies:
        raise RuntimeError(
            f"unexpected replies to the owner: {[m.get('text') or m.get('caption') for m in sent]}"
        )
    answered = [(r["handled_at"] - r["pushed_at"]) * 1000 for r in records]
    return {
        "report_seconds": round(report_seconds, 2),
        "report_rss_peak_mb": round(report_rss, 1),
        "export_seconds": round(export["handled_at"] - export["pushed_at"], 2),
        "export_rss_peak_mb": round(export_rss, 1),
        "export_caption": sent[-1].get("caption"),
        "others_during_export": len(records),
        "others_p99_ms": round(percentile(answered, 99), 1),
    }


def run(database_url: str, args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    started = time.perf_counter()
    asyncio.run(seed(database_url, args.members, args.purchases))
    fill_seconds = time.perf_counter() - started
    port = free_port()
    with (
        open(folder / "fake.log", "wb") as fake_log,
        open(folder / "club.log", "wb") as club_log,
        fake_bot_api(port, log=fake_log),
        club_run(
            club_env(database_url, bot_api_port=port, OWNER_IDS=str(OWNER)), log=club_log
        ) as child,
    ):
        try:
            wait_until(lambda: _polled(port), "the first getUpdates", timeout=180)
            result = asyncio.run(drive(port, child))
        except BaseException:
            print((folder / "club.log").read_text()[-3000:])
            raise
    return {
        "benchmark": "owner",
        "database": database_url.split(":", 1)[0],
        "members": args.members,
        "purchases": args.purchases,
        "fill_seconds": round(fill_seconds, 1),
        **result,
        "loadavg": Path("/proc/loadavg").read_text().split()[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--members", type=int, default=500_000)
    parser.add_argument("--purchases", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite://{Path(folder) / 'bench.sqlite3'}?busy_timeout=10000"
        result = run(url, args, Path(folder))
    for key, value in result.items():
        print(f"{key:>24}  {value}")
    print(json.dumps(result))


if __name__ == "__main__":
    patches.apply(Settings())  # as `club` does at start-up, before aiogram is imported
    main()
