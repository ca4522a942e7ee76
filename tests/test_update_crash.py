"""The crash suite: `club run` stopped in the middle of a burst of /earn commands loses none.

A burst of 60 `/earn` commands with distinct receipts reaches `club run` through the
webhook (each call answered 200) or through long polling (the whole burst confirmed to
the fake Bot API). At that moment, the worst one, the process gets SIGTERM or kill -9.
Started again, it must record every purchase, each once. Each run prints one line of
figures (sent, answered, recorded at the stop and in the end, lost, doubled).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
from pathlib import Path

import pytest
from tortoise import Tortoise

from bot.db import close_db, open_db
from loyalty.members import register_member
from models import EntryKind, LedgerEntry, Purchase
from tests.club_runner import Club, open_fresh
from tests.conftest import NOW, _backends
from tests.fakes.bot_api import FakeBotAPI
from tests.update_runner import WebhookClub
from tests.waiting import DEADLINE as WAIT

BURST = 60
OWNERS = tuple(range(5301, 5301 + BURST))  # one command each: no flood control in the way
AMOUNT = 100_000


def command(n: int) -> str:
    return f"/earn 0912{n:07d} {AMOUNT} burst-{n}"


async def prepare(backend: str, tmp_path: Path) -> str:
    url = await open_fresh(backend, tmp_path)
    for n in range(BURST):
        await register_member(f"0912{n:07d}", now=NOW)
    await close_db()
    if backend == "postgres":
        await Tortoise.close_connections()
    return url


async def counts() -> tuple[int, int]:
    """Distinct receipts recorded, and purchase credits in the ledger."""
    receipts = len(
        set(await Purchase.filter(receipt__startswith="burst-").values_list("receipt", flat=True))
    )
    credits = await LedgerEntry.filter(kind=EntryKind.EARN).count()
    return receipts, credits


async def wait_for_all() -> tuple[int, int]:
    deadline = asyncio.get_running_loop().time() + WAIT
    while asyncio.get_running_loop().time() < deadline:
        found = await counts()
        if found[0] >= BURST:
            await asyncio.sleep(1.0)  # room for a doubled credit to show, were there one
            return await counts()
        await asyncio.sleep(0.2)
    return await counts()


@pytest.mark.parametrize("backend", _backends())
@pytest.mark.parametrize("stop", ["sigterm", "kill-9"])
@pytest.mark.parametrize("mode", ["webhook", "polling"])
async def test_a_stop_in_a_burst_loses_and_doubles_nothing(
    mode: str, stop: str, backend: str, tmp_path: Path
) -> None:
    url = await prepare(backend, tmp_path)
    async with FakeBotAPI() as api:
        for owner in OWNERS:
            api.add_user(owner, language_code="en")
        club = (WebhookClub if mode == "webhook" else Club)(api, url, tmp_path, owners=OWNERS)
        try:
            await club.start()
            if isinstance(club, WebhookClub):
                statuses = await asyncio.gather(
                    *(
                        club.post(api.push_message(owner, command(n)))
                        for n, owner in enumerate(OWNERS)
                    )
                )
                answered = statuses.count(200)
            else:
                for n, owner in enumerate(OWNERS):
                    api.push_message(owner, command(n))
                await club.until(lambda: not api._updates, "the burst confirmed")
                answered = BURST  # confirmed to Telegram: it will not send them again
            if stop == "sigterm":
                status = await terminate(club)
                assert status == 0, club.log()
            else:
                await club.kill()
            await open_db(url, run_migrations=False)
            at_stop = (await counts())[0]
            await club.start()
            recorded, credits = await wait_for_all()
        finally:
            if isinstance(club, WebhookClub):
                await club.close()
            else:
                await club.kill()
            await close_db()
    figures = {
        "mode": mode,
        "stop": stop,
        "backend": backend,
        "sent": BURST,
        "answered": answered,
        "recorded_at_stop": at_stop,
        "recorded": recorded,
        "lost": BURST - recorded,
        "doubled": credits - recorded,
    }
    record(figures)
    assert answered == BURST
    assert (figures["lost"], figures["doubled"]) == (0, 0), club.log()
    assert "Cannot operate on a closed database" not in club.log()


def record(figures: dict) -> None:
    """Print the run's figures; with CRASH_FIGURES set, add them to that file as well."""
    line = json.dumps(figures)
    print("crash-suite", line)
    if os.environ.get("CRASH_FIGURES"):
        with open(os.environ["CRASH_FIGURES"], "a", encoding="utf-8") as out:
            out.write(line + "\n")


async def terminate(club: Club) -> int:
    assert club.process is not None
    club.process.send_signal(signal.SIGTERM)
    return await asyncio.wait_for(club.process.wait(), WAIT)
