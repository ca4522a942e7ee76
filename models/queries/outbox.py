"""The outbox: a message written in a purchase's transaction, and the sender's rounds."""

from __future__ import annotations

from datetime import datetime

from models.enums import OutboxStatus
from models.messaging import OutboxMessage
from models.queries.processes import dead_holder
from models.statements import Insert, Statement, db_value

insert = Insert(OutboxMessage)

# The claim of a round. The inner SELECT picks the batch; the outer WHERE tests each row
# again as it updates it, so of two senders racing for a row only the first UPDATE
# matches it (PostgreSQL re-reads a row another transaction changed before updating it;
# SQLite runs one writer at a time). A row is free when due, or claimed by a dead process.
_FREE = f"(status IN (?, ?) AND next_attempt_at <= ? OR status = ? AND {dead_holder('claimed_by')})"
_claim = Statement(
    OutboxMessage,
    "UPDATE outbox_message"
    " SET status = ?, next_attempt_at = ?, attempts = attempts + 1, claimed_by = ?"
    f" WHERE id IN (SELECT id FROM outbox_message WHERE {_FREE} ORDER BY id LIMIT ?)"
    f" AND {_FREE} RETURNING id",
)
# Once per Telegram message, on the critical path of the send rate.
_sent = Statement(
    OutboxMessage, "UPDATE outbox_message SET status = ?, last_error = '', sent_at = ? WHERE id = ?"
)


def _at(value: datetime) -> object:
    return db_value(OutboxMessage, "next_attempt_at", value)


async def claim(holder: str, now: datetime, until: datetime, limit: int) -> list[int]:
    """Mark up to `limit` free messages as sending, held by process `holder` `until`; their ids."""
    sending = OutboxStatus.SENDING.value
    free = (OutboxStatus.PENDING.value, sending, _at(now), sending, _at(now))
    rows = await _claim.rows(sending, _at(until), holder, *free, limit, *free)
    return [row["id"] for row in rows]


async def mark_sent(message_id: int, sent_at: datetime) -> None:
    await _sent.rows(
        OutboxStatus.SENT.value, db_value(OutboxMessage, "sent_at", sent_at), message_id
    )
