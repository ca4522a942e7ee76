"""Answers to SMS go through the outbox: kept through a provider outage, sent with one
localid until Kavenegar takes or refuses them, never advertising, and sent at once."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.scheduler import OutboxWake, build_scheduler
from bot.settings import Settings
from loyalty.clock import utcnow
from models import Member, OutboxMessage, OutboxStatus, Voucher
from tests.fakes.bot_api import FakeBotAPI
from tests.helpers import reward
from tests.jobs_helpers import bot_on
from tests.sms_harness import credit_alert, sms_line

PHONE = "09121234567"
TEHRAN = ZoneInfo("Asia/Tehran")
NO_CREDIT_ALERT = "The SMS account is out of credit: SMS wait in the queue until it is topped up."


async def test_a_voucher_code_reaches_the_member_when_credit_returns(any_db: str) -> None:
    owner = 4242
    async with sms_line() as line, FakeBotAPI() as api, bot_on(api) as bot:
        api.add_user(owner)
        alert = credit_alert(bot, owner)
        assert await line.sms(PHONE, "JOIN Mina", "1") == 200
        assert (await line.deliver(credit_alert=alert)).sent == 1
        coffee = await reward(15, name="Coffee")

        line.kave.credit = 0
        assert await line.sms(PHONE, f"REDEEM {coffee.id}", "2") == 200
        assert await line.sms(PHONE, "POINTS", "3") == 200
        now = utcnow()
        out = await line.deliver(now, credit_alert=alert)
        assert (out.sent, out.deferred) == (0, 2)
        voucher = await Voucher.get(member__phone="+989121234567")
        assert (
            await Member.get(phone="+989121234567")
        ).balance == 5  # points taken, voucher issued
        assert await line.sms(PHONE, "REWARDS", "4") == 200
        assert (await line.deliver(now + timedelta(minutes=31), credit_alert=alert)).deferred == 3
        assert [m["text"] for m in api.sent_to(owner)] == [NO_CREDIT_ALERT]  # told once

        line.kave.credit = 100
        assert (await line.deliver(now + timedelta(minutes=62), credit_alert=alert)).sent == 3
        assert (await line.deliver(now + timedelta(hours=5), credit_alert=alert)).sent == 0
    texts = line.texts_to(PHONE)
    assert len(texts) == 4 and sum(voucher.code in text for text in texts) == 1
    answers = {str(row.id): row for row in await OutboxMessage.all()}
    assert all(
        answers[localid].status is OutboxStatus.SENT for _, _, localid in line.kave.delivered
    )
    assert len({localid for _, _, localid in line.kave.delivered}) == 4


async def test_an_answer_is_not_advertising(db: str) -> None:
    async with sms_line() as line:
        assert await line.sms(PHONE, "JOIN", "1") == 200
        assert await line.sms(PHONE, "11", "2") == 200  # no more offers by SMS, please
        late = datetime.now(TEHRAN).replace(hour=23, minute=30) + timedelta(days=1)  # quiet hours
        assert (await line.deliver(late)).sent == 2
        assert (await Member.get(phone="+989121234567")).consent_sms is False
    assert line.texts_to(PHONE)[1] == "No more club offers by SMS. Send 12 to get them again."
    assert not any("لغو۱۱" in text for text in line.texts_to(PHONE))


async def test_a_busy_kavenegar_delays_an_answer_and_a_refused_number_fails_it(db: str) -> None:
    async with sms_line() as line:
        assert await line.sms(PHONE, "JOIN", "1") == 200
        await line.settle()
        line.kave.fail_next(409, count=12)
        now = utcnow()
        for _ in range(12):  # more than the outbox's attempts for other faults
            now += timedelta(hours=2)
            assert (await line.deliver(now)).deferred == 1
        assert (await OutboxMessage.get()).status is OutboxStatus.PENDING
        assert (await line.deliver(now + timedelta(hours=2))).sent == 1
        assert len(line.texts_to(PHONE)) == 1

        assert await line.sms("09351234567", "JOIN", "2") == 200
        line.kave.fail_next(411, method="sms/sendarray")
        line.kave.fail_next(411, method="sms/send")
        assert (await line.deliver(now + timedelta(hours=3))).failed == 1
        assert (await line.deliver(now + timedelta(days=1))).claimed == 0  # not tried again
        assert (await OutboxMessage.get(phone="+989351234567")).status is OutboxStatus.FAILED


async def test_an_answer_goes_out_at_once_not_at_the_outbox_tick(db: str) -> None:
    async with sms_line() as line:
        wake = OutboxWake()
        line.door.on_queued = wake
        scheduler = build_scheduler(
            Settings(_env_file=None), bot=None, gateway=line.gateway, sms_door=line.door, wake=wake
        )
        scheduler.start()
        try:
            scheduler.reschedule_job("outbox", trigger="interval", hours=1)  # no tick will come
            started = time.monotonic()
            assert await line.sms(PHONE, "JOIN", "1") == 200
            for _ in range(1200):  # a deadline, not a measure: the answer comes in milliseconds
                if line.kave.delivered:
                    break
                await asyncio.sleep(0.05)
            waited = time.monotonic() - started
        finally:
            scheduler.shutdown(wait=False)
    [(receptor, _, localid)] = line.kave.delivered
    answer = await OutboxMessage.get()
    assert (receptor, localid, answer.status) == (PHONE, str(answer.id), OutboxStatus.SENT)
    assert waited < 60
