"""Messages the club sends, recorded in the outbox.

The domain only records what should be said (a template code and its values) in the
outbox, inside the transaction of the change it tells about; senders in `bot/` deliver.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from models import Channel, OutboxMessage
from models.queries import outbox as outbox_sql

SMS_REPLY = "sms_reply"  # the template of an answer to an inbound SMS (its text, as written)


def message_values(
    member_id: int,
    template: str,
    *,
    now: datetime,
    params: dict[str, Any] | None = None,
    channel: Channel | None = None,
    campaign_id: int | None = None,
    not_before: datetime | None = None,
) -> dict[str, Any]:
    """The fields of an outbox row, all but its key."""
    return {
        "member_id": member_id,
        "template": template,
        "params": params or {},
        "channel": channel,
        "campaign_id": campaign_id,
        "next_attempt_at": not_before or now,
        "created_at": now,
    }


async def enqueue(
    member_id: int,
    template: str,
    key: str,
    *,
    now: datetime,
    params: dict[str, Any] | None = None,
    channel: Channel | None = None,
    campaign_id: int | None = None,
    not_before: datetime | None = None,
    new_key: bool = False,
) -> OutboxMessage:
    """Add a message once: a second call with the same key returns the first row.

    `new_key=True` says the key cannot exist yet (it names a row created in the same
    transaction), so the row is inserted without looking first; the unique key still
    refuses a repeat.
    """
    values = message_values(
        member_id,
        template,
        now=now,
        params=params,
        channel=channel,
        campaign_id=campaign_id,
        not_before=not_before,
    )
    if new_key:
        return await outbox_sql.insert(key=key, **values)
    message, _ = await OutboxMessage.get_or_create(key=key, defaults=values)
    return message


async def enqueue_many(
    template: str,
    messages: Sequence[tuple[int, str, Channel | None]],
    *,
    now: datetime,
    params: dict[str, Any] | None = None,
    campaign_id: int | None = None,
    chunk: int = 500,
    params_of: Callable[[int], dict[str, Any]] | None = None,
) -> None:
    """Add many messages (member id, key, channel), each once; `params_of`: each member's
    own parameters instead of `params` (a campaign's text with the member's promo code).

    A chunk per transaction: one look-up of its keys and one multi-row INSERT instead of
    two statements a message, so a campaign to 500,000 members is queued in seconds. A
    run cut short is finished by running it again: the keys already there are left alone.
    """
    for start in range(0, len(messages), chunk):
        part = messages[start : start + chunk]
        try:
            async with in_transaction():
                there = set(
                    await OutboxMessage.filter(key__in=[key for _, key, _ in part]).values_list(
                        "key", flat=True
                    )
                )
                rows = [
                    OutboxMessage(
                        key=key,
                        member_id=member_id,
                        template=template,
                        params=(params_of(member_id) if params_of else params) or {},
                        channel=channel,
                        campaign_id=campaign_id,
                        next_attempt_at=now,
                        created_at=now,
                    )
                    for member_id, key, channel in part
                    if key not in there
                ]
                await OutboxMessage.bulk_create(rows)
        except IntegrityError:  # another process queued some of these a moment ago: one by one
            for member_id, key, channel in part:
                await enqueue(
                    member_id,
                    template,
                    key,
                    now=now,
                    params=params_of(member_id) if params_of else params,
                    channel=channel,
                    campaign_id=campaign_id,
                )


async def enqueue_sms_reply(
    phone: str, text: str, key: str, *, member_id: int | None, now: datetime
) -> OutboxMessage:
    """Queue the answer to an inbound SMS, to the number it came from, member or not.

    Call inside the transaction that records the message's outcome: answered and answer
    queued are then one fact. `key` names the inbound message, so it is answered once.
    """
    return await outbox_sql.insert(
        key=key,
        member_id=member_id,
        phone=phone,
        template=SMS_REPLY,
        params={"text": text},
        channel=Channel.SMS,
        campaign_id=None,
        next_attempt_at=now,
        created_at=now,
    )
