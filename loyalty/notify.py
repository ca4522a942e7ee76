"""Messages to members that are not the answer to what they just sent.

The domain only records what should be said (a template code and its values) in the
outbox, inside the transaction of the change it tells about; senders in `bot/` deliver.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from models import Channel, OutboxMessage
from models import statements as sql


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
    values: dict[str, Any] = {
        "member_id": member_id,
        "template": template,
        "params": params or {},
        "channel": channel,
        "campaign_id": campaign_id,
        "next_attempt_at": not_before or now,
        "created_at": now,
    }
    if new_key:
        return await sql.insert_outbox(key=key, **values)
    message, _ = await OutboxMessage.get_or_create(key=key, defaults=values)
    return message
