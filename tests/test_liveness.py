"""When a claim's holder is dead: a killed pid here, a lapsed heartbeat elsewhere; a live
holder keeps what it holds.

The holders are real processes of this machine (`OtherProcess`, killed with SIGKILL), or
a process described as running on another machine, whose pid means nothing here.
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Iterable
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from aiogram import Bot

from bot.liveness import Heartbeat, Place, pid_space, pid_started
from bot.outbox import OutboxSender
from bot.scheduler import Lease
from loyalty import notify
from models import ClubProcess, Member, OutboxMessage
from tests.conftest import NOW
from tests.fakes.bot_api import FakeBotAPI
from tests.jobs_helpers import OtherProcess, bot_on, make_member
from tests.waiting import eventually

pytestmark = pytest.mark.skipif(not pid_space(), reason="no /proc: pids are not checked here")

TZ = ZoneInfo("Asia/Tehran")
LONG = timedelta(minutes=10)  # a lease that outlives the heartbeat, to tell the two apart


def elsewhere() -> Heartbeat:
    """A process on another machine: its pid is not one of this machine's."""
    return Heartbeat(Place("other-host", "another-boot/pid:[4026531836]", 999_999, 1))


async def members_waiting(api: FakeBotAPI, count: int) -> list[Member]:
    members = []
    for _ in range(count):
        m = await make_member(NOW, locale="en")
        api.add_user(m.telegram_id)
        members.append(m)
        await notify.enqueue(m.id, "staff_reply", f"r:{m.id}", now=NOW, params={"text": "hi"})
    return members


async def hold_in_hand(bot: Bot, api: FakeBotAPI, process: Heartbeat) -> None:
    """A sender of `process` claims every row and stops at the first, which Telegram holds."""
    api.hang_call("sendMessage", 1)
    drain = asyncio.create_task(
        OutboxSender(bot=bot, gateway=None, tz=TZ, rate=1000, process=process).drain(NOW)
    )
    await eventually(lambda: api.hung, "the first message, held by the fake")
    drain.cancel()
    with pytest.raises(asyncio.CancelledError):
        await drain


def each_once(api: FakeBotAPI, members: Iterable[Member]) -> bool:
    return all(len(api.sent_to(m.telegram_id)) == 1 for m in members)


async def test_a_killed_process_here_frees_its_outbox_claims_at_once(any_db: str) -> None:
    async with FakeBotAPI() as api, bot_on(api) as bot:
        members = await members_waiting(api, 5)
        with OtherProcess() as holder:
            await hold_in_hand(bot, api, holder.heartbeat)
            before = OutboxSender(bot=bot, gateway=None, tz=TZ, rate=1000)
            assert (
                await before.drain(NOW + timedelta(seconds=1))
            ).claimed == 0  # alive: its claims hold
            holder.kill()
        restarted = OutboxSender(bot=bot, gateway=None, tz=TZ, rate=1000)
        assert (await restarted.drain(NOW + timedelta(seconds=2))).sent == 5  # not 600 s later
        assert each_once(api, members)  # the held first message never reached Telegram


async def test_a_killed_process_here_frees_the_lease_at_once(any_db: str) -> None:
    with OtherProcess() as holder:
        assert await Lease(process=holder.heartbeat, ttl=LONG).acquire(NOW)
        assert not await Lease(process=Heartbeat()).acquire(NOW + timedelta(seconds=1))
        holder.kill()
    assert await Lease(process=Heartbeat()).acquire(NOW + timedelta(seconds=2))


async def test_a_process_elsewhere_is_dead_when_its_heartbeat_lapses(any_db: str) -> None:
    other = elsewhere()
    assert await Lease(process=other, ttl=LONG).acquire(NOW)
    await other.beat(NOW + timedelta(seconds=50))
    mine = Lease(process=Heartbeat())
    assert not await mine.acquire(
        NOW + timedelta(seconds=109)
    )  # its pid runs nowhere here: no matter
    assert await mine.acquire(NOW + timedelta(seconds=110))  # 60 s after its last beat, not 10 min


async def test_a_live_holder_keeps_its_claims_until_they_lapse(any_db: str) -> None:
    async with FakeBotAPI() as api, bot_on(api) as bot:
        members = await members_waiting(api, 3)
        with OtherProcess() as holder:
            await hold_in_hand(bot, api, holder.heartbeat)
            for seconds in range(50, 600, 50):  # it keeps beating; each time another process starts
                await holder.heartbeat.beat(NOW + timedelta(seconds=seconds))
                starting = OutboxSender(bot=bot, gateway=None, tz=TZ, rate=1000)
                assert (await starting.drain(NOW + timedelta(seconds=seconds + 1))).claimed == 0
            starting = OutboxSender(bot=bot, gateway=None, tz=TZ, rate=1000)
            assert (
                await starting.drain(NOW + timedelta(seconds=600))
            ).sent == 3  # the claim lapsed
        assert each_once(api, members)


async def test_a_reused_pid_is_not_the_holder(any_db: str) -> None:
    """A row naming this process's pid with another start: an earlier process that had it."""
    earlier = Heartbeat(
        Place(socket.gethostname(), pid_space(), os.getpid(), (pid_started(os.getpid()) or 0) - 1)
    )
    assert await Lease(process=earlier, ttl=LONG).acquire(NOW)
    assert await Lease(process=Heartbeat()).acquire(NOW + timedelta(seconds=1))


async def test_two_processes_starting_at_once_take_each_row_once(any_db: str) -> None:
    async with FakeBotAPI() as api, bot_on(api) as bot:
        members = await members_waiting(api, 40)
        with OtherProcess() as holder:
            await hold_in_hand(bot, api, holder.heartbeat)
            holder.kill()
        a, b = (OutboxSender(bot=bot, gateway=None, tz=TZ, rate=1000, batch=25) for _ in range(2))
        later = NOW + timedelta(seconds=1)
        first, second = await asyncio.gather(a.run(later), b.run(later))
        assert first.sent + second.sent == 40  # whichever took them, each row once
        assert each_once(api, members)
        assert set(await OutboxMessage.all().values_list("status", flat=True)) == {"sent"}


async def test_a_lapsed_heartbeat_is_never_renewed(any_db: str) -> None:
    """A process that stalled past its lapse goes on under a new identity: what the old one
    held may have been taken, and dead stays dead."""
    stalled = Heartbeat()
    lease = Lease(process=stalled, ttl=LONG)
    assert await lease.acquire(NOW)
    before = stalled.id
    await stalled.beat(NOW + timedelta(seconds=61))
    assert stalled.id != before
    assert (
        await ClubProcess.filter(id=before, expires_at__gt=NOW + timedelta(seconds=61)).count() == 0
    )
    assert await Lease(process=Heartbeat()).acquire(NOW + timedelta(seconds=62))
    assert not await lease.acquire(NOW + timedelta(seconds=63))  # its new identity holds nothing


async def test_a_clean_stop_frees_what_the_process_held(any_db: str) -> None:
    stopping = Heartbeat()
    assert await Lease(process=stopping, ttl=LONG).acquire(NOW)
    await stopping.stop(NOW + timedelta(seconds=1))
    assert await Lease(process=Heartbeat()).acquire(NOW + timedelta(seconds=2))
