"""Composition of the Telegram bot: the Bot, the Dispatcher, the web app, and running them."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.filters import ExceptionTypeFilter
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder
from aiogram.types import ErrorEvent
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiogram_dialog import DialogManager, setup_dialogs
from aiogram_dialog.api.entities import stack as dialog_stack
from aiogram_dialog.api.exceptions import OutdatedIntent, UnknownIntent
from aiogram_dialog.api.protocols import MessageManagerProtocol
from aiohttp import web

from bot.db import close_db, open_db
from bot.fsm_storage import TortoiseStorage
from bot.scheduler import build_scheduler
from bot.settings import Settings
from bot.sms_door import Process, build_sms_gateway, make_processor
from handlers.i18n import N_, t
from handlers.sms.web import add_sms_routes
from handlers.telegram.member.menu import open_home
from handlers.telegram.middlewares import LocaleMiddleware, ThrottleMiddleware
from handlers.telegram.routers import all_routers
from handlers.texts import error_text
from loyalty.errors import LoyaltyError

log = logging.getLogger("club.bot")


def _unique_dialog_ids() -> None:
    """Give aiogram-dialog intent and stack ids that do not collide.

    aiogram-dialog 2.x builds them from the current second plus one of 100 random values,
    so two dialogs a member opens within one second (the profile, then its calendar) get
    the same id once in a hundred times; the member's stack is then "broken" and silently
    reset to the main menu. 40 random bits keep the ids short (callback data is limited
    to 64 bytes) and make a collision practically impossible.
    """
    dialog_stack.new_int_id = lambda: secrets.randbits(40)


_unique_dialog_ids()
WEBHOOK_PATH = "/telegram/webhook"


def build_bot(settings: Settings, *, session: Any = None) -> Bot:
    token = settings.bot_token.get_secret_value() if settings.bot_token else "0:sandbox"
    if session is None and settings.telegram_api_base:
        session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_base))
    return Bot(token, session=session, default=DefaultBotProperties(parse_mode="HTML"))


def build_storage(settings: Settings) -> BaseStorage:
    if settings.redis_url:
        from aiogram.fsm.storage.redis import RedisStorage

        return RedisStorage.from_url(settings.redis_url, key_builder=DefaultKeyBuilder(with_destiny=True))
    return TortoiseStorage()


async def on_stale_button(event: ErrorEvent, dialog_manager: DialogManager) -> None:
    """A button from an old menu or from before a restart: show a fresh menu instead."""
    log.info("stale dialog button: %s", event.exception)
    if event.update.callback_query is not None:
        await event.update.callback_query.answer()
    await open_home(dialog_manager)


async def on_refused(event: ErrorEvent, locale: str = "fa") -> None:
    """A rule said no somewhere a handler did not expect it: tell the member why."""
    assert isinstance(event.exception, LoyaltyError)
    text = error_text(event.exception, locale)
    if event.update.callback_query is not None:
        await event.update.callback_query.answer(text, show_alert=True)
    elif event.update.message is not None:
        await event.update.message.answer(text)


async def on_crash(event: ErrorEvent, locale: str = "fa") -> None:
    log.exception("update %s failed", event.update.update_id, exc_info=event.exception)
    text = t(N_("Sorry, something went wrong. Please try again."), locale)
    if event.update.callback_query is not None:
        await event.update.callback_query.answer(text, show_alert=True)
    elif event.update.message is not None:
        await event.update.message.answer(text)


def build_dispatcher(
    settings: Settings,
    *,
    storage: BaseStorage | None = None,
    message_manager: MessageManagerProtocol | None = None,
    throttle: ThrottleMiddleware | None = None,
) -> Dispatcher:
    storage = storage or build_storage(settings)
    dp = Dispatcher(storage=storage, settings=settings, tz=settings.tz)
    dp.include_routers(*all_routers())
    # With Redis several workers may share the chats: lock each chat across them.
    isolation = storage.create_isolation() if hasattr(storage, "create_isolation") else None
    dp["bg_manager_factory"] = setup_dialogs(dp, message_manager=message_manager, events_isolation=isolation)
    # After setup_dialogs, so updates the dialogs push in the background carry a locale too.
    dp.update.outer_middleware(LocaleMiddleware(settings.default_locale))
    throttle = throttle or ThrottleMiddleware()
    dp.message.outer_middleware(throttle)
    dp.callback_query.outer_middleware(throttle)
    dp.errors.register(on_stale_button, ExceptionTypeFilter(UnknownIntent, OutdatedIntent))
    dp.errors.register(on_refused, ExceptionTypeFilter(LoyaltyError))
    dp.errors.register(on_crash)
    return dp


def used_updates(dp: Dispatcher) -> list[str]:
    """Update kinds to ask Telegram for; aiogram-dialog's own internal kind is not one of them."""
    return dp.resolve_used_update_types(skip_events={"aiogd_update"})


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


def build_web_app(
    settings: Settings,
    dp: Dispatcher,
    bot: Bot,
    *,
    extra_routes: Callable[[web.Application], None] | None = None,
    webhook: bool = True,
) -> web.Application:
    """`/healthz`, the Telegram webhook (in webhook mode) and any extra routes (SMS)."""
    app = web.Application()
    app.router.add_get("/healthz", healthz)
    if webhook:
        SimpleRequestHandler(dispatcher=dp, bot=bot).register(app, path=WEBHOOK_PATH)
        setup_application(app, dp, bot=bot)
    if extra_routes is not None:
        extra_routes(app)
    return app


def sms_routes(settings: Settings, process: Process) -> Callable[[web.Application], None]:
    def add(app: web.Application) -> None:
        if settings.sms_webhook_secret is not None:
            add_sms_routes(app, secret=settings.sms_webhook_secret.get_secret_value(), process=process)

    return add


@asynccontextmanager
async def serving(app: web.Application, settings: Settings) -> AsyncIterator[None]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, settings.web_host, settings.web_port)
    await site.start()
    log.info("web app listening on %s:%s", settings.web_host, settings.web_port)
    try:
        yield
    finally:
        await runner.cleanup()


async def run(settings: Settings) -> None:
    """Run the bot until stopped: long polling, or a webhook when WEBHOOK_URL is set.

    The web app (health check, SMS webhook) runs in both modes when it has work to do.
    """
    await open_db(settings.database_url)
    bot = build_bot(settings)
    dp = build_dispatcher(settings)
    gateway = build_sms_gateway(settings)
    process = make_processor(gateway, settings)
    extra = sms_routes(settings, process)
    scheduler = build_scheduler(settings, bot=bot, gateway=gateway, sms_process=process)
    scheduler.start()
    try:
        if settings.webhook_url:
            url = settings.webhook_url.rstrip("/") + WEBHOOK_PATH
            await bot.set_webhook(url, allowed_updates=used_updates(dp))
            async with serving(build_web_app(settings, dp, bot, extra_routes=extra), settings):
                await asyncio.Event().wait()
        else:
            await bot.delete_webhook()
            web_app = build_web_app(settings, dp, bot, extra_routes=extra, webhook=False)
            async with serving(web_app, settings):
                await dp.start_polling(bot, allowed_updates=used_updates(dp))
    finally:
        scheduler.shutdown(wait=False)
        await bot.session.close()
        await dp.storage.close()
        await close_db()
