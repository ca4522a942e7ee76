"""Birthday parsing, the FSM storage in the database, and the web app."""

from __future__ import annotations

import json
from datetime import date

import pytest
from aiogram.fsm.storage.base import StorageKey
from aiohttp.test_utils import TestClient, TestServer

from bot import patches
from bot.app import WEBHOOK_PATH, build_bot, build_dispatcher, build_web_app, webhook_secret
from bot.fsm_storage import TortoiseStorage
from bot.sandbox import LocalSession
from bot.settings import Settings
from loyalty.dates import parse_birthday
from loyalty.errors import ErrorCode, LoyaltyError
from models import FsmRecord
from tests.waiting import eventually


@pytest.mark.parametrize(
    ("text", "locale", "expected"),
    [
        ("1370/05/12", "fa", date(1991, 8, 3)),
        ("۱۳۷۰/۰۵/۱۲", "fa", date(1991, 8, 3)),
        ("١٣٧٠/٥/١٢", "fa", date(1991, 8, 3)),
        ("1403/12/30", "fa", date(2025, 3, 20)),  # 1403 is a leap year
        ("1368-12-29", "fa", date(1990, 3, 20)),
        ("1991-08-03", "en", date(1991, 8, 3)),
        (" 1991/8/3 ", "en", date(1991, 8, 3)),
    ],
)
def test_birthdays_as_people_type_them(text: str, locale: str, expected: date) -> None:
    assert parse_birthday(text, locale, today=date(2026, 3, 1)) == expected


@pytest.mark.parametrize(
    ("text", "locale"),
    [
        ("1404/12/30", "fa"),
        ("۱۴۰۴/۱۲/۳۰", "fa"),
        ("1370/13/01", "fa"),
        ("2025-02-29", "en"),
        ("1405/01/01", "fa"),
        ("2030-01-01", "en"),
        ("1800-01-01", "en"),
        ("yesterday", "en"),
        ("", "fa"),
    ],
)
def test_impossible_birthdays_are_refused(text: str, locale: str) -> None:
    with pytest.raises(LoyaltyError) as info:
        parse_birthday(text, locale, today=date(2026, 3, 1))
    assert info.value.code is ErrorCode.INVALID_DATE


async def test_dialog_state_survives_a_new_storage(any_db: str) -> None:
    key = StorageKey(bot_id=1, chat_id=5, user_id=5, destiny="aiogd:stack")
    first = TortoiseStorage()
    await first.set_state(key, "MenuSG:main")
    await first.set_data(key, {"name": "سارا", "n": 1})
    await first.set_state(key, "MenuSG:main")  # unchanged: nothing to write
    await first.close()  # as the bot stops
    again = TortoiseStorage()  # as after a restart
    assert await again.get_state(key) == "MenuSG:main"
    assert await again.get_data(key) == {"name": "سارا", "n": 1}
    await again.set_data(key, {})
    assert await again.get_data(key) == {}
    assert await again.get_state(key) == "MenuSG:main"  # data and state are kept apart
    await again.flush()
    assert await TortoiseStorage().get_data(key) == {}
    assert await TortoiseStorage().get_state(key) == "MenuSG:main"
    assert await again.get_data(StorageKey(bot_id=1, chat_id=6, user_id=6)) == {}


async def test_storage_reads_back_what_it_no_longer_keeps_in_memory(any_db: str) -> None:
    storage = TortoiseStorage(cache_size=1)
    keys = [StorageKey(bot_id=1, chat_id=n, user_id=n, destiny="aiogd:stack") for n in (5, 6)]
    for n, key in enumerate(keys):
        await storage.set_data(key, {"n": n})
    data = await storage.get_data(keys[0])  # not written yet, and no longer in the copy
    data["n"] = 99  # a caller changing its copy changes nothing stored
    assert [await storage.get_data(key) for key in keys] == [{"n": 0}, {"n": 1}]
    await storage.flush()
    fresh = TortoiseStorage(cache_size=1)
    assert [await fresh.get_data(key) for key in keys] == [{"n": 0}, {"n": 1}]
    assert await FsmRecord.all().count() == 2


async def test_storage_writes_the_changes_of_many_updates_in_one_transaction(any_db: str) -> None:
    storage = TortoiseStorage()
    keys = [
        StorageKey(bot_id=1, chat_id=n, user_id=n, destiny=f"aiogd:context:{n}") for n in range(20)
    ]
    for n, key in enumerate(keys):
        await storage.set_data(key, {"n": n})
        await storage.set_data(key, {"n": n, "step": 2})
    assert await FsmRecord.all().count() == 0  # nothing written yet: one transaction for all
    await storage.flush()
    assert sorted(json.loads(row.data)["n"] for row in await FsmRecord.all()) == list(range(20))
    assert {json.loads(row.data)["step"] for row in await FsmRecord.all()} == {2}
    # A dialog that closes empties its context: the row goes, so they do not pile up.
    for key in keys[:15]:
        await storage.set_data(key, {})
    await storage.close()
    assert await FsmRecord.all().count() == 5
    assert await TortoiseStorage().get_data(keys[0]) == {}


async def test_storage_writes_by_itself_soon_after_a_change(any_db: str) -> None:
    storage = TortoiseStorage(flush_delay=0)
    key = StorageKey(bot_id=1, chat_id=7, user_id=7, destiny="aiogd:stack")
    await storage.set_data(key, {"intents": ["a"]})  # no flush(), no close(): nothing but time
    row = FsmRecord.filter(key=storage.key_builder.build(key))
    await eventually(row.exists, "the row")
    assert await TortoiseStorage().get_data(key) == {"intents": ["a"]}


async def test_storage_keeps_changes_a_failed_write_did_not_store(
    any_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from models.queries import fsm as fsm_sql

    storage = TortoiseStorage()
    key = StorageKey(bot_id=1, chat_id=8, user_id=8, destiny="aiogd:stack")
    await storage.set_data(key, {"n": 1})

    async def broken(*params: object) -> list[dict[str, object]]:
        raise OSError("disk full")

    with monkeypatch.context() as patch:
        patch.setattr(fsm_sql.write_data, "many", broken)
        with pytest.raises(OSError):
            await storage.flush()
    assert await storage.get_data(key) == {"n": 1}
    await storage.flush()
    assert await TortoiseStorage().get_data(key) == {"n": 1}


async def test_storage_writes_a_new_key_without_reading_it(
    any_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from models.queries import fsm as fsm_sql

    reads: list[tuple[object, ...]] = []
    read = fsm_sql.read.rows

    async def counted(*params: object) -> list[dict[str, object]]:
        reads.append(params)
        return await read(*params)

    monkeypatch.setattr(fsm_sql.read, "rows", counted)
    storage = TortoiseStorage()
    # What aiogram-dialog does when a button opens a dialog: a context under a new key.
    key = StorageKey(bot_id=1, chat_id=9, user_id=9, destiny="aiogd:context:new")
    await storage.set_data(key, {"state": "PointsSG:points"})
    await storage.set_data(key, {"state": "PointsSG:points"})
    assert await storage.get_data(key) == {"state": "PointsSG:points"}
    await storage.flush()
    assert reads == []
    assert await storage.get_state(key) is None  # the field it never wrote is read when asked for
    assert len(reads) == 1
    assert await storage.get_state(key) is None
    assert len(reads) == 1


async def test_storage_keeps_the_field_it_did_not_write(any_db: str) -> None:
    keys = [StorageKey(bot_id=1, chat_id=n, user_id=n, destiny="default") for n in (10, 11, 12, 13)]
    earlier = TortoiseStorage()
    for key in keys:
        await earlier.set_state(key, "FormSG:name")
        await earlier.set_data(key, {"name": "Sara"})
    await earlier.set_state(keys[3], None)
    await earlier.close()
    later = TortoiseStorage()  # as after a restart: knows none of the rows
    await later.set_data(keys[0], {"name": "Reza"})
    await later.set_state(keys[1], "FormSG:phone")
    await later.set_data(keys[2], {})  # emptied, but the row still has a state
    await later.set_data(keys[3], {})  # emptied, and no state: the row goes
    await later.close()
    fresh = TortoiseStorage()
    assert [(await fresh.get_state(key), await fresh.get_data(key)) for key in keys] == [
        ("FormSG:name", {"name": "Reza"}),
        ("FormSG:phone", {"name": "Sara"}),
        ("FormSG:name", {}),
        (None, {}),
    ]
    assert await FsmRecord.all().count() == 3


async def test_web_app_has_health_and_webhook_routes(db: str) -> None:
    settings = Settings(_env_file=None, bot_token="1:abc")
    session = LocalSession()
    bot = build_bot(settings, session=session)
    dp = build_dispatcher(settings)
    added = []

    def extra(app) -> None:  # type: ignore[no-untyped-def]
        added.append(app)

    app = build_web_app(settings, dp, bot, extra_routes=extra)
    assert added == [app]
    async with TestClient(TestServer(app)) as client:
        response = await client.get("/healthz")
        assert response.status == 200 and await response.json() == {"ok": True}
        start = {
            "update_id": 1,
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": 7, "type": "private"},
                "from": {"id": 7, "is_bot": False, "first_name": "Sara"},
                "text": "/start",
                "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
            },
        }
        response = await client.post(
            WEBHOOK_PATH,
            json=start,
            headers={"X-Telegram-Bot-Api-Secret-Token": webhook_secret(settings)},
        )
        assert response.status == 200
        # The webhook answers at once and handles the update in the background.
        await eventually(session.sent, "the answer to /start")
    await dp.storage.close()
    assert "Choose your language" in session.sent()[-1].text


def test_build_bot_points_at_another_server() -> None:
    settings = Settings(_env_file=None, bot_token="1:abc", telegram_api_base="http://127.0.0.1:9")
    bot = build_bot(settings)
    assert bot.session.api.api_url("1:abc", "getMe") == "http://127.0.0.1:9/bot1:abc/getMe"
    assert bot.default.parse_mode == "HTML"
    # Updates and answers are read with orjson, and what is sent stays text, Persian as is.
    assert bot.session.json_loads('{"text": "سلام"}') == {"text": "سلام"}
    assert bot.session.json_dumps({"text": "سلام", "n": 1}) == '{"text":"سلام","n":1}'
    real = build_bot(Settings(_env_file=None, bot_token="1:abc"))
    assert real.session.api.api_url("1:abc", "getMe") == "https://api.telegram.org/bot1:abc/getMe"


def test_redis_storage_when_redis_url_is_set() -> None:
    from aiogram.fsm.storage.redis import RedisStorage

    from bot.app import build_storage

    storage = build_storage(Settings(_env_file=None, redis_url="redis://127.0.0.1:6379/0"))
    assert isinstance(storage, RedisStorage) and storage.key_builder.with_destiny is True
    assert isinstance(build_storage(Settings(_env_file=None)), TortoiseStorage)


@pytest.mark.skipif(
    not patches.applied("dialog_ids"), reason="the dialog_ids patch is off (PATCHES)"
)
def test_dialog_ids_opened_in_one_second_do_not_collide() -> None:
    from aiogram_dialog.api.entities.stack import new_id

    ids = {new_id() for _ in range(5000)}
    assert len(ids) == 5000
