"""The outbox sender against the fake Bot API and the fake Kavenegar, over real HTTP."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import asyncpg
import pytest

from bot.outbox import OutboxSender, TokenBucket
from bot.sms_gateway import SmsGateway
from loyalty import notify
from models import Channel, Member, OutboxMessage, OutboxStatus
from tests.conftest import NOW, POSTGRES_URL
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.kavenegar import FakeKavenegar
from tests.helpers import waiting_for_lock
from tests.jobs_helpers import FakeClock, OtherProcess, bot_on, make_member
from tests.waiting import eventually

TZ = ZoneInfo("Asia/Tehran")


def gateway(fake: FakeKavenegar) -> SmsGateway:
    async def no_wait(_: float) -> None:
        return None

    return SmsGateway(fake.api_key, "10008663", fake.base_url, attempts=1, sleep=no_wait)


async def statuses() -> dict[str, int]:
    rows = await OutboxMessage.all().values_list("status", flat=True)
    return {s: rows.count(s) for s in set(rows)}


async def replies_waiting(api: FakeBotAPI, count: int) -> list[Member]:
    """`count` members known to the fake, each with a staff reply waiting in the outbox."""
    members = []
    for _ in range(count):
        m = await make_member(NOW, locale="en")
        api.add_user(m.telegram_id)
        members.append(m)
        await notify.enqueue(m.id, "staff_reply", f"r:{m.id}", now=NOW, params={"text": "hi"})
    return members


async def test_429_retry_after_defers_without_losing_or_repeating(db: str) -> None:
    clock = FakeClock()
    async with FakeBotAPI() as api, bot_on(api) as bot:
        members = [await make_member(NOW) for _ in range(3)]
        for m in members:
            api.add_user(m.telegram_id)
            await notify.enqueue(
                m.id,
                "points_earned",
                f"e:{m.id}",
                now=NOW,
                params={"points": 12, "balance": 1250, "amount": 120000},
            )
        api.fail_next("sendMessage", 429, retry_after=5)
        sender = OutboxSender(bot=bot, gateway=None, tz=TZ, clock=clock, sleep=clock.sleep)
        first = await sender.drain(NOW)
        assert (first.sent, first.deferred) == (0, 3)
        # Nothing is due again before retry_after has passed.
        assert (await sender.drain(NOW + timedelta(seconds=4))).sent == 0
        again = await sender.drain(NOW + timedelta(seconds=5))
        assert again.sent == 3
        assert await statuses() == {"sent": 3}
        for m in members:
            texts = [msg["text"] for msg in api.sent_to(m.telegram_id)]
            assert texts == [
                "برای خرید ۱۲۰٬۰۰۰ تومانی، ۱۲ امتیاز گرفتید. موجودی شما: ۱٬۲۵۰ امتیاز."
            ]
        assert (await sender.drain(NOW + timedelta(hours=1))).sent == 0  # nothing twice


async def test_rate_limit_kept_by_the_token_bucket(db: str) -> None:
    clock = FakeClock()
    async with FakeBotAPI(clock=clock) as api, bot_on(api) as bot:
        api.rate_limit(30)  # Telegram's broadcast limit; the club sends 25 per second
        for _ in range(60):
            m = await make_member(NOW, locale="en")
            api.add_user(m.telegram_id)
            await notify.enqueue(m.id, "staff_reply", f"r:{m.id}", now=NOW, params={"text": "hi"})
        sender = OutboxSender(bot=bot, gateway=None, tz=TZ, rate=25, clock=clock, sleep=clock.sleep)
        result = await sender.drain(NOW)
        assert result.sent == 60 and api.stats["429"] == 0
        assert clock.now - 1000.0 >= 59 / 25 - 1e-6  # paced, by the fake clock only


async def test_rate_limit_429_from_a_too_fast_sender_is_retried_once(db: str) -> None:
    clock = FakeClock()
    async with FakeBotAPI(clock=clock) as api, bot_on(api) as bot:
        api.rate_limit(10)
        members = await replies_waiting(api, 30)
        sender = OutboxSender(
            bot=bot, gateway=None, tz=TZ, rate=1000, clock=clock, sleep=clock.sleep
        )
        now, total = NOW, 0
        for _ in range(10):
            total += (await sender.drain(now)).sent
            clock.now += 1.0
            now += timedelta(seconds=1)
        assert total == 30 and api.stats["429"] >= 1
        assert all(len(api.sent_to(m.telegram_id)) == 1 for m in members)


async def test_403_marks_unreachable_and_falls_back_to_sms(db: str) -> None:
    async with FakeBotAPI() as api, bot_on(api) as bot, FakeKavenegar() as kave:
        both = await make_member(NOW, locale="en")
        only_tg = await make_member(NOW, locale="en")
        for m in (both, only_tg):
            api.add_user(m.telegram_id)
            api.block(m.telegram_id)
        await notify.enqueue(both.id, "referral_rewarded", "a", now=NOW, params={"points": 50})
        await notify.enqueue(
            only_tg.id,
            "referral_rewarded",
            "b",
            now=NOW,
            params={"points": 50},
            channel=Channel.TELEGRAM,
        )
        sender = OutboxSender(bot=bot, gateway=gateway(kave), tz=TZ)
        result = await sender.drain(NOW)
        assert (result.sent, result.failed) == (1, 1)
        assert kave.delivered == [
            (
                f"0{both.phone[3:]}",
                "+50 points for inviting a friend.",
                str((await OutboxMessage.get(key="a")).id),
            )
        ]
        assert (await OutboxMessage.get(key="b")).status == OutboxStatus.FAILED
        assert not (await Member.get(id=both.id)).reachable_telegram
        assert not (await Member.get(id=only_tg.id)).reachable_telegram


async def test_sms_in_sendarray_batches_of_200(db: str) -> None:
    async with FakeKavenegar() as kave:
        for _ in range(450):
            m = await make_member(NOW, telegram=False, preferred=Channel.SMS)
            await notify.enqueue(
                m.id, "tier_up", f"t:{m.id}", now=NOW, params={"tier": "gold", "tier_name": "طلایی"}
            )
        sender = OutboxSender(bot=None, gateway=gateway(kave), tz=TZ)
        result = await sender.drain(NOW)
        assert result.sent == 450
        assert kave.calls["sms/sendarray"] == 3
        assert len(kave.delivered) == 450
        assert kave.delivered[0][1] == "سطح جدید شما: طلایی"


async def test_campaign_sms_waits_for_quiet_hours_and_ends_with_opt_out(db: str) -> None:
    late = datetime(2026, 3, 1, 20, 0, tzinfo=UTC)  # 23:30 in Tehran
    async with FakeKavenegar() as kave:
        m = await make_member(NOW, telegram=False, preferred=Channel.SMS)
        await notify.enqueue(
            m.id,
            "campaign",
            "c:1",
            now=late,
            params={"text": "تخفیف ویژه"},
            channel=Channel.SMS,
            campaign_id=1,
        )
        sender = OutboxSender(bot=None, gateway=gateway(kave), tz=TZ)
        assert (await sender.drain(late)).deferred == 1
        row = await OutboxMessage.get(key="c:1")
        assert row.status == OutboxStatus.PENDING and row.attempts == 0
        assert row.next_attempt_at == datetime(2026, 3, 2, 3, 30, tzinfo=UTC)  # 07:00 Tehran
        assert (await sender.drain(datetime(2026, 3, 2, 3, 29, tzinfo=UTC))).sent == 0
        assert kave.delivered == []
        assert (await sender.drain(datetime(2026, 3, 2, 3, 30, tzinfo=UTC))).sent == 1
        assert kave.delivered[0][1] == "تخفیف ویژه\nلغو۱۱"


async def test_no_credit_keeps_rows_waiting(db: str) -> None:
    async with FakeKavenegar(credit=0) as kave:
        m = await make_member(NOW, telegram=False, preferred=Channel.SMS)
        await notify.enqueue(m.id, "staff_reply", "s", now=NOW, params={"text": "x"})
        sender = OutboxSender(bot=None, gateway=gateway(kave), tz=TZ)
        assert (await sender.drain(NOW)).deferred == 1
        row = await OutboxMessage.get(key="s")
        assert row.status == OutboxStatus.PENDING and row.attempts == 0
        kave.credit = 10
        assert (await sender.drain(NOW + timedelta(minutes=30))).sent == 1


async def test_crash_after_sms_send_is_not_sent_twice(db: str) -> None:
    """A sender died after Kavenegar took the batch: the dead one's claim is retried at once,
    with the same localid."""
    async with FakeKavenegar() as kave:
        m = await make_member(NOW, telegram=False, preferred=Channel.SMS)
        row = await notify.enqueue(m.id, "staff_reply", "s", now=NOW, params={"text": "x"})
        with OtherProcess() as dead:
            await OutboxSender(
                bot=None, gateway=gateway(kave), tz=TZ, process=dead.heartbeat
            ).drain(NOW)
            # Pretend the status update never happened (the process died right after sending).
            await OutboxMessage.filter(id=row.id).update(
                status=OutboxStatus.SENDING, next_attempt_at=NOW + timedelta(seconds=600)
            )
            dead.kill()
        restarted = OutboxSender(bot=None, gateway=gateway(kave), tz=TZ, claim_seconds=600)
        assert (await restarted.drain(NOW + timedelta(seconds=1))).sent == 1
        assert len(kave.delivered) == 1 and kave.calls["sms/sendarray"] == 2


async def test_two_senders_never_claim_the_same_row(db: str) -> None:
    async with FakeKavenegar() as kave:
        for _ in range(5):
            m = await make_member(NOW, telegram=False, preferred=Channel.SMS)
            await notify.enqueue(m.id, "staff_reply", f"s{m.id}", now=NOW, params={"text": "x"})
        a = OutboxSender(bot=None, gateway=gateway(kave), tz=TZ)
        b = OutboxSender(bot=None, gateway=gateway(kave), tz=TZ)
        first, second = await a.drain(NOW), await b.drain(NOW)
        assert first.sent + second.sent == 5 and len(kave.delivered) == 5


async def test_unknown_template_fails_its_row_only(db: str) -> None:
    async with FakeKavenegar() as kave:
        m = await make_member(NOW, telegram=False, preferred=Channel.SMS)
        await notify.enqueue(m.id, "no_such_template", "bad", now=NOW)
        await notify.enqueue(m.id, "campaign", "good", now=NOW, params={"text": "a < b"})
        result = await OutboxSender(bot=None, gateway=gateway(kave), tz=TZ).drain(NOW)
        assert (result.sent, result.failed) == (1, 1)
        assert (await OutboxMessage.get(key="bad")).status == OutboxStatus.FAILED


async def test_owner_is_alerted_once_per_credit_outage(db: str) -> None:
    from bot.credit_alert import CreditAlert

    owner = 4242
    async with FakeKavenegar(credit=0) as kave, FakeBotAPI() as api, bot_on(api) as bot:
        api.add_user(owner)
        m = await make_member(NOW, telegram=False, preferred=Channel.SMS)
        alert = CreditAlert(bot, [owner], "en")
        sender = OutboxSender(bot=bot, gateway=gateway(kave), tz=TZ, credit_alert=alert)
        await notify.enqueue(m.id, "staff_reply", "a", now=NOW, params={"text": "x"})
        await sender.drain(NOW)
        await sender.drain(NOW + timedelta(minutes=30))
        # A restart during the outage does not alert again.
        restarted = OutboxSender(
            bot=bot, gateway=gateway(kave), tz=TZ, credit_alert=CreditAlert(bot, [owner], "en")
        )
        await restarted.drain(NOW + timedelta(minutes=60))
        alerts = [msg["text"] for msg in api.sent_to(owner)]
        assert alerts == [
            "The SMS account is out of credit: SMS wait in the queue until it is topped up."
        ]
        kave.credit = 10
        assert (await restarted.drain(NOW + timedelta(minutes=90))).sent == 1
        kave.credit = 0
        await notify.enqueue(m.id, "staff_reply", "b", now=NOW, params={"text": "y"})
        await restarted.drain(NOW + timedelta(minutes=120))
        assert len(api.sent_to(owner)) == 2  # a new outage, a new alert
        assert api.rejected == []


async def test_sms_go_out_in_full_arrays_across_rounds(db: str) -> None:
    """1,200 SMS: rounds of 1,000 rows (a multiple of 200), so 6 sendarray calls, not 9."""
    async with FakeKavenegar() as kave:
        await Member.bulk_create(
            [
                Member(
                    phone=f"+98913{n:07d}",
                    preferred_channel=Channel.SMS,
                    referral_code=f"B{n:08d}",
                    joined_at=NOW,
                )
                for n in range(1_200)
            ]
        )
        await OutboxMessage.bulk_create(
            [
                OutboxMessage(
                    key=f"s:{m}",
                    member_id=m,
                    template="staff_reply",
                    params={"text": "x"},
                    next_attempt_at=NOW,
                    created_at=NOW,
                )
                for m in await Member.filter(phone__startswith="+98913").values_list(
                    "id", flat=True
                )
            ]
        )
        result = await OutboxSender(bot=None, gateway=gateway(kave), tz=TZ).run(NOW)
        assert (result.sent, result.claimed) == (1_200, 1_200)
        assert kave.calls["sms/sendarray"] == 6
        ids = await OutboxMessage.all().values_list("id", flat=True)
        assert sorted(int(localid) for _, _, localid in kave.delivered) == sorted(ids)  # each once
        assert await statuses() == {"sent": 1_200}


async def test_sms_faults_lose_nothing_and_repeat_nothing(db: str) -> None:
    """409s and lost answers, some after Kavenegar sent the array: every number once."""

    async def no_wait(_: float) -> None:
        return None

    async with FakeKavenegar() as kave:
        phones = set()
        for _ in range(600):
            m = await make_member(NOW, telegram=False, preferred=Channel.SMS)
            phones.add(f"0{m.phone[3:]}")
            await notify.enqueue(m.id, "staff_reply", f"s:{m.id}", now=NOW, params={"text": "x"})
        kave.faults(fail_ratio=0.3, timeout_ratio=0.3, seed=3)
        patient = SmsGateway(
            kave.api_key, "10008663", kave.base_url, timeout=0.2, attempts=3, sleep=no_wait
        )
        sender = OutboxSender(bot=None, gateway=patient, tz=TZ)
        now, rounds = NOW, 0
        while await OutboxMessage.filter(status__not=OutboxStatus.SENT).exists():
            await sender.run(now)
            now, rounds = now + timedelta(hours=1), rounds + 1
            assert rounds < 20
        receptors = [receptor for receptor, _, _ in kave.delivered]
        assert sorted(receptors) == sorted(phones)  # none twice, none missing
        assert kave.injected["409"] and kave.injected["hang_after_send"]  # the faults did strike


async def test_two_senders_at_once_never_send_a_message_twice(any_db: str) -> None:
    clock = FakeClock()
    async with FakeBotAPI() as api, bot_on(api) as bot:
        members = await replies_waiting(api, 30)
        a, b = (
            OutboxSender(
                bot=bot, gateway=None, tz=TZ, rate=1000, batch=20, clock=clock, sleep=clock.sleep
            )
            for _ in range(2)
        )
        first, second = await asyncio.gather(a.drain(NOW), b.drain(NOW))
        assert first.claimed + second.claimed <= 30
        rows = await OutboxMessage.all()
        assert all(row.attempts == 1 for row in rows if row.status == OutboxStatus.SENT)
        await a.run(NOW)
        assert [len(api.sent_to(m.telegram_id)) for m in members] == [1] * 30
        assert await statuses() == {"sent": 30}


async def test_run_goes_on_after_a_full_batch_and_waits_out_a_429(db: str) -> None:
    clock = FakeClock()
    async with FakeBotAPI() as api, bot_on(api) as bot:
        members = await replies_waiting(api, 7)
        api.fail_next("sendMessage", 429, retry_after=2)
        sender = OutboxSender(
            bot=bot, gateway=None, tz=TZ, rate=1000, batch=3, clock=clock, sleep=clock.sleep
        )
        result = await sender.run(NOW)
        assert (result.sent, result.deferred) == (7, 3)
        assert 2.0 in clock.slept  # Telegram's retry_after, waited once
        assert [len(api.sent_to(m.telegram_id)) for m in members] == [1] * 7


async def test_each_telegram_message_is_marked_sent_before_the_next_goes(db: str) -> None:
    """Killed while Telegram holds the third message: two rows are sent, the process that
    starts next sends the rest at once, and no member gets a message twice."""
    async with FakeBotAPI() as api, bot_on(api) as bot:
        members = []
        for _ in range(5):
            m = await make_member(NOW, locale="en")
            api.add_user(m.telegram_id)
            members.append(m)
            await notify.enqueue(m.id, "staff_reply", f"r:{m.id}", now=NOW, params={"text": "hi"})
        api.hang_call("sendMessage", 3)
        with OtherProcess() as dying:
            sender = OutboxSender(bot=bot, gateway=None, tz=TZ, rate=1000, process=dying.heartbeat)
            drain = asyncio.create_task(sender.drain(NOW))
            await eventually(lambda: api.hung, "the third message, held by the fake")
            drain.cancel()  # the process dies while it waits for Telegram's answer
            with contextlib.suppress(asyncio.CancelledError):
                await drain
            dying.kill()
        rows = await OutboxMessage.all().order_by("id")
        assert [row.status for row in rows] == ["sent", "sent", "sending", "sending", "sending"]
        restarted = OutboxSender(bot=bot, gateway=None, tz=TZ, rate=1000)
        assert (await restarted.drain(NOW + timedelta(seconds=1))).sent == 3
        assert [len(api.sent_to(m.telegram_id)) for m in members] == [1] * 5


async def test_token_bucket_keeps_its_rate_when_sleeps_wake_late() -> None:
    """Each sleep overruns by a third of the interval: the rate holds, no window is overfull."""
    clock = FakeClock()

    async def late(seconds: float) -> None:
        await clock.sleep(seconds + 1 / 97 / 3)

    bucket = TokenBucket(97, clock=clock, sleep=late)
    times = []
    for _ in range(971):
        await bucket.take()
        times.append(clock.now)
        clock.now += 0.002  # the send itself
    assert (len(times) - 1) / (times[-1] - times[0]) >= 0.99 * 97
    assert max(sum(1 for t in times if start <= t < start + 1) for start in times) <= 98


async def test_token_bucket_makes_up_for_a_send_that_stalls_now_and_then() -> None:
    """Every tenth send takes 17 ms (an fsync that stalls) instead of 2: the rate holds."""
    clock = FakeClock()
    bucket = TokenBucket(97, clock=clock, sleep=clock.sleep)
    times = []
    for n in range(971):
        await bucket.take()
        times.append(clock.now)
        clock.now += 0.017 if n % 10 == 9 else 0.002
    assert (len(times) - 1) / (times[-1] - times[0]) >= 0.99 * 97
    assert max(sum(1 for t in times if start <= t < start + 1) for start in times) <= 98


async def test_a_chunk_queued_by_another_worker_meanwhile_is_finished_one_by_one(
    any_db: str,
) -> None:
    # Another worker inserts one of the chunk's keys after this one looked them up: the
    # chunk's INSERT waits for that worker's transaction, breaks the unique key when it
    # commits, and the chunk is queued again one message at a time, keeping the other's row.
    if any_db != "postgres":
        pytest.skip("SQLite has one writer: nothing can come between the look-up and the INSERT")
    members = [await make_member(NOW) for _ in range(5)]
    keys = [f"cmp:9:{m.id}" for m in members]
    other = await asyncpg.connect(POSTGRES_URL)
    try:
        held = other.transaction()
        await held.start()
        await other.execute(
            "INSERT INTO outbox_message (key, member_id, template, params, status, attempts, "
            "last_error,"
            " next_attempt_at, created_at) VALUES ($1, $2, 'elsewhere', '{}', 'pending', 0, '', "
            "$3, $3)",
            keys[2],
            members[2].id,
            NOW,
        )
        queued = asyncio.create_task(
            notify.enqueue_many(
                "campaign",
                [(m.id, key, None) for m, key in zip(members, keys, strict=True)],
                now=NOW,
            )
        )
        await waiting_for_lock(other, queued)
        await held.commit()
        await queued
    finally:
        await other.close()
    rows = await OutboxMessage.all().order_by("key")
    assert [(row.key, row.member_id) for row in rows] == sorted(
        zip(keys, [m.id for m in members], strict=True)
    )
    assert {row.key: row.template for row in rows}[keys[2]] == "elsewhere"
    assert [row.template for row in rows].count("campaign") == 4
