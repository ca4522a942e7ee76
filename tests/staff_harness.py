"""A dispatcher with the staff router, a real aiogram Bot and the fake Bot API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Update

from bot.settings import Settings
from handlers.telegram.staff import router
from tests.conftest import NOW
from tests.fakes.bot_api import FakeBotAPI

OWNER = 1000
MANAGER = 2000
CASHIER = 3000
STRANGER = 4000


@dataclass
class Harness:
    api: FakeBotAPI
    bot: Bot
    dp: Dispatcher

    async def send(self, user_id: int, text: str, *, language: str = "en") -> list[str]:
        """Feed one message; return the texts the bot sent to that chat because of it."""
        before = len(self.api.sent_to(user_id))
        update = self.api.push_message(user_id, text, language_code=language)
        await self.dp.feed_update(
            self.bot, Update.model_validate(update, context={"bot": self.bot})
        )
        return [m.get("text") or m.get("caption") or "" for m in self.api.sent_to(user_id)[before:]]

    async def click(self, user_id: int, message_id: int, data: str) -> None:
        self.api.push_callback(user_id, message_id, data)
        update = self.api._updates[-1]
        await self.dp.feed_update(
            self.bot, Update.model_validate(update, context={"bot": self.bot})
        )


@asynccontextmanager
async def harness(settings: Settings | None = None) -> AsyncIterator[Harness]:
    settings = settings or Settings(
        owner_ids=[OWNER], default_locale="en", timezone="Asia/Tehran", _env_file=None
    )
    async with FakeBotAPI() as api:
        bot = Bot(api.token, session=AiohttpSession(api=TelegramAPIServer.from_base(api.base_url)))
        dp = Dispatcher()
        dp["settings"] = settings
        dp["clock"] = lambda: NOW
        dp.include_router(router())
        try:
            yield Harness(api, bot, dp)
        finally:
            await bot.session.close()
