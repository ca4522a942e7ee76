"""The Telegram webhook answers 200 only for an update it has stored; bad calls get a 4xx."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import WEBHOOK_PATH, build_bot, build_dispatcher, build_web_app
from bot.sandbox import LocalSession
from bot.settings import Settings
from models import TelegramUpdate

SECRET = "right"
HEADER = "X-Telegram-Bot-Api-Secret-Token"


def update(update_id: int, text: str = "hello") -> dict:
    user = {"id": 5, "is_bot": False, "first_name": "A"}
    return {
        "update_id": update_id,
        "edited_message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": 5, "type": "private"},
            "from": user,
            "text": text,
        },
    }


@pytest.fixture
async def client(db: str) -> AsyncIterator[TestClient]:
    settings = Settings(_env_file=None, bot_token="1:abc", webhook_secret=SECRET)
    app = build_web_app(
        settings, build_dispatcher(settings), build_bot(settings, session=LocalSession())
    )
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        yield client


async def test_a_200_means_the_update_is_stored_once(client: TestClient) -> None:
    first = await client.post(WEBHOOK_PATH, json=update(41), headers={HEADER: SECRET})
    assert first.status == 200
    stored = await TelegramUpdate.get(update_id=41)
    assert stored.chat_id == 5 and '"hello"' in stored.body
    again = await client.post(WEBHOOK_PATH, json=update(41, "changed"), headers={HEADER: SECRET})
    assert again.status == 200  # Telegram's re-send: stored already, nothing new
    assert await TelegramUpdate.all().count() == 1
    assert '"hello"' in (await TelegramUpdate.get(update_id=41)).body


async def test_bad_calls_get_a_4xx_and_store_nothing(client: TestClient) -> None:
    body = '{"update_id": 42, "edited_message": {}}'
    cases = [
        ({HEADER: "رمز"}, update(43), 401),  # a non-ASCII secret
        ({HEADER: "wrong"}, update(44), 401),
        ({}, update(45), 401),
    ]
    for headers, payload, status in cases:
        assert (await client.post(WEBHOOK_PATH, json=payload, headers=headers)).status == status
    raw = [
        ("text/plain", '{"update_id": 46}', 415),
        ("application/x-www-form-urlencoded", "update_id=47", 415),
        ("application/json", "{not json", 400),
        ("application/json", "[1, 2]", 400),
        ("application/json", '{"no_update_id": 1}', 400),
        ("application/json", body, 400),  # an edited message without its fields
        ("application/json", b'{"update_id": 48, "x": "\xff"}', 400),  # not UTF-8
    ]
    for content_type, data, status in raw:
        response = await client.post(
            WEBHOOK_PATH,
            data=data if isinstance(data, bytes) else data.encode(),
            headers={HEADER: SECRET, "Content-Type": content_type},
        )
        assert response.status == status, (content_type, data, response.status)
    assert await TelegramUpdate.all().count() == 0


async def test_handled_updates_are_kept_a_day(client: TestClient) -> None:
    from datetime import timedelta

    from jobs.updates import prune
    from loyalty.clock import utcnow

    for update_id in (51, 52, 53):
        assert (
            await client.post(WEBHOOK_PATH, json=update(update_id), headers={HEADER: SECRET})
        ).status == 200
    now = utcnow()
    for _ in range(600):  # handled in the background
        if await TelegramUpdate.filter(handled_at=None).count() == 0:
            break
        await asyncio.sleep(0.05)
    await TelegramUpdate.filter(update_id=51).update(handled_at=now - timedelta(hours=25))
    await TelegramUpdate.filter(update_id=52).update(handled_at=now - timedelta(hours=23))
    await TelegramUpdate.filter(update_id=53).update(handled_at=None)  # stored, not handled yet
    await prune(now)
    assert sorted(await TelegramUpdate.all().values_list("update_id", flat=True)) == [52, 53]
