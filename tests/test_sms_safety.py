"""Cost and safety of the SMS door: no replies to machines, floods throttled, help rationed."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from tortoise import Tortoise

from handlers.sms import inbound
from handlers.sms import keywords as kw
from handlers.sms.inbound import SmsConfig, handle_inbound
from models import Channel, InboundOutcome, InboundSms, InboxItem, InboxKind, Member, OutboxMessage
from tests.conftest import NOW

PHONE = "09121234567"
HELP_FA = "عضویت، امتیاز، جوایز، دریافت ۲، تولد، نظر، کارت کد، اهدا ۲۰، لغو، ۱۲"
THROTTLED_FA = "پیام‌ها زیاد است. لطفاً چند دقیقه صبر کنید."
HELP_EN = (
    "Keywords: JOIN [code] name, POINTS, REWARDS, REDEEM n, "
    "BIRTHDAY 1991-08-03, FEEDBACK text, GIFT code, GIVE n, STOP, START. "
    "Survey: send a number."
)


async def answer(
    sender: str,
    text: str,
    *,
    now: datetime,
    message_id: int | str | None = None,
    config: SmsConfig = inbound.DEFAULT_CONFIG,
) -> str | None:
    """As the webhook does: store the message, then decide it and queue the answer."""
    accepted = await inbound.accept(sender, text, message_id=message_id, now=now)
    decided = await inbound.process(accepted.row_id, config=config) if accepted.pending else None
    return decided.reply if decided is not None else None


async def queued() -> list[tuple[str, str]]:
    rows = await OutboxMessage.all().order_by("id")
    return [(row.phone or "", row.params["text"]) for row in rows]


@pytest.mark.parametrize(
    "sender", ["10008663", "3000", "02188776655", "+982188776655", "abc", "", "+14155550100"]
)
async def test_no_reply_to_senders_that_are_not_iranian_mobiles(db: str, sender: str) -> None:
    assert await answer(sender, "عضویت", now=NOW) is None
    assert await answer(sender, "hello", message_id=77, now=NOW) is None
    assert await queued() == []
    assert await Member.all().count() == 0
    outcomes = await InboundSms.all().values_list("outcome", flat=True)
    assert outcomes == [InboundOutcome.NOT_MOBILE, InboundOutcome.NOT_MOBILE]


async def test_a_flood_is_answered_once_then_ignored_for_a_while(db: str) -> None:
    config = SmsConfig(per_minute=3, quiet=timedelta(minutes=10))

    async def sms(seconds: int) -> str | None:
        return await answer(PHONE, "راهنما", now=NOW + timedelta(seconds=seconds), config=config)

    assert [await sms(s) for s in (0, 5, 10)] == [HELP_FA] * 3
    assert await sms(15) == THROTTLED_FA  # the fourth in a minute: told once
    assert [await sms(s) for s in range(20, 300, 10)] == [None] * 28  # then silence
    assert len(await queued()) == 4
    # After the quiet time the sender is answered again.
    assert await sms(15 + 10 * 60 + 1) == HELP_FA
    # Someone else was never held up by the flood.
    other = await handle_inbound(
        "09351234567", "راهنما", now=NOW + timedelta(seconds=30), config=config
    )
    assert other == HELP_FA


async def test_unknown_text_gets_help_at_most_once_a_day(db: str) -> None:
    assert await handle_inbound(PHONE, "سلام خوبی؟", now=NOW) == HELP_FA
    assert await handle_inbound(PHONE, "ok", now=NOW + timedelta(hours=2)) is None
    assert await handle_inbound(PHONE, "؟", now=NOW + timedelta(hours=23)) is None
    # Asking for help is always answered, in the language it was asked in.
    assert await handle_inbound(PHONE, "help", now=NOW + timedelta(hours=23, minutes=5)) == HELP_EN
    assert await handle_inbound(PHONE, "راهنما", now=NOW + timedelta(hours=23, minutes=6)) == (
        HELP_FA
    )
    assert await handle_inbound(PHONE, "hello", now=NOW + timedelta(days=1, minutes=1)) == HELP_FA


async def test_a_duplicate_messageid_is_not_answered_again(db: str) -> None:
    first = await answer(PHONE, "عضویت", message_id="9001", now=NOW)
    again = await answer("+989121234567", "عضویت", message_id=9001, now=NOW)
    assert first is not None and again is None
    assert await queued() == [("+989121234567", first)]
    assert await Member.all().count() == 1


@pytest.mark.parametrize(
    "text", ["", " ", "🙂🙂", "x" * 5000, "\x00\x01", "دریافت 99999999999999999999"]
)
async def test_odd_input_gets_an_answer_not_a_crash(db: str, text: str) -> None:
    await handle_inbound(PHONE, "عضویت", now=NOW - timedelta(hours=1))
    reply = await handle_inbound(PHONE, text, now=NOW)
    assert reply is None or isinstance(reply, str)
    assert all("\x00" not in row.text for row in await InboundSms.all())


async def test_a_reward_number_too_large_for_the_database_is_not_found(db: str) -> None:
    await handle_inbound(PHONE, "JOIN", now=NOW - timedelta(hours=1))
    reply = await handle_inbound(PHONE, "redeem 99999999999999999999", now=NOW)
    assert reply == "No such reward."


async def test_a_reward_number_in_digits_int_does_not_read_is_asked_again(db: str) -> None:
    await handle_inbound(PHONE, "JOIN", now=NOW - timedelta(hours=1))
    how = "Send REDEEM and the reward number from REWARDS."
    assert await handle_inbound(PHONE, "redeem ²", now=NOW) == how
    assert await handle_inbound(PHONE, "redeem ¹²", now=NOW + timedelta(minutes=1)) == how


async def test_an_unexpected_failure_is_answered_politely(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await handle_inbound(PHONE, "عضویت", now=NOW - timedelta(hours=1))

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr(kw.tiers, "progress", broken)
    assert (
        await handle_inbound(PHONE, "امتیاز", now=NOW) == "خطایی پیش آمد. لطفاً بعداً دوباره بفرستید."
    )


async def test_a_failing_statement_takes_back_the_keyword_only(
    any_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The answer is queued in the transaction the keyword ran in: a statement that fails
    in the keyword (PostgreSQL then refuses every further one) must not cost the answer."""
    await handle_inbound(PHONE, "عضویت", now=NOW - timedelta(hours=1))

    async def broken(member_id: int, text: str, **kwargs: object) -> None:
        await InboxItem.create(
            member_id=member_id,
            kind=InboxKind.FEEDBACK,
            text=text,
            channel=Channel.SMS,
            created_at=NOW,
        )
        await Tortoise.get_connection("default").execute_query("SELECT * FROM no_such_table")

    monkeypatch.setattr(kw.inbox, "submit_feedback", broken)
    reply = await answer(PHONE, "نظر عالی", now=NOW)
    assert reply == "خطایی پیش آمد. لطفاً بعداً دوباره بفرستید."
    assert await queued() == [("+989121234567", reply)]
    assert await InboxItem.all().count() == 0  # what the keyword wrote before failing is gone
    assert await InboundSms.filter(outcome=InboundOutcome.ANSWERED).count() == 2


async def test_a_flood_arriving_at_once_is_answered_once(any_db: str) -> None:
    # Eight messages from one sender handled at the same moment, three allowed a minute:
    # three answers, one "please wait", and silence, whatever order they are decided in.
    config = SmsConfig(per_minute=3, quiet=timedelta(minutes=10))
    replies = await asyncio.gather(
        *(
            handle_inbound(PHONE, "راهنما", message_id=500 + n, now=NOW, config=config)
            for n in range(8)
        )
    )
    assert (replies.count(HELP_FA), replies.count(THROTTLED_FA), replies.count(None)) == (3, 1, 4)


async def test_unknown_texts_arriving_at_once_get_help_once(any_db: str) -> None:
    replies = await asyncio.gather(
        *(handle_inbound(PHONE, f"سلام {n}", message_id=600 + n, now=NOW) for n in range(5))
    )
    assert (replies.count(HELP_FA), replies.count(None)) == (1, 4)
