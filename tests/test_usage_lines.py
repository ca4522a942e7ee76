"""Usage lines keep their <placeholders>, in Persian and English, in Telegram and the sandbox."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from bot.sandbox import Sandbox
from bot.settings import Settings
from tests.staff_harness import OWNER, harness

EARN = {
    "fa": "روش استفاده: /earn <عضو> <مبلغ> [شماره فاکتور] [گروه کالا] [code=<کد تخفیف>]",
    "en": "Usage: /earn <member> <amount> [receipt] [group] [code=X]",
}
LOTTERY = {
    "fa": "بنویسید: /lottery <تعداد برندگان> [per=<امتیاز هر بلیت>] [فیلترها]، سپس "
    "/lottery draw <شماره>",
    "en": "Write: /lottery <winners> [per=<points per ticket>] [filters], then "
    "/lottery draw <number>",
}


@pytest.mark.parametrize("language", ["fa", "en"])
async def test_a_usage_line_reaches_telegram_whole(db: str, language: str) -> None:
    async with harness() as h:
        assert await h.send(OWNER, "/earn", language=language) == [EARN[language]]
        assert h.api.rejected == []


@pytest.mark.parametrize("language", ["fa", "en"])
async def test_the_lottery_usage_is_not_refused_as_html(db: str, language: str) -> None:
    from aiogram import Dispatcher
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.types import Update

    from bot.app import build_bot
    from handlers.telegram.staff.campaigns import router
    from tests.fakes.bot_api import FakeBotAPI

    settings = Settings(_env_file=None, owner_ids=[OWNER])
    dp = Dispatcher(settings=settings)
    dp.include_router(router())
    async with FakeBotAPI() as api:
        # As the club builds it: HTML is the default parse mode.
        session = AiohttpSession(api=TelegramAPIServer.from_base(api.base_url))
        bot = build_bot(
            settings.model_copy(update={"bot_token": SecretStr(api.token)}), session=session
        )
        update = api.push_message(OWNER, "/lottery", language_code=language)
        await dp.feed_update(bot, Update.model_validate(update, context={"bot": bot}))
        assert api.rejected == []
        assert api.last_message(OWNER)["text"] == LOTTERY[language]
        await bot.session.close()


@pytest.mark.parametrize("language", ["fa", "en"])
async def test_the_sandbox_shows_a_usage_line_whole(db: str, language: str) -> None:
    lines: list[str] = []
    settings = Settings(_env_file=None, owner_ids=[OWNER], default_locale=language)
    sandbox = Sandbox(settings, OWNER, write=lines.append)
    await sandbox.type("/earn")
    assert lines[-1] == "> " + EARN[language]
