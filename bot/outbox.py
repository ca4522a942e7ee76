"""The outbox sender: delivers OutboxMessage rows on Telegram and by SMS.

Delivery guarantees:
- A row is claimed before it is sent (status `sending`, `next_attempt_at` = when the claim
  lapses, `claimed_by` = the sender's process) by one conditional UPDATE for the whole
  batch, whose WHERE repeats the "free" test on every row it changes, so two senders never
  take the same row.
- A claim is free when it lapses, or at once when its holder is known dead (bot/liveness.py):
  after a kill -9 the process that starts on the same machine finds the dead one's pid gone
  and takes its rows in its first round; a holder on another machine is dead once its
  heartbeat lapses (60 s). A live holder's claims are left alone until they lapse.
  SMS carry the row id as Kavenegar `localid`, so a repeated SMS is not sent twice.
  Telegram has no such key: a message Telegram accepted just before a crash, whose row
  was not yet marked `sent`, is sent again. Telegram delivery is therefore at-least-once.
  The window: from the moment Telegram takes a request to the commit of that row's
  UPDATE to `sent` (Telegram's answer on its way back, then one UPDATE: milliseconds).
  Each message is marked by its own UPDATE before the next request goes out, so a crash
  repeats at most one message, and only one Telegram had delivered. A message whose
  request never reached Telegram, or that Telegram refused, is sent once after the restart.
  A clean stop frees the process's claims the same way, with the same window. A sender
  that stalls past its heartbeat's life (the database out of reach for a minute) may find
  its rows taken when it wakes: the message it was sending then can go out twice as well.
- 429 (`TelegramRetryAfter`): the row goes back to `pending` for `retry_after` seconds
  (the attempt is not counted) and no more Telegram messages go out in this round.
- An SMS is retried until Kavenegar takes it or refuses it for good (an invalid number, a
  final status): a fault that may pass (409, 5xx, a timeout) delays it, longer each time,
  but never fails it; no credit holds it, and tells the owners once, until credit returns.
- An answer to an inbound SMS (a row with `phone`) goes to that number by SMS, member or
  not: it is what the sender asked for, not advertising.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
)
from tortoise.expressions import F

from bot.credit_alert import CreditAlert
from bot.liveness import Heartbeat
from bot.sms_gateway import (
    MAX_ARRAY,
    OutgoingSms,
    SmsError,
    SmsInvalidReceptor,
    SmsNoCredit,
    SmsRetryable,
    SmsSender,
)
from handlers.notifications import buttons, render
from loyalty.clock import utcnow
from loyalty.members import set_reachable
from models import Channel, Member, OutboxMessage, OutboxStatus
from models.queries import outbox as outbox_sql

if TYPE_CHECKING:
    from bot.rate_limit import Limiter

log = logging.getLogger("club.outbox")

# params key set by campaigns sent "Telegram with SMS fallback"
FALLBACK_SMS = "fallback_sms"
DEFAULT_LOCALE = "fa"  # a message to a number with no member behind it
PROMOTIONAL = frozenset({"campaign"})  # advertising: consent, opt-out suffix, quiet hours
# Rows per round, a multiple of the sendarray size: SMS go out in full arrays (10,000 SMS
# in 50 calls), not in a short array at the end of every round.
BATCH = 5 * MAX_ARRAY


class TokenBucket:
    """At most `rate` sends per second on average, bursts up to `capacity`.

    The default capacity of 2 spaces sends evenly: no one-second window ever holds more
    than `rate` + 1 of them (a full bucket of `rate` would allow twice that in the
    first). The token beyond the one being spent keeps the time the sender falls behind:
    the event loop wakes up to a millisecond late, and now and then a send stalls for a
    few milliseconds more (the fsync of its "sent" commit); with a capacity of exactly 1
    every such delay is lost for good, with 1.5 every one beyond half an interval
    (BENCHMARKS.md, "Telegram send rate and the token bucket's capacity"). The bucket
    starts with one token.

    `clock` and `sleep` are injectable so tests never wait for real time.
    """

    def __init__(
        self,
        rate: float,
        capacity: float | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self.rate = rate
        self.capacity = capacity if capacity is not None else 2.0
        self._clock, self._sleep = clock, sleep
        self._tokens = min(1.0, self.capacity)
        self._last = clock()

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
        self._last = now

    async def take(self) -> None:
        self._refill()
        # The epsilon: float rounding may leave 0.99999...; a sleep too short to move the
        # clock would then loop forever.
        while self._tokens < 1 - 1e-9:
            await self._sleep((1 - self._tokens) / self.rate)
            self._refill()
        self._tokens = max(0.0, self._tokens - 1)


@dataclass
class DrainResult:
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    deferred: int = 0  # back to pending for later (429, no credit, quiet hours, errors)
    by_channel: dict[str, int] = field(default_factory=dict)
    claimed: int = 0
    resume_at: datetime | None = None  # a 429 paused Telegram until then

    def add(self, other: DrainResult) -> None:
        self.sent += other.sent
        self.failed += other.failed
        self.skipped += other.skipped
        self.deferred += other.deferred
        self.claimed += other.claimed
        for channel, count in other.by_channel.items():
            self.by_channel[channel] = self.by_channel.get(channel, 0) + count


@dataclass
class _Job:
    row: OutboxMessage
    member: Member | None  # None: an answer to a number that is no member's
    fallback: bool  # SMS when Telegram fails

    @property
    def locale(self) -> str:
        return self.member.locale if self.member is not None else DEFAULT_LOCALE

    @property
    def phone(self) -> str:
        return self.row.phone or (self.member.phone if self.member is not None else None) or ""


def in_quiet_hours(local: dtime, start: dtime, end: dtime) -> bool:
    if start <= end:
        return start <= local < end
    return local >= start or local < end  # the window crosses midnight


def quiet_end(now: datetime, tz: ZoneInfo, start: dtime, end: dtime) -> datetime:
    """The first moment after `now` outside the quiet window, as an aware datetime."""
    local = now.astimezone(tz)
    candidate = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if candidate <= local:
        candidate += timedelta(days=1)
    # In UTC: SQLite compares the stored text, so every stored time must be in one zone.
    return candidate.astimezone(UTC)


def sms_receptor(phone: str) -> str:
    """E.164 +98912... as Kavenegar expects it: 0912..."""
    return "0" + phone[3:] if phone.startswith("+98") else phone.lstrip("+")


class OutboxSender:
    def __init__(
        self,
        *,
        bot: Bot | None,
        gateway: SmsSender | None,
        tz: ZoneInfo,
        rate: float = 25.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        quiet_start: dtime = dtime(22, 0),
        quiet_end: dtime = dtime(7, 0),
        batch: int = BATCH,
        claim_seconds: int = 600,
        max_attempts: int = 8,
        no_credit_wait: timedelta = timedelta(minutes=30),
        credit_alert: CreditAlert | None = None,
        bucket: Limiter | None = None,
        process: Heartbeat | None = None,
    ) -> None:
        self.bot, self.gateway, self.tz = bot, gateway, tz
        self.process = process or Heartbeat()  # the identity its claims carry
        # `bucket`: a limiter shared with other processes (bot.rate_limit); else this one's own.
        self.bucket = bucket or TokenBucket(rate, clock=clock, sleep=sleep)
        self._clock, self._sleep = clock, sleep
        self._round = (utcnow(), clock())  # the current round's `now`, and the clock then
        self.quiet = (quiet_start, quiet_end)
        self.batch, self.claim_seconds, self.max_attempts = batch, claim_seconds, max_attempts
        self.no_credit_wait = no_credit_wait
        self.credit_alert = credit_alert

    # ---- claiming -----------------------------------------------------------------

    async def _claim(self, now: datetime) -> list[OutboxMessage]:
        await self.process.ensure(now)
        lapse = now + timedelta(seconds=self.claim_seconds)
        claimed = await outbox_sql.claim(self.process.id, now, lapse, self.batch)
        return await OutboxMessage.filter(id__in=claimed).order_by("id").prefetch_related("member")

    # ---- outcomes -----------------------------------------------------------------

    async def _done(
        self, row: OutboxMessage, status: OutboxStatus, now: datetime, error: str = ""
    ) -> None:
        await OutboxMessage.filter(id=row.id).update(
            status=status,
            last_error=error[:200],
            sent_at=now if status is OutboxStatus.SENT else None,
        )

    async def _later(
        self,
        row: OutboxMessage,
        at: datetime,
        error: str,
        *,
        count: bool = False,
        give_up: bool = True,
    ) -> None:
        """Back to pending until `at`; an attempt that was not the row's fault is not counted.
        A counted attempt fails the row after `max_attempts`, unless `give_up` is False."""
        if count and give_up and row.attempts >= self.max_attempts:
            await self._done(row, OutboxStatus.FAILED, at, error)
            return
        values: dict[str, Any] = {
            "status": OutboxStatus.PENDING,
            "next_attempt_at": at,
            "last_error": error[:200],
        }
        if not count:
            values["attempts"] = F("attempts") - 1
        await OutboxMessage.filter(id=row.id).update(**values)

    def _backoff(self, row: OutboxMessage, now: datetime) -> datetime:
        return now + timedelta(seconds=min(3600, 30 * 2 ** max(0, row.attempts - 1)))

    # ---- routing ------------------------------------------------------------------

    def _route(self, row: OutboxMessage, member: Member | None) -> tuple[Channel | None, bool, str]:
        """The channel to try first, whether SMS may follow, or why nothing can be sent."""
        if row.phone:
            return Channel.SMS, False, ""
        if member is None:
            return None, False, "no recipient"
        if member.deleted_at is not None:
            return None, False, "member deleted"
        promo = row.template in PROMOTIONAL
        tg_ok = (
            bool(member.telegram_id)
            and member.reachable_telegram
            and (member.consent_telegram or not promo)
        )
        sms_ok = bool(member.phone) and member.reachable_sms and (member.consent_sms or not promo)
        wanted = row.channel
        fallback = wanted is None or bool(row.params.get(FALLBACK_SMS))
        if wanted is None:
            wanted = member.preferred_channel
        if wanted is Channel.TELEGRAM and tg_ok and self.bot is not None:
            return Channel.TELEGRAM, fallback and sms_ok, ""
        if wanted is Channel.SMS and sms_ok:
            return Channel.SMS, False, ""
        if fallback and wanted is Channel.TELEGRAM and sms_ok:
            return Channel.SMS, False, ""
        if row.channel is None and wanted is Channel.SMS and tg_ok and self.bot is not None:
            return Channel.TELEGRAM, False, ""
        return None, False, "unreachable"

    # ---- the round ----------------------------------------------------------------

    async def run(self, now: datetime) -> DrainResult:
        """Rounds one after another while there is more to send, for the scheduler's job.

        A full batch means more may be due, so the next round starts at once rather than at
        the next tick: a campaign goes out at the full rate. After a 429 it waits out
        `retry_after`, as Telegram asks, and goes on.
        """
        total = DrainResult()
        started = self._clock()
        current = now
        while True:
            result = await self.drain(current)
            total.add(result)
            if result.resume_at is None and result.claimed < self.batch:
                return total
            current = now + timedelta(seconds=self._clock() - started)
            if result.resume_at is not None and result.resume_at > current:
                await self._sleep((result.resume_at - current).total_seconds())
                # Not less than resume_at: the clock's float seconds may fall a microsecond short.
                current = max(result.resume_at, now + timedelta(seconds=self._clock() - started))

    def _now(self) -> datetime:
        """The time now, moved on from the round's `now` by the (injected) clock."""
        now, started = self._round
        return now + timedelta(seconds=self._clock() - started)

    async def drain(self, now: datetime | None = None) -> DrainResult:
        """Send everything due at `now` once; call again for what is deferred."""
        now = now or utcnow()
        self._round = (now, self._clock())
        result = DrainResult()
        telegram: list[_Job] = []
        sms: list[_Job] = []
        claimed = await self._claim(now)
        result.claimed = len(claimed)
        for row in claimed:
            channel, fallback, why = self._route(row, row.member)
            if channel is None:
                await self._done(row, OutboxStatus.SKIPPED, now, why)
                result.skipped += 1
            elif channel is Channel.TELEGRAM:
                telegram.append(_Job(row, row.member, fallback))
            else:
                sms.append(_Job(row, row.member, False))
        sms += await self._send_telegram(telegram, now, result)
        await self._send_sms(sms, now, result)
        return result

    async def _send_telegram(
        self, jobs: list[_Job], now: datetime, result: DrainResult
    ) -> list[_Job]:
        """Sends in order; returns the jobs that fall back to SMS."""
        to_sms: list[_Job] = []
        paused_until: datetime | None = None
        assert self.bot is not None or not jobs
        for job in jobs:
            if paused_until is not None:
                await self._later(job.row, paused_until, "paused after 429")
                result.deferred += 1
                continue
            text = await self._render(job, False, now, result)
            if text is None:
                continue
            await self.bucket.take()
            try:
                await self._telegram_call(job, text)
            except TelegramRetryAfter as exc:
                paused_until = self._now() + timedelta(seconds=exc.retry_after)
                result.resume_at = paused_until
                await self._later(job.row, paused_until, f"429 retry after {exc.retry_after}")
                result.deferred += 1
            except TelegramForbiddenError as exc:
                await set_reachable(job.member.id, Channel.TELEGRAM, False)
                self._fail_or_fallback(job, str(exc), to_sms)
            except TelegramBadRequest as exc:
                self._fail_or_fallback(job, str(exc), to_sms)
            except (TelegramNetworkError, TelegramAPIError) as exc:
                await self._later(job.row, self._backoff(job.row, now), str(exc), count=True)
                result.deferred += 1
            else:
                # At once, before the next send: the window of a repeat after a crash.
                await outbox_sql.mark_sent(job.row.id, self._now())
                result.sent += 1
                result.by_channel["telegram"] = result.by_channel.get("telegram", 0) + 1
        for job in list(to_sms):
            if job.fallback:
                continue
            to_sms.remove(job)
            await self._done(job.row, OutboxStatus.FAILED, now, job.row.last_error)
            result.failed += 1
        return to_sms

    def _fail_or_fallback(self, job: _Job, error: str, to_sms: list[_Job]) -> None:
        job.row.last_error = error[:200]
        to_sms.append(job)

    async def _telegram_call(self, job: _Job, text: str) -> None:
        assert self.bot is not None and job.member.telegram_id is not None
        photo = job.row.params.get("photo")
        if photo:
            await self.bot.send_photo(
                job.member.telegram_id, photo, caption=text[:1024], parse_mode=None
            )
        else:
            # Plain text whatever the bot's default parse mode: staff may type "<" in a campaign.
            await self.bot.send_message(
                job.member.telegram_id,
                text[:4096],
                parse_mode=None,
                reply_markup=buttons(job.row.params, job.locale),
            )

    async def _send_sms(self, jobs: list[_Job], now: datetime, result: DrainResult) -> None:
        ready: list[_Job] = []
        local = now.astimezone(self.tz).time()
        for job in jobs:
            if job.row.template in PROMOTIONAL and in_quiet_hours(local, *self.quiet):
                await self._later(job.row, quiet_end(now, self.tz, *self.quiet), "quiet hours")
                result.deferred += 1
            else:
                ready.append(job)
        if ready and self.gateway is None:
            for job in ready:
                await self._done(job.row, OutboxStatus.FAILED, now, "no SMS gateway")
                result.failed += 1
            return
        for start in range(0, len(ready), MAX_ARRAY):
            await self._sms_batch(ready[start : start + MAX_ARRAY], now, result)

    async def _render(self, job: _Job, sms: bool, now: datetime, result: DrainResult) -> str | None:
        """The text, or None after failing a row whose template or values are unusable."""
        try:
            return render(job.row.template, job.row.params, job.locale, sms=sms, tz=self.tz)
        except (KeyError, ValueError, TypeError) as exc:
            log.error("outbox row %s cannot be rendered: %r", job.row.id, exc)
            await self._done(job.row, OutboxStatus.FAILED, now, f"render: {exc!r}")
            result.failed += 1
            return None

    async def _sms_batch(self, batch: list[_Job], now: datetime, result: DrainResult) -> None:
        assert self.gateway is not None
        jobs: list[_Job] = []
        items: list[OutgoingSms] = []
        for job in batch:
            text = await self._render(job, True, now, result)
            if text is None:
                continue
            jobs.append(job)
            # Kavenegar dedupes by localid: a retried row is not sent twice.
            items.append(OutgoingSms(sms_receptor(job.phone), text, str(job.row.id)))
        if not items:
            return
        try:
            results = await self.gateway.send_array(items)
        except SmsInvalidReceptor:
            # One bad number refuses the whole call: send one by one, same localids.
            try:
                results = [
                    await self.gateway.send(i.receptor, i.message, localid=i.localid) for i in items
                ]
            except SmsError as exc:
                await self._sms_not_sent(jobs, exc, now, result)
                return
        except SmsError as exc:
            await self._sms_not_sent(jobs, exc, now, result)
            return
        if self.credit_alert is not None:
            await self.credit_alert.credit_back(now)
        delivered = [job.row.id for job, sent in zip(jobs, results, strict=True) if sent.ok]
        if delivered:
            # One UPDATE for the array: the localids make a repeat after a crash harmless anyway.
            await OutboxMessage.filter(id__in=delivered).update(
                status=OutboxStatus.SENT, last_error="", sent_at=self._now()
            )
            result.sent += len(delivered)
            result.by_channel["sms"] = result.by_channel.get("sms", 0) + len(delivered)
        for job, sent in zip(jobs, results, strict=True):
            if sent.ok:
                continue
            if sent.code == 411 and job.member is not None:
                await set_reachable(job.member.id, Channel.SMS, False)
            await self._done(
                job.row, OutboxStatus.FAILED, now, f"SMS {sent.code} status {sent.status}"
            )
            result.failed += 1

    async def _sms_not_sent(
        self, jobs: list[_Job], exc: SmsError, now: datetime, result: DrainResult
    ) -> None:
        """A call that failed as a whole: its rows wait (their localids make a resend safe)."""
        result.deferred += len(jobs)
        if isinstance(exc, SmsNoCredit):
            for job in jobs:
                await self._later(job.row, now + self.no_credit_wait, str(exc))
            log.error("SMS account out of credit: %d messages wait", len(jobs))
            if self.credit_alert is not None:
                await self.credit_alert.out_of_credit(now)
            return
        # A fault that may pass never fails a message: a voucher code must reach its member.
        give_up = not isinstance(exc, SmsRetryable)
        for job in jobs:
            at = self._backoff(job.row, now)
            await self._later(job.row, at, str(exc), count=True, give_up=give_up)
