"""How long a member waits for the answer to an SMS: webhook call to Kavenegar's send.

    python -m bench.sms_reply                         # SQLite file in a temporary folder
    python -m bench.sms_reply --database-url postgres://postgres@127.0.0.1:5432/club_bench

`club run` serves the SMS webhook; the fake Kavenegar runs in this process and notes the
moment each SMS reaches it. Members text one after another (each call after the last
answer arrived, `--pause` apart): JOIN from new numbers (a member written, points given),
then POINTS from the same numbers (reads only). The latency of one message is from the
start of its webhook call to the moment the fake Kavenegar took its answer.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from bench.club_process import club_env, club_run, fake_bot_api, free_port, fresh_database
from bot import patches
from bot.db import close_db
from bot.settings import Settings
from tests.fakes.kavenegar import FakeKavenegar

SECRET = "bench-sms-secret"
LINE = "10008663"


class TimedKavenegar(FakeKavenegar):
    """The fake, noting when each SMS arrived."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.arrived: list[float] = []

    def _deliver(self, item: tuple[str, str, str | None], sender: str) -> dict[str, Any]:
        self.arrived.append(time.perf_counter())
        return super()._deliver(item, sender)


async def _wait(check: Any, what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up waiting for {what}")
        await asyncio.sleep(0.001)


async def measure(
    base: str, kave: TimedKavenegar, texts: list[tuple[str, str]], pause: float
) -> list[float]:
    latencies = []
    async with aiohttp.ClientSession() as http:
        for n, (sender, text) in enumerate(texts):
            before = len(kave.arrived)
            started = time.perf_counter()
            form = {
                "from": sender,
                "to": LINE,
                "message": text,
                "messageid": f"{int(started * 1e6)}{n}",
            }
            async with http.post(f"{base}/sms/{SECRET}", data=form) as response:
                assert response.status == 200, await response.text()

            async def answered(before: int = before) -> bool:
                return len(kave.arrived) > before

            await _wait(answered, f"the answer to message {n}")
            latencies.append((kave.arrived[before] - started) * 1000)
            await asyncio.sleep(pause)
    return latencies


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "p50_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 1),
        "max_ms": round(ordered[-1], 1),
    }


async def run(database_url: str, members: int, pause: float, folder: Path) -> dict[str, object]:
    await fresh_database(database_url)
    await close_db()
    api_port, web_port = free_port(), free_port()
    async with TimedKavenegar(api_key="FAKE-API-KEY") as kave:
        with (
            (folder / "fakes.log").open("ab") as fake_log,
            (folder / "club.log").open("ab") as club_log,
            fake_bot_api(api_port, log=fake_log),
        ):
            env = club_env(
                database_url,
                bot_api_port=api_port,
                SMS_POLL_SECONDS="0",
                SMS_WEBHOOK_SECRET=SECRET,
                WEB_PORT=str(web_port),
                KAVENEGAR_API_KEY=kave.api_key,
                KAVENEGAR_SENDER=LINE,
                KAVENEGAR_API_BASE=kave.base_url,
            )
            with club_run(env, log=club_log):
                base = f"http://127.0.0.1:{web_port}"

                async def up() -> bool:
                    try:
                        async with (
                            aiohttp.ClientSession() as http,
                            http.get(f"{base}/healthz") as r,
                        ):
                            return r.status == 200
                    except aiohttp.ClientError:
                        return False

                await _wait(up, "club run's web app")
                phones = [f"0935{n:07d}" for n in range(members)]
                joins = await measure(base, kave, [(p, "JOIN") for p in phones], pause)
                points = await measure(base, kave, [(p, "POINTS") for p in phones], pause)
    return {
        "database": database_url.split(":", 1)[0],
        "join": summary(joins),
        "points": summary(points),
        "loadavg": [round(x, 2) for x in os.getloadavg()],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--members", type=int, default=100)
    parser.add_argument("--pause", type=float, default=0.05, help="seconds between messages")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite://{Path(folder) / 'reply.sqlite3'}?busy_timeout=10000"
        result = {
            "benchmark": "sms_reply",
            "members": args.members,
            **asyncio.run(run(url, args.members, args.pause, Path(folder))),
        }
    for key, value in result.items():
        print(f"{key:>12}  {value}")
    print(json.dumps(result))


if __name__ == "__main__":
    patches.apply(Settings())  # as `club` does at start-up, before aiogram is imported
    main()
