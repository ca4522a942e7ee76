"""kill -9 of `club run` during a burst of /earn commands costs nothing acknowledged.

The real command long-polls the fake Bot API while 60 owners each record one purchase.
After a number of "Purchase recorded" replies (the cashier's acknowledgement) it is
killed with SIGKILL and started again; every owner whose command got no answer sends it
again, as a cashier would, and a few who did get an answer send it again too. In the end
every purchase is recorded exactly once, every acknowledged one among them, and every
balance equals its member's ledger.

Telegram's long polling confirms a batch of updates when the next batch is asked for, so
commands fetched but not yet handled at the kill are not delivered again: their
cashiers saw no answer and send them again, which is what this test does.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest
from tortoise import Tortoise

from bot.db import apply_migrations, close_db, open_db
from loyalty import ledger
from loyalty.members import register_member
from models import Member, Purchase
from tests.conftest import NOW, _backends, _open_postgres
from tests.fakes.bot_api import FakeBotAPI
from tests.helpers import free_port

OWNERS = tuple(range(5001, 5061))
AMOUNT = 100_000  # 10 points at the default rules
KILL_AFTER = 15  # acknowledgements before the kill
RETRIED_ANYWAY = 3  # acknowledged commands a cashier sends again all the same
WAIT = 120.0  # generous: importing the bot takes seconds of CPU on a busy machine
RECORDED = "Purchase recorded: 10 points earned."
ALREADY = "This receipt was already recorded: 10 points were earned then."


def phone(n: int) -> str:
    return f"0912{n:07d}"


def command(n: int) -> str:
    return f"/earn {phone(n)} {AMOUNT} crash-{n}"


async def until(check, what: str) -> None:  # type: ignore[no-untyped-def]
    for _ in range(int(WAIT / 0.02)):
        if check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


async def prepare(backend: str, tmp_path: Path) -> str:
    if backend == "sqlite":
        url = f"sqlite://{tmp_path / 'club.sqlite3'}?busy_timeout=10000"
        await apply_migrations(url)
        await open_db(url, run_migrations=False)
    else:
        url = await _open_postgres()
    for n in range(len(OWNERS)):
        await register_member(phone(n), now=NOW)
    await close_db()
    return url


class Club:
    """`club run` in long-polling mode against the fake, as a child process group."""

    def __init__(self, api: FakeBotAPI, url: str, tmp_path: Path) -> None:
        self.env = {
            **{k: v for k, v in os.environ.items() if k not in ("WEBHOOK_URL", "WEB_WORKERS", "REDIS_URL")},
            "BOT_TOKEN": api.token, "TELEGRAM_API_BASE": api.base_url, "DATABASE_URL": url,
            "OWNER_IDS": ",".join(map(str, OWNERS)), "DEFAULT_LOCALE": "en",
            "KAVENEGAR_API_KEY": "", "SMS_POLL_SECONDS": "0",
            # The web app (health, SMS webhook) listens in polling mode too: not on a port in use.
            "WEB_HOST": "127.0.0.1", "WEB_PORT": str(free_port()),
        }
        self.tmp_path = tmp_path
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with (self.tmp_path / "club.log").open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot.cli", "run", env=self.env, cwd=self.tmp_path,
                stdout=log, stderr=asyncio.subprocess.STDOUT, start_new_session=True)

    async def kill(self) -> None:
        assert self.process is not None
        if self.process.returncode is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        await self.process.wait()

    def log(self) -> str:
        return (self.tmp_path / "club.log").read_text(errors="replace")


def answers(api: FakeBotAPI) -> dict[int, list[str]]:
    """The texts each owner received, in order."""
    texts: dict[int, list[str]] = {owner: [] for owner in OWNERS}
    for method, params in list(api.calls):
        if method == "sendMessage" and params["chat_id"] in texts:
            texts[params["chat_id"]].append(params["text"])
    return texts


@pytest.mark.parametrize("backend", _backends())
async def test_kill_9_during_a_burst_of_earn_commands(backend: str, tmp_path: Path) -> None:
    url = await prepare(backend, tmp_path)
    async with FakeBotAPI() as api:
        for owner in OWNERS:
            api.add_user(owner, language_code="en")
        club = Club(api, url, tmp_path)
        try:
            for n, owner in enumerate(OWNERS):
                api.push_message(owner, command(n), language_code="en")
            await club.start()

            def acknowledged() -> set[int]:
                return {owner for owner, texts in answers(api).items() if texts}

            await until(lambda: len(acknowledged()) >= KILL_AFTER, f"{KILL_AFTER} acknowledgements\n{club.log()}")
            await club.kill()
            acked = acknowledged()
            assert all(texts in ([], [f"{RECORDED} Balance: 30. Tier: Bronze."])
                       for texts in answers(api).values())
            assert len(acked) < len(OWNERS), "the kill came after the burst: nothing was tested"

            await club.start()
            unanswered = [n for n, owner in enumerate(OWNERS) if owner not in acked]
            again = unanswered + [n for n, owner in enumerate(OWNERS) if owner in acked][:RETRIED_ANYWAY]
            for n in again:
                api.push_message(OWNERS[n], command(n), language_code="en")
            await until(lambda: all(len(answers(api)[OWNERS[n]]) >= (2 if OWNERS[n] in acked else 1)
                                    for n in again), f"answers after the restart\n{club.log()}")
        finally:
            await club.kill()

    texts = answers(api)
    for n in again:
        last = texts[OWNERS[n]][-1]
        # Recorded before the kill without an answer, or a second send: the same result.
        assert last.startswith((RECORDED, ALREADY)) and last.endswith("Balance: 30. Tier: Bronze."), last

    await open_db(url, run_migrations=False)
    try:
        purchases = await Purchase.all().values_list("receipt", flat=True)
        assert sorted(purchases) == sorted(f"crash-{n}" for n in range(len(OWNERS)))  # each exactly once
        for member in await Member.all():
            assert member.balance == 30 == await ledger.ledger_sum(member.id)
    finally:
        await close_db()
        if backend == "postgres":
            await Tortoise.close_connections()
