"""Benchmark 2: a Telegram campaign to 10,000 members through a rate-limited fake Bot API.

    python -m bench.telegram_broadcast                       # SQLite file in a temporary folder
    python -m bench.telegram_broadcast --database-url postgres://postgres@127.0.0.1:5432/club_bench
    python -m bench.telegram_broadcast --rate-limit 30       # Telegram's own limit: about 6 minutes

The members are inserted in bulk (joining 10,000 members one by one is not what is
measured, and takes minutes on a busy machine); the campaign is made through the domain,
`campaigns.create` as the staff command does, then `campaigns.run_due`, which is what
the scheduler's campaign job calls. Then `club run` is started as a child process against
the fake Bot API, which answers 429 (`retry_after` 1) to any send above `--rate-limit` in a
sliding 1-s window; the club sends at TELEGRAM_RATE = `--sender-share` x the limit. The
fake's own record says who got what and when.

Targets: delivered rate at least 95 % of the limit, at most 1 % of the send requests
answered 429, no member twice, none missing. The limit is raised from Telegram's 30/s to
keep the run short (the ratio is what counts). The PostgreSQL database is emptied first.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bench.club_process import (
    club_env,
    club_run,
    control,
    fake_bot_api,
    free_port,
    fresh_database,
    wait_until,
)
from bot import patches
from bot.db import close_db
from bot.settings import Settings
from loyalty import campaigns
from loyalty.clock import utcnow
from models import Member, OutboxMessage, Tier

TZ = ZoneInfo("Asia/Tehran")
TEXT = "جشنواره پاییزه: ۲۰٪ امتیاز بیشتر برای هر خرید تا پایان هفته"
FIRST_TELEGRAM_ID = 7_000_000


async def seed(database_url: str, recipients: int, channel: str) -> dict[str, float]:
    """`recipients` members and one campaign to all of them, enqueued as the job would."""
    await fresh_database(database_url)
    started = time.perf_counter()
    now = utcnow() - timedelta(seconds=1)
    lowest = await Tier.all().order_by("threshold").first()  # as register_member joins them
    await Member.bulk_create(
        [
            Member(
                phone=f"+98912{n:07d}",
                telegram_id=FIRST_TELEGRAM_ID + n if channel == "telegram" else None,
                referral_code=f"B{n:08d}",
                joined_at=now,
                tier=lowest,
            )
            for n in range(recipients)
        ],
        batch_size=1_000,
    )
    seeded = time.perf_counter()
    campaign = await campaigns.create({}, channel, TEXT, now=now)
    await campaigns.run_due(now, TZ)
    queued = await OutboxMessage.filter(campaign_id=campaign.id).count()
    enqueued = time.perf_counter()
    await close_db()
    assert queued == recipients, f"{queued} rows queued for {recipients} members"
    return {
        "seed_seconds": round(seeded - started, 1),
        "enqueue_seconds": round(enqueued - seeded, 1),
    }


def run(
    database_url: str, recipients: int, limit: int, share: float, folder: Path
) -> dict[str, object]:
    timings = asyncio.run(seed(database_url, recipients, "telegram"))
    api_port = free_port()
    expected = {str(FIRST_TELEGRAM_ID + n) for n in range(recipients)}
    with (
        (folder / "fake.log").open("wb") as fake_log,
        (folder / "club.log").open("wb") as club_log,
        fake_bot_api(api_port, rate_limit=limit, log=fake_log),
    ):
        control(api_port, "add_users", {"user_ids": [int(chat) for chat in expected]})
        env = club_env(
            database_url,
            bot_api_port=api_port,
            TELEGRAM_RATE=str(limit * share),
            SMS_POLL_SECONDS="0",
            KAVENEGAR_API_KEY="",
            WEB_PORT=str(free_port()),
        )
        started = time.perf_counter()
        with club_run(env, log=club_log) as club:

            def delivered() -> int:
                if club.process.poll() is not None:
                    raise RuntimeError(f"club run exited; see {folder / 'club.log'}")
                return len(control(api_port, "deliveries")["per_chat"])

            wait_until(
                lambda: delivered() >= recipients, "every recipient", timeout=3600, every=1.0
            )
            seconds = time.perf_counter() - started
            time.sleep(2)  # anything sent twice would go out now
            summary = control(api_port, "deliveries")
            stats = control(api_port, "stats")
    per_chat = summary["per_chat"]
    sends = sum(per_chat.values())
    span = summary["last"] - summary["first"]
    rate = (sends - 1) / span if span > 0 else float("inf")
    too_many = stats["stats"].get("429", 0)
    return {
        "benchmark": "telegram_broadcast",
        "database": database_url.split(":", 1)[0],
        "recipients": recipients,
        "limit_per_second": limit,
        "sender_rate": round(limit * share, 2),
        **timings,
        "seconds": round(seconds, 1),
        "send_seconds": round(span, 1),
        "delivered_per_second": round(rate, 2),
        "delivered_share_of_limit": round(rate / limit, 4),
        "answered_429": too_many,
        "share_429": round(too_many / (sends + too_many), 4),
        "duplicates": sum(1 for n in per_chat.values() if n > 1),
        "missing": len(expected - set(per_chat)),
        "rejected": len(stats["rejected"]),
        "loadavg": Path("/proc/loadavg").read_text().split()[:3],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument(
        "--rate-limit", type=int, default=100, help="the fake's send limit per second"
    )
    parser.add_argument(
        "--sender-share", type=float, default=0.97, help="TELEGRAM_RATE as a share of the limit"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite://{Path(folder) / 'club.sqlite3'}?busy_timeout=10000"
        result = run(url, args.recipients, args.rate_limit, args.sender_share, Path(folder))
        if os.environ.get("BENCH_KEEP_LOGS"):
            print((Path(folder) / "club.log").read_text(errors="replace")[-5000:])
    result["met"] = (
        result["delivered_share_of_limit"] >= 0.95
        and result["share_429"] <= 0.01  # type: ignore[operator]
        and result["duplicates"] == 0
        and result["missing"] == 0
    )
    for key, value in result.items():
        print(f"{key:>26}  {value}")
    print(json.dumps(result))


if __name__ == "__main__":
    patches.apply(Settings())  # as `club` does at start-up, before aiogram is imported
    main()
