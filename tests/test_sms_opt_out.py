"""An opt-out by SMS is carried out even from a sender the flood control has throttled."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from bot.sms_door import SmsDoor
from handlers.sms.inbound import SmsConfig
from models import InboundOutcome, InboundSms, Member
from tests.sms_harness import SmsLine, sms_line

PHONE = "09121234567"
E164 = "+989121234567"
THROTTLED_FA = "پیام‌ها زیاد است. لطفاً چند دقیقه صبر کنید."
STOPPED_FA = "دیگر پیامک تبلیغاتی نمی‌فرستیم. برای دریافت دوباره ۱۲ بفرستید."
STOPPED_EN = "No more club offers by SMS. Send 12 to get them again."


@pytest_asyncio.fixture
async def line(db: str) -> AsyncIterator[SmsLine]:
    async with sms_line(SmsDoor(SmsConfig(per_minute=3))) as line:
        yield line


async def flood(line: SmsLine, join: str, help_word: str) -> None:
    """Join, then text HELP until the club stops answering: the sender is throttled."""
    assert await line.sms(PHONE, join) == 200
    for _ in range(5):
        assert await line.sms(PHONE, help_word) == 200
    await line.settle()
    outcomes = await InboundSms.filter(sender=E164).order_by("id").values_list("outcome", flat=True)
    assert (
        outcomes
        == [InboundOutcome.ANSWERED] * 3 + [InboundOutcome.THROTTLED] + [InboundOutcome.IGNORED] * 2
    )


@pytest.mark.parametrize("text", ["لغو", "11", "۱۱", "١١", "لغو۱۱", " لغو "])
async def test_a_throttled_persian_member_can_still_opt_out(line: SmsLine, text: str) -> None:
    await flood(line, "عضویت مریم", "راهنما")
    assert await line.sms(PHONE, text) == 200
    await line.deliver()
    assert (await Member.get(phone=E164)).consent_sms is False
    texts = line.texts_to(PHONE)
    assert THROTTLED_FA in texts
    assert texts[-1] == STOPPED_FA


@pytest.mark.parametrize("text", ["STOP", "stop", "Stop", "STOP."])
async def test_a_throttled_english_member_can_still_opt_out(line: SmsLine, text: str) -> None:
    await flood(line, "JOIN Mary", "HELP")
    assert await line.sms(PHONE, text) == 200
    await line.deliver()
    assert (await Member.get(phone=E164)).consent_sms is False
    assert line.texts_to(PHONE)[-1] == STOPPED_EN


async def test_other_keywords_of_a_throttled_sender_stay_ignored(line: SmsLine) -> None:
    await flood(line, "عضویت مریم", "راهنما")
    assert await line.sms(PHONE, "امتیاز") == 200
    await line.settle()
    last = await InboundSms.filter(sender=E164).order_by("-id").first()
    assert last is not None and last.outcome is InboundOutcome.IGNORED
