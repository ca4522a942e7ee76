"""The journal of Telegram updates (`bot/updates.py`): every update is written, marked
handled, and looked for again after a crash."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from models.statements import Statement
from models.updates import TelegramUpdate

_handled_at = TelegramUpdate._meta.fields_map["handled_at"]
mark = Statement(TelegramUpdate, "UPDATE telegram_update SET handled_at = ? WHERE update_id = ?")
pending = Statement(
    TelegramUpdate,
    """
    SELECT update_id, body FROM telegram_update WHERE handled_at IS NULL ORDER BY update_id""",
)
pending_of_chat = Statement(
    TelegramUpdate,
    """
    SELECT update_id, body FROM telegram_update WHERE chat_id = ? AND handled_at IS NULL
    ORDER BY update_id""",
)
chats_pending = Statement(
    TelegramUpdate,
    """
    SELECT DISTINCT chat_id FROM telegram_update WHERE handled_at IS NULL AND received_at <= ?""",
)
prune = Statement(TelegramUpdate, "DELETE FROM telegram_update WHERE handled_at < ?")
_inserts: dict[int, Statement] = {}  # by the number of rows


def db_time(moment: datetime) -> Any:
    return _handled_at.to_db_value(moment, TelegramUpdate)


def insert(rows: int) -> Statement:
    """INSERT of `rows` updates at once, returning the ids that were not stored before."""
    statement = _inserts.get(rows)
    if statement is None:
        values = ", ".join(["(?, ?, ?, ?)"] * rows)
        statement = _inserts[rows] = Statement(
            TelegramUpdate,
            f"""
            INSERT INTO telegram_update (update_id, chat_id, body, received_at) VALUES {values}
            ON CONFLICT (update_id) DO NOTHING RETURNING update_id""",
        )
    return statement
