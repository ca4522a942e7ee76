"""With REDIS_URL, dialog state lives in Redis and survives a restart of the bot."""

import os

import pytest
from aiogram.fsm.storage.base import StorageKey

from bot.app import build_storage
from bot.settings import Settings

REDIS_URL = os.environ.get("TEST_REDIS_URL")
pytestmark = pytest.mark.skipif(
    not REDIS_URL, reason="TEST_REDIS_URL is not set: no Redis to test on"
)


async def test_state_survives_a_new_storage_object() -> None:
    settings = Settings(_env_file=None, redis_url=REDIS_URL)
    key = StorageKey(bot_id=42, chat_id=777, user_id=777, destiny="aiogd_stack")
    first = build_storage(settings)
    try:
        await first.set_state(key, "Menu:home")
        await first.set_data(key, {"page": 3, "locale": "fa"})
    finally:
        await first.close()
    second = build_storage(settings)  # as after a restart
    try:
        assert await second.get_state(key) == "Menu:home"
        assert await second.get_data(key) == {"page": 3, "locale": "fa"}
        await second.set_state(key, None)
        await second.set_data(key, {})
    finally:
        await second.close()
