"""The single-runner lease: two processes on one database never both run the jobs."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.liveness import Heartbeat
from bot.scheduler import Lease, build_scheduler
from bot.settings import Settings
from models import JobLease
from tests.conftest import NOW


async def test_two_holders_one_runner_and_takeover(any_db: str) -> None:
    a = Lease(process=Heartbeat(), ttl=timedelta(seconds=60))
    b = Lease(process=Heartbeat(), ttl=timedelta(seconds=60))
    assert await a.acquire(NOW)
    assert not await b.acquire(NOW)
    assert await a.acquire(NOW + timedelta(seconds=30))  # renewal
    assert not await b.acquire(NOW + timedelta(seconds=80))  # renewed until 90 s
    assert await b.acquire(NOW + timedelta(seconds=90))  # a stopped renewing: takeover
    assert not await a.acquire(NOW + timedelta(seconds=91))
    await b.release()
    assert await a.acquire(NOW + timedelta(seconds=92))


async def test_racing_holders_never_both_win(any_db: str) -> None:
    for round_ in range(5):
        now = NOW + timedelta(minutes=10 * round_)
        holders = [Lease(process=Heartbeat()) for _ in range(8)]
        won = await asyncio.gather(*(h.acquire(now) for h in holders))
        assert sum(won) == 1
        assert await JobLease.filter(name="jobs").count() == 1


async def test_scheduler_jobs_have_fixed_ids(db: str) -> None:
    scheduler = build_scheduler(Settings(_env_file=None), bot=None, gateway=None)
    ids = sorted(job.id for job in scheduler.get_jobs())
    assert ids == [
        "birthdays",
        "campaigns",
        "expiry",
        "giftcards",
        "lease",
        "outbox",
        "tiers",
        "updates",
        "web_codes",
        "webhooks",
    ]
    birthdays = scheduler.get_job("birthdays")
    assert str(birthdays.trigger) == "cron[hour='10', minute='0']"


async def test_two_schedulers_only_the_lease_holder_sends(db: str) -> None:
    from bot.scheduler import Lease
    from bot.sms_gateway import SmsGateway
    from loyalty import notify
    from models import Channel, OutboxMessage
    from tests.fakes.kavenegar import FakeKavenegar
    from tests.jobs_helpers import make_member

    settings = Settings(_env_file=None)
    async with FakeKavenegar() as kave:
        gateway = SmsGateway(kave.api_key, "10008663", kave.base_url, attempts=1)
        first = build_scheduler(
            settings, bot=None, gateway=gateway, clock=lambda: NOW, lease=Lease(process=Heartbeat())
        )
        second = build_scheduler(
            settings, bot=None, gateway=gateway, clock=lambda: NOW, lease=Lease(process=Heartbeat())
        )
        await first.get_job("lease").func()  # "one" takes the lease
        m = await make_member(NOW, telegram=False, preferred=Channel.SMS)
        await notify.enqueue(m.id, "staff_reply", "x", now=NOW, params={"text": "hi"})
        await second.get_job("outbox").func()
        assert (await OutboxMessage.get(key="x")).status == "pending"  # "two" did nothing
        await first.get_job("outbox").func()
        assert (await OutboxMessage.get(key="x")).status == "sent"
        assert len(kave.delivered) == 1
