"""The webhook's secret, and what `club run --workers N` refuses to start without."""

from __future__ import annotations

import pytest
from aiogram import Dispatcher
from aiohttp.test_utils import TestClient, TestServer
from pydantic import ValidationError

from bot.app import build_bot, build_web_app, webhook_secret
from bot.cli import main
from bot.settings import Settings
from bot.workers import refusal

TOKEN = "123456:AAFakeClubTestToken-0123456789abcdefghij"
HEADER = "X-Telegram-Bot-Api-Secret-Token"
SCALED = {
    "bot_token": TOKEN,
    "webhook_url": "https://club.example",
    "redis_url": "redis://127.0.0.1:6379/0",
    "database_url": "postgres://club@db:5432/club",
    "default_locale": "en",
}


def test_more_workers_need_postgres_redis_and_a_webhook() -> None:
    assert refusal(Settings(_env_file=None, **SCALED), 4) is None
    assert (
        refusal(Settings(_env_file=None, default_locale="en"), 1) is None
    )  # one process: anything goes
    assert refusal(Settings(_env_file=None, default_locale="en"), 2) == (
        "2 workers need BOT_TOKEN, WEBHOOK_URL, DATABASE_URL=postgres://…, REDIS_URL: "
        "SQLite, long polling and dialogs kept in the database serve one process only."
    )
    without_redis = Settings(_env_file=None, **{**SCALED, "redis_url": ""})
    assert refusal(without_redis, 3).startswith("3 workers need REDIS_URL: ")


def test_club_run_refuses_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot import cli

    monkeypatch.setattr(
        cli,
        "get_settings",
        lambda: Settings(
            _env_file=None, **{**SCALED, "database_url": "sqlite://club.sqlite3", "web_workers": 2}
        ),
    )
    assert main(["run"]) == 1
    assert capsys.readouterr().err == (
        "2 workers need DATABASE_URL=postgres://…: SQLite, long polling and dialogs kept in the "
        "database serve one process only.\n"
    )


def test_a_webhook_secret_is_checked_and_never_echoed() -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(_env_file=None, webhook_secret="has spaces and a secret")
    assert "has spaces" not in str(refused.value)
    given = Settings(_env_file=None, bot_token=TOKEN, webhook_secret="A-b_9")
    assert webhook_secret(given) == "A-b_9"
    # Without one, each bot gets its own, the same in every worker and after a restart.
    derived = webhook_secret(Settings(_env_file=None, bot_token=TOKEN))
    assert derived == webhook_secret(Settings(_env_file=None, bot_token=TOKEN))
    assert derived != webhook_secret(Settings(_env_file=None, bot_token="654321:Other"))
    assert TOKEN not in derived and len(derived) == 64


async def test_the_webhook_refuses_calls_without_the_secret(db: str) -> None:
    settings = Settings(_env_file=None, bot_token=TOKEN, webhook_secret="right")
    # A dispatcher with no handlers: this is about the door, not what is behind it.
    app = build_web_app(settings, Dispatcher(), build_bot(settings), worker=2)
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    try:
        user = {"id": 5, "is_bot": False, "first_name": "A"}
        update = {
            "update_id": 1,
            "edited_message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": 5, "type": "private"},
                "from": user,
                "text": "hi",
            },
        }
        assert (await client.post("/telegram/webhook", json=update)).status == 401
        assert (
            await client.post("/telegram/webhook", json=update, headers={HEADER: "wrong"})
        ).status == 401
        accepted = await client.post("/telegram/webhook", json=update, headers={HEADER: "right"})
        assert accepted.status == 200
        assert accepted.headers["X-Club-Worker"] == "2"
    finally:
        await client.close()
