"""/inbox and answering members by Telegram or SMS."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from loyalty.inbox import send_message, submit_feedback
from models import AuditEntry, Branch, Channel, InboxItem, Member, OutboxMessage, Staff, StaffRole
from tests.conftest import NOW
from tests.helpers import member as make_member
from tests.staff_harness import CASHIER, STRANGER, Harness, harness

pytestmark = pytest.mark.asyncio


@pytest.fixture
async def h(db: str) -> AsyncIterator[Harness]:
    await Staff.create(
        telegram_id=CASHIER, role=StaffRole.CASHIER, branch=await Branch.first(), created_at=NOW
    )
    async with harness() as harness_:
        yield harness_
        assert harness_.api.rejected == []


async def test_inbox_lists_and_a_reply_reaches_the_member_by_telegram(h: Harness) -> None:
    from zoneinfo import ZoneInfo

    m = await make_member(NOW, phone="09121111111", first_name="Sara", telegram_id=77)
    item = await send_message(m.id, "Do you open on Friday?", channel=Channel.TELEGRAM, now=NOW)
    await submit_feedback(
        m.id,
        "Great coffee",
        rating=5,
        channel=Channel.TELEGRAM,
        tz=ZoneInfo("Asia/Tehran"),
        now=NOW,
    )
    replies = await h.send(CASHIER, "/inbox")
    assert replies == [
        "Open messages: 2. Reply to one to answer the member.",
        f"#{item.id} · 2026-03-01 12:30 · Sara\nDo you open on Friday?",
        f"#{item.id + 1} · 2026-03-01 12:30 · Sara · rating 5 of 5\nGreat coffee",
    ]
    listed = h.api.sent_to(CASHIER)[1]
    before = len(h.api.sent_to(CASHIER))
    from aiogram.types import Update

    update = h.api._push_user_message(
        CASHIER, {"text": "Yes, from 10.", "reply_to_message": listed}, None, "en"
    )
    await h.dp.feed_update(h.bot, Update.model_validate(update, context={"bot": h.bot}))
    assert [m_["text"] for m_ in h.api.sent_to(CASHIER)[before:]] == [
        f"Answer to #{item.id} sent to the member."
    ]
    answered = await InboxItem.get(id=item.id)
    assert answered.answered_at == NOW and answered.answer == "Yes, from 10."
    out = await OutboxMessage.get(template="staff_reply")
    assert (out.member_id, out.params, out.channel) == (
        m.id,
        {"text": "Yes, from 10."},
        Channel.TELEGRAM,
    )
    assert await AuditEntry.filter(action="inbox_answer").count() == 1
    assert await h.send(CASHIER, f"/reply {item.id} again") == [
        "This message was already answered."
    ]


async def test_member_without_telegram_is_answered_by_sms(h: Harness) -> None:
    m = await make_member(NOW, phone="09121111111")
    item = await send_message(m.id, "Hello", channel=Channel.SMS, now=NOW)
    assert await h.send(CASHIER, f"/reply {item.id} Hi Sara") == [
        f"Answer to #{item.id} sent to the member."
    ]
    out = await OutboxMessage.get(template="staff_reply")
    assert (out.channel, out.params) == (Channel.SMS, {"text": "Hi Sara"})


async def test_inbox_refused_and_empty(h: Harness) -> None:
    m = await make_member(NOW, phone="09121111111")
    item = await send_message(m.id, "Hello", channel=Channel.SMS, now=NOW)
    assert await h.send(STRANGER, "/inbox") == ["Not allowed."]
    assert await h.send(STRANGER, f"/reply {item.id} hi") == ["Not allowed."]
    assert (await InboxItem.get(id=item.id)).answered_at is None
    assert await OutboxMessage.filter(template="staff_reply").count() == 0
    assert await h.send(CASHIER, "/reply 999 hi") == ["No message with that number in the inbox."]
    await h.send(CASHIER, f"/reply {item.id} hi")
    assert await h.send(CASHIER, "/inbox") == ["The inbox is empty."]
    assert (await Member.get(id=m.id)).balance == 20
