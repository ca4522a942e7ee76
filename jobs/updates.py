"""Forgetting Telegram updates handled long ago (the journal of bot/updates.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

from models.queries import updates as updates_sql

KEEP = timedelta(days=1)  # handled rows kept, so that a late re-send of one is recognised


async def prune(now: datetime) -> None:
    """Forget updates handled more than KEEP ago."""
    await updates_sql.prune.many([[updates_sql.db_time(now - KEEP)]])
