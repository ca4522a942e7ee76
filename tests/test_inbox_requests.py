"""A member's message sent with a request key (a page's form) is stored once, however often
and however concurrently it is sent again."""

from __future__ import annotations

import asyncio

from loyalty import inbox
from models import Channel, InboxItem
from tests import helpers
from tests.conftest import NOW


async def test_the_same_request_sent_at_once_is_one_message(any_db: str) -> None:
    member = await helpers.member(NOW)
    sent = await asyncio.gather(
        *(
            inbox.send_message(
                member.id, "Open on Friday?", channel=Channel.SMS, now=NOW, request="web:k1"
            )
            for _ in range(5)
        )
    )
    assert {item.id for item in sent} == {(await InboxItem.get(request="web:k1")).id}
    assert await InboxItem.filter(member_id=member.id).count() == 1
    # Another key is another message; no key at all, always a new one (the bot's doors).
    await inbox.send_message(member.id, "Open on Friday?", channel=Channel.SMS, request="web:k2")
    await inbox.send_message(member.id, "Open on Friday?", channel=Channel.SMS)
    await inbox.send_message(member.id, "Open on Friday?", channel=Channel.SMS)
    assert await InboxItem.filter(member_id=member.id).count() == 4
