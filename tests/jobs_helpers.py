"""Builders for the scheduled-work tests: members made directly, a fake clock, bots on fakes,
other processes to hold claims."""

from __future__ import annotations

import socket
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime
from itertools import count
from typing import Self

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from bot.liveness import Heartbeat, Place, pid_space, pid_started
from models import Channel, Member
from tests.fakes.bot_api import FakeBotAPI

_ids = count(1)


class FakeClock:
    """Monotonic seconds that only move when a test (or a sleep) moves them."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


async def make_member(
    now: datetime,
    *,
    telegram: bool = True,
    preferred: Channel = Channel.TELEGRAM,
    locale: str = "fa",
    birth_date: date | None = None,
    **values: object,
) -> Member:
    n = next(_ids)
    return await Member.create(
        phone=f"+98912{n:07d}",
        telegram_id=500_000 + n if telegram else None,
        reachable_telegram=telegram,
        preferred_channel=preferred,
        locale=locale,
        birth_date=birth_date,
        referral_code=f"R{n:08d}",
        joined_at=now,
        **values,
    )


@asynccontextmanager
async def bot_on(api: FakeBotAPI) -> AsyncIterator[Bot]:
    bot = Bot(api.token, session=AiohttpSession(api=TelegramAPIServer.from_base(api.base_url)))
    try:
        yield bot
    finally:
        await bot.session.close()


class OtherProcess:
    """A real process on this machine, in whose name a test's sender or lease claims work."""

    def __init__(self) -> None:
        self.child = subprocess.Popen(["sleep", "600"])
        place = Place(
            socket.gethostname()[:60], pid_space(), self.child.pid, pid_started(self.child.pid) or 0
        )
        self.heartbeat = Heartbeat(place)

    def kill(self) -> None:
        """kill -9, and reaped, as a service manager or a shell reaps it."""
        self.child.kill()
        self.child.wait()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.kill()
