"""Lanes shared by several processes (PostgreSQL and Redis): one chat, one process at a time.

Two `Updates` doors stand for two workers of `club run --workers N`: they share the
database and Redis. Each receives some of one chat's updates; every update must be
handled once, in order, never two at the same time, even when one takes longer than the
chat's Redis lock lives.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import pytest
from aiogram.types import Update

from bot import updates as updates_module
from bot.app import build_bot
from bot.settings import Settings
from bot.updates import Updates
from models import TelegramUpdate

REDIS_URL = os.environ.get("TEST_REDIS_URL")
pytestmark = pytest.mark.skipif(
    not REDIS_URL, reason="TEST_REDIS_URL is not set: no Redis to share lanes in"
)
CHAT = 4242
SLOW = 2.5  # seconds the first update takes: longer than the lock lives unrenewed


class Recorder:
    """Stands for the dispatcher: notes who handled what, when."""

    def __init__(self, name: str, log: list[tuple[str, str, int]]) -> None:
        self.name = name
        self.log = log

    async def feed_update(self, bot: Any, update: Update) -> None:
        self.log.append(("start", self.name, update.update_id))
        await asyncio.sleep(SLOW if update.update_id == 1 else 0.05)
        self.log.append(("end", self.name, update.update_id))


def update(update_id: int) -> tuple[Update, str]:
    raw = (
        f'{{"update_id": {update_id}, "message": {{"message_id": {update_id}, "date": 0, '
        f'"chat": {{"id": {CHAT}, "type": "private"}}, "text": "m{update_id}"}}}}'
    )
    return Update.model_validate_json(raw), raw


async def test_two_workers_handle_one_chat_in_order_one_at_a_time(
    any_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from redis.asyncio import Redis

    monkeypatch.setattr(updates_module, "LANE_LOCK_SECONDS", 1)
    redis = Redis.from_url(REDIS_URL)
    await redis.flushdb()
    log: list[tuple[str, str, int]] = []
    bot = build_bot(Settings(_env_file=None, bot_token="1:abc"))
    doors = [Updates(Recorder(name, log), bot, redis=redis) for name in ("one", "two")]  # type: ignore[arg-type]
    try:
        await doors[0].accept([update(1)])
        await asyncio.sleep(0.3)  # the first worker is in update 1 when the rest arrive
        await doors[1].accept([update(2)])
        await doors[0].accept([update(3)])
        await doors[1].accept([update(4)])
        for _ in range(600):
            if await TelegramUpdate.filter(handled_at=None).count() == 0 and len(log) >= 8:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)  # room for a second handling to show, were there one
    finally:
        for door in doors:
            await door.close(5)
        await redis.aclose()
    handled = [update_id for event, _, update_id in log if event == "start"]
    assert handled == [1, 2, 3, 4]  # each once, in order
    assert all(
        log[i][0] == "start" and log[i + 1][0] == "end" and log[i][2] == log[i + 1][2]
        for i in range(0, len(log), 2)
    ), log  # never two at once
