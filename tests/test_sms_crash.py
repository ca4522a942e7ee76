"""kill -9 and SIGTERM of `club run` in the middle of a burst of SMS on its webhook.

Forty members text JOIN at once (eight calls at a time, as Kavenegar forwards them); after
the 15th 200 the process group gets SIGKILL, or SIGTERM. Then, as Kavenegar does, every
message that did not get 200 is sent again to the restarted club, and so are some that
did (Kavenegar repeats a call whose answer it lost). In the end every message is stored
once, decided once, and its sender has exactly one answer by SMS: nothing acknowledged is
lost and nothing is doubled.

On PostgreSQL the test also holds one sender's lock (the one `inbound.process` takes) so
that this sender's message is surely stored and acknowledged but not decided when the
signal comes: after kill -9 it is left `received` and the restarted club's sweep decides
it; after SIGTERM the club waits for it before it exits.

The restarted club finds the dead process's pid gone and takes its jobs lease and outbox
claims at once. Each run prints its figures (pytest -s), for BENCHMARKS.md.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
from collections import Counter
from collections.abc import Awaitable
from dataclasses import asdict, dataclass
from pathlib import Path

import aiohttp
import asyncpg
import pytest
from tortoise import Tortoise

from bot.db import close_db, open_db
from models import InboundOutcome, InboundSms, Member, OutboxMessage, OutboxStatus
from tests.club_runner import Club, open_fresh
from tests.conftest import POSTGRES_URL, _backends
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.kavenegar import FakeKavenegar
from tests.helpers import free_port
from tests.waiting import DEADLINE as WAIT
from tests.waiting import eventually

MESSAGES = 40
SIGNAL_AFTER = 15  # acknowledgements before the signal
AT_ONCE = 8
REPEATED = 5  # acknowledged messages Kavenegar sends again after the restart
SECRET = "crash-secret"
LINE = "10008663"
HELD = 3  # on PostgreSQL, this sender's message is held undecided


def phone(n: int) -> str:
    return f"0912{n:07d}"


@dataclass
class Figures:
    backend: str
    signal: str
    sent: int = MESSAGES
    answered_200: int = 0  # before the signal
    stored_at_signal: int = 0
    decided_at_signal: int = 0
    answered_at_signal: int = 0  # SMS answers Kavenegar had taken
    sent_again: int = 0
    stored: int = 0
    decided: int = 0
    answered: int = 0
    lost: int = 0
    doubled: int = 0


class Burst:
    """The messages, each sent as Kavenegar forwards it; which got 200."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.acked: set[int] = set()
        self.enough = asyncio.Event()

    async def send(self, numbers: list[int]) -> None:
        gate = asyncio.Semaphore(AT_ONCE)
        timeout = aiohttp.ClientTimeout(total=WAIT)
        async with aiohttp.ClientSession(timeout=timeout) as http:

            async def one(n: int) -> None:
                form = {"from": phone(n), "to": LINE, "message": "JOIN", "messageid": str(5000 + n)}
                async with gate:
                    try:
                        async with http.post(self.url, data=form) as response:
                            if response.status == 200:
                                self.acked.add(n)
                    except (aiohttp.ClientError, TimeoutError):
                        return  # no 200: Kavenegar keeps the message and calls again
                if len(self.acked) >= SIGNAL_AFTER:
                    self.enough.set()

            await asyncio.gather(*(one(n) for n in numbers))


async def wait_for(check, what: str, club: Club) -> None:
    await eventually(check, lambda: f"{what}\n{club.log()}", every=0.1)


async def web_up(url: str) -> bool:
    try:
        async with aiohttp.ClientSession() as http, http.get(url) as response:
            return response.status == 200
    except aiohttp.ClientError:
        return False


async def in_store(url: str, backend: str, read):
    await open_db(url, run_migrations=False)
    try:
        return await read()
    finally:
        await close_db()
        if backend == "postgres":
            await Tortoise.close_connections()


async def stored_and_decided() -> tuple[set[str], set[str]]:
    rows = await InboundSms.all().values_list("messageid", "outcome")
    return {m for m, _ in rows}, {m for m, o in rows if o is not InboundOutcome.RECEIVED}


async def hold_a_sender(backend: str) -> asyncpg.Connection | None:
    if backend != "postgres":
        return None
    connection = await asyncpg.connect(POSTGRES_URL)
    await connection.execute("SELECT pg_advisory_lock(7001, hashtext($1))", f"+98{phone(HELD)[1:]}")
    return connection


async def stop(club: Club, how: signal.Signals, held: asyncpg.Connection | None) -> None:
    assert club.process is not None
    os.killpg(club.process.pid, how)
    if held is not None:
        await held.close()  # SIGTERM waits for the held message; after SIGKILL it stays undecided
    await asyncio.wait_for(club.process.wait(), WAIT)


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM], ids=["kill-9", "sigterm"])
@pytest.mark.parametrize("backend", _backends())
async def test_no_sms_is_lost_or_doubled_when_club_run_stops(
    backend: str, how: signal.Signals, tmp_path: Path
) -> None:
    url = await open_fresh(backend, tmp_path)
    await close_db()
    if backend == "postgres":
        await Tortoise.close_connections()
    figures = Figures(backend, "SIGKILL" if how is signal.SIGKILL else "SIGTERM")
    async with FakeBotAPI() as api, FakeKavenegar() as kave:
        club = Club(api, url, tmp_path)
        club.env |= {
            "KAVENEGAR_API_KEY": kave.api_key,
            "KAVENEGAR_SENDER": LINE,
            "KAVENEGAR_API_BASE": kave.base_url,
            "SMS_WEBHOOK_SECRET": SECRET,
            # Kavenegar calls one address: the restarted club must listen on the same port.
            "WEB_PORT": str(free_port()),
        }
        base = f"http://127.0.0.1:{club.env['WEB_PORT']}"
        burst = Burst(f"{base}/sms/{SECRET}")
        held = await hold_a_sender(backend)
        try:
            await club.start()
            await wait_for(lambda: web_up(f"{base}/healthz"), "the web app", club)
            first = asyncio.create_task(burst.send([HELD] if held else []))
            await first  # the held sender's message is stored and acknowledged first
            sending = asyncio.create_task(
                burst.send([n for n in range(MESSAGES) if n not in burst.acked])
            )
            await asyncio.wait(
                [sending, asyncio.create_task(burst.enough.wait())],
                return_when=asyncio.FIRST_COMPLETED,
            )
            await stop(club, how, held)
            await sending
            acked_before = set(burst.acked)
            figures.answered_200 = len(acked_before)
            figures.answered_at_signal = len(kave.delivered)
            stored, decided = await in_store(url, backend, stored_and_decided)
            figures.stored_at_signal, figures.decided_at_signal = len(stored), len(decided)
            lost_at_signal = {str(5000 + n) for n in acked_before} - stored
            if held is not None:
                assert HELD in acked_before
                if how is signal.SIGKILL:  # stored, acknowledged, not decided: the sweep's work
                    assert str(5000 + HELD) in stored - decided

            await club.start()
            await wait_for(lambda: web_up(f"{base}/healthz"), "the web app again", club)
            again = [n for n in range(MESSAGES) if n not in acked_before]
            again += sorted(acked_before)[:REPEATED]
            figures.sent_again = len(again)
            burst.acked.clear()
            await burst.send(again)
            assert burst.acked == set(again)  # the restarted club takes every call

            async def all_answered() -> bool:
                if len({to for to, _, _ in kave.delivered}) < MESSAGES:
                    return False

                def sent() -> Awaitable[int]:
                    return OutboxMessage.filter(status=OutboxStatus.SENT).count()

                return await in_store(url, backend, sent) >= MESSAGES

            await wait_for(all_answered, "every answer", club)
            await asyncio.sleep(1)  # anything sent twice would go out now
        finally:
            await club.kill()

    async def final() -> tuple[list[tuple[str, InboundOutcome]], int, int]:
        rows = await InboundSms.all().values_list("messageid", "outcome")
        answers = await OutboxMessage.filter(key__startswith="sms-reply:").count()
        return rows, await Member.all().count(), answers

    rows, members, answers = await in_store(url, backend, final)
    decided_ids = {m for m, o in rows if o is InboundOutcome.ANSWERED}
    per_phone = Counter(to for to, _, _ in kave.delivered)
    figures.stored, figures.decided, figures.answered = len(rows), len(decided_ids), len(per_phone)
    expected = {phone(n) for n in range(MESSAGES)}
    figures.lost = len(expected - set(per_phone)) + len(lost_at_signal)
    figures.doubled = (
        sum(n - 1 for n in per_phone.values())
        + max(0, figures.stored - MESSAGES)
        + max(0, members - MESSAGES)
        + max(0, answers - MESSAGES)
    )
    print("sms crash run:", json.dumps(asdict(figures)))
    assert decided_ids == {str(5000 + n) for n in range(MESSAGES)}
    assert set(per_phone) == expected and set(per_phone.values()) == {1}
    assert (figures.stored, members, answers) == (MESSAGES, MESSAGES, MESSAGES)
    assert lost_at_signal == set()  # every 200 went out after its message was stored
    assert (figures.lost, figures.doubled) == (0, 0)
