"""APScheduler jobs, run by one process at a time through a lease row in the database.

Every process schedules the same jobs; before a job runs, its process must hold the
`jobs` lease (a row with a holder and an expiry). Taking or renewing it is one
conditional UPDATE (or an INSERT racing on the primary key), so two processes sharing
one PostgreSQL never both hold it; when the holder stops renewing, another one takes it
over after the expiry, or at once when the holder is known dead (bot/liveness.py).
The lease job renews this process's heartbeat too, every 20 s, in every process.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from tortoise.exceptions import IntegrityError

from bot.credit_alert import CreditAlert
from bot.liveness import Heartbeat
from bot.outbox import OutboxSender
from bot.rate_limit import Limiter
from bot.settings import Settings
from bot.sms_door import SmsDoor
from jobs import birthdays, campaigns, daily, expiry, giftcards, tiers, updates, webhooks
from jobs.sms_poll import poll_inbound
from loyalty import web_signin
from loyalty.clock import utcnow
from models import JobLease
from models.queries.processes import take_lease

log = logging.getLogger("club.scheduler")

Clock = Callable[[], datetime]
LEASE_NAME = "jobs"
# Undecided inbound SMS older than this are decided by the sweep: younger ones are still
# being decided by the task that stored them.
SMS_SWEEP_AFTER = timedelta(seconds=60)


class Lease:
    """The single-runner lease, held in the name of this process's heartbeat."""

    def __init__(
        self,
        name: str = LEASE_NAME,
        *,
        process: Heartbeat | None = None,
        ttl: timedelta = timedelta(seconds=60),
    ) -> None:
        self.name = name
        self.process = process or Heartbeat()
        self.ttl = ttl

    @property
    def holder(self) -> str:
        return self.process.id

    async def acquire(self, now: datetime) -> bool:
        """Take the lease if free, renew it if ours; False if a live process holds it."""
        await self.process.ensure(now)
        until = now + self.ttl

        if await take_lease(self.name, self.holder, now, until):
            return True
        try:
            await JobLease.create(name=self.name, holder=self.holder, expires_at=until)
        except IntegrityError:
            return False  # the row exists and a live process holds it unexpired
        return True

    async def release(self) -> None:
        await JobLease.filter(name=self.name, holder=self.holder).delete()


class OutboxWake:
    """Runs the outbox job at once when an answer was queued, not at its next tick.

    A wake while the job runs makes it go round once more when it ends: APScheduler would
    skip a second instance of a running job, and the answer would wait for the next tick.
    """

    def __init__(self) -> None:
        self.scheduler: AsyncIOScheduler | None = None
        self._running = False
        self._again = False

    def __call__(self) -> None:
        if self._running:
            self._again = True
        elif self.scheduler is not None and self.scheduler.running:
            self.scheduler.modify_job("outbox", next_run_time=datetime.now(UTC))

    def around(self, job: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            self._running = True
            try:
                while True:
                    self._again = False
                    await job()
                    if not self._again:
                        return
            finally:
                self._running = False

        return run


def build_sender(
    settings: Settings,
    *,
    bot: Any,
    gateway: Any,
    limiter: Limiter | None = None,
    process: Heartbeat | None = None,
) -> OutboxSender:
    return OutboxSender(
        bot=bot,
        gateway=gateway,
        tz=settings.tz,
        rate=settings.telegram_rate,
        quiet_start=settings.sms_quiet_start,
        quiet_end=settings.sms_quiet_end,
        credit_alert=CreditAlert(bot, settings.owner_ids, settings.default_locale),
        bucket=limiter,
        process=process,
    )


def build_scheduler(
    settings: Settings,
    *,
    bot: Any,
    gateway: Any,
    clock: Clock = utcnow,
    lease: Lease | None = None,
    sms_door: SmsDoor | None = None,
    limiter: Limiter | None = None,
    wake: OutboxWake | None = None,
    process: Heartbeat | None = None,
) -> AsyncIOScheduler:
    """The scheduler with all jobs; start it inside the running event loop.

    `limiter`: the Telegram send rate shared by all processes (`bot.rate_limit`), when
    there is a Redis; otherwise the outbox sender keeps the rate on its own. `wake`: what
    the SMS door calls when it queued an answer. `process`: this process's heartbeat, which
    the lease and the outbox claims name (the lease's if a lease is given).
    """
    lease = lease or Lease(process=process)
    wake = wake or OutboxWake()
    sender = build_sender(
        settings, bot=bot, gateway=gateway, limiter=limiter, process=lease.process
    )
    scheduler = AsyncIOScheduler(
        timezone=settings.tz,
        job_defaults={"coalesce": True, "misfire_grace_time": 300, "max_instances": 1},
    )

    def guarded(
        name: str, run: Callable[[datetime], Awaitable[Any]]
    ) -> Callable[[], Awaitable[None]]:
        async def job() -> None:
            now = clock()
            if not await lease.acquire(now):
                return  # another process runs the jobs
            try:
                await run(now)
            except Exception:  # a failing job must not stop the scheduler
                log.exception("job %s failed", name)

        return job

    birthday_at = settings.birthday_time
    held = {"now": False}

    async def heartbeat() -> None:
        # A process that takes over mid-day runs the daily jobs once.
        now = clock()
        holds = await lease.acquire(now)
        if holds and not held["now"]:
            try:
                await daily.catch_up(now, settings.tz, birthday_at)
            except Exception:
                log.exception("catch-up after taking the lease failed")
        held["now"] = holds

    add = scheduler.add_job
    add(heartbeat, "interval", seconds=20, id="lease", replace_existing=True)
    # Only the lease holder drains the outbox, though claims would let every worker do it:
    # the rate is shared anyway, so more senders would not deliver faster; one sender keeps
    # a campaign in order and pauses all of it on a 429. The shared limiter still matters:
    # when a lease lapses mid-drain (a stalled holder), the old and the new holder overlap.
    # With several workers only the lease holder's wake sends at once; the others' answers
    # wait for its next tick.
    add(
        wake.around(guarded("outbox", sender.run)),
        "interval",
        seconds=5,
        id="outbox",
        replace_existing=True,
    )
    wake.scheduler = scheduler
    add(
        guarded("campaigns", lambda now: campaigns.run(now, settings.tz)),
        "interval",
        seconds=60,
        id="campaigns",
        replace_existing=True,
    )
    add(
        guarded("birthdays", lambda now: birthdays.run(now, settings.tz)),
        "cron",
        hour=birthday_at.hour,
        minute=birthday_at.minute,
        id="birthdays",
        replace_existing=True,
    )
    add(guarded("expiry", expiry.run), "cron", hour=3, minute=0, id="expiry", replace_existing=True)
    add(
        guarded("giftcards", giftcards.run),
        "cron",
        hour=3,
        minute=10,
        id="giftcards",
        replace_existing=True,
    )
    add(guarded("tiers", tiers.run), "cron", hour=4, minute=0, id="tiers", replace_existing=True)
    add(guarded("updates", updates.prune), "interval", hours=1, id="updates", replace_existing=True)
    add(
        guarded("web_codes", web_signin.forget),
        "interval",
        hours=1,
        id="web_codes",
        replace_existing=True,
    )
    add(
        guarded("webhooks", webhooks.run),
        "interval",
        seconds=5,
        id="webhooks",
        replace_existing=True,
    )
    if sms_door is None:
        return scheduler
    door = sms_door
    started = clock()

    async def sweep() -> None:
        # Not under the lease: at start-up it must not wait for a dead holder's lease to
        # lapse, and deciding a message twice is impossible (inbound.process claims it).
        try:
            await door.sweep(max(started, clock() - SMS_SWEEP_AFTER))
        except Exception:
            log.exception("job sms_sweep failed")

    add(
        sweep,
        "interval",
        seconds=60,
        id="sms_sweep",
        next_run_time=datetime.now(UTC),
        replace_existing=True,
    )
    if settings.sms_poll_seconds > 0 and settings.kavenegar_sender:
        line = settings.kavenegar_sender
        add(
            guarded("sms_poll", lambda now: poll_inbound(gateway, line, door)),
            "interval",
            seconds=settings.sms_poll_seconds,
            id="sms_poll",
            replace_existing=True,
        )
    return scheduler
