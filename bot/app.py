"""Composition of the Telegram bot: the Bot, the Dispatcher, the web app, and running them."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import orjson
from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import PRODUCTION, TelegramAPIServer
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import ExceptionTypeFilter
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder
from aiogram.types import ErrorEvent, MenuButtonCommands, MenuButtonWebApp, WebAppInfo
from aiogram_dialog import DialogManager, setup_dialogs
from aiogram_dialog.api.exceptions import OutdatedIntent, UnknownIntent
from aiogram_dialog.api.protocols import MessageManagerProtocol
from aiohttp import web

from bot import patches
from bot.db import close_db, open_db
from bot.fsm_storage import TortoiseStorage
from bot.liveness import Heartbeat
from bot.rate_limit import (
    Limiter,
    RedisFloodCounter,
    RedisKeyLimiter,
    RedisRateLimiter,
    telegram_key,
)
from bot.scheduler import OutboxWake, build_scheduler
from bot.settings import Settings
from bot.sms_door import SmsDoor, build_sms_door, build_sms_gateway
from bot.telegram_session import JsonSession, json_text
from bot.updates import Updates
from bot.web_log import AccessLogger, hide_sms_secret
from handlers.api import add_api_routes
from handlers.api.limits import KeyLimiter, MemoryKeyLimiter
from handlers.i18n import N_, t
from handlers.sms.web import add_sms_routes
from handlers.telegram.member.menu import open_home
from handlers.telegram.middlewares import FLOOD_PERIOD, LocaleMiddleware, ThrottleMiddleware
from handlers.telegram.routers import all_routers
from handlers.texts import error_text
from handlers.web import add_web_routes
from handlers.web.session import session_secret
from loyalty.clock import utcnow
from loyalty.errors import LoyaltyError

log = logging.getLogger("club.bot")


WEBHOOK_PATH = "/telegram/webhook"


def build_bot(settings: Settings, *, session: Any = None) -> Bot:
    token = settings.bot_token.get_secret_value() if settings.bot_token else "0:sandbox"
    if session is None:
        # orjson: every update and every answer is JSON to read, a few times faster than
        # the standard library's (BENCHMARKS.md, "orjson").
        api = (
            TelegramAPIServer.from_base(settings.telegram_api_base)
            if settings.telegram_api_base
            else PRODUCTION
        )
        kind = JsonSession if patches.applied("json_session") else AiohttpSession
        session = kind(api=api, json_loads=orjson.loads, json_dumps=json_text)
    return Bot(token, session=session, default=DefaultBotProperties(parse_mode="HTML"))


def build_storage(settings: Settings) -> BaseStorage:
    if settings.redis_url:
        from aiogram.fsm.storage.redis import RedisStorage  # redis is an optional extra

        return RedisStorage.from_url(
            settings.redis_url, key_builder=DefaultKeyBuilder(with_destiny=True)
        )
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
    # With Redis, several workers share the chats, and two locks in Redis keep each chat
    # to one update at a time across them. aiogram-dialog's (`events_isolation` below)
    # covers a chat's dialog stack from loading it to saving it; but a button press loads
    # its dialog context before taking it, so a press handled by one worker while another
    # is still saving the message it came from would find no context. The dispatcher's
    # lock (another key) spans the whole update and closes that gap. Without Redis both
    # locks would live in one process, which is why more workers need Redis.
    isolation = storage.create_isolation() if hasattr(storage, "create_isolation") else None
    dp = Dispatcher(
        storage=storage,
        settings=settings,
        tz=settings.tz,
        **({"events_isolation": isolation} if isolation is not None else {}),
    )
    dp.include_routers(*all_routers())
    dp["bg_manager_factory"] = setup_dialogs(
        dp, message_manager=message_manager, events_isolation=isolation
    )
    # After setup_dialogs, so updates the dialogs push in the background carry a locale too.
    dp.update.outer_middleware(LocaleMiddleware(settings.default_locale))
    throttle = throttle or build_throttle(storage)
    dp.message.outer_middleware(throttle)
    dp.callback_query.outer_middleware(throttle)
    dp.errors.register(on_stale_button, ExceptionTypeFilter(UnknownIntent, OutdatedIntent))
    dp.errors.register(on_refused, ExceptionTypeFilter(LoyaltyError))
    dp.errors.register(on_crash)
    return dp


def build_throttle(storage: BaseStorage) -> ThrottleMiddleware:
    """Flood control; with Redis, one limit for all the workers together."""
    redis = getattr(storage, "redis", None)  # RedisStorage's client, shared with it
    if redis is None:
        return ThrottleMiddleware()
    return ThrottleMiddleware(counter=RedisFloodCounter(redis, FLOOD_PERIOD))


def used_updates(dp: Dispatcher) -> list[str]:
    """Update kinds to ask Telegram for; aiogram-dialog's own internal kind is not one of them."""
    return dp.resolve_used_update_types(skip_events={"aiogd_update"})


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


def webhook_secret(settings: Settings) -> str:
    """The secret Telegram sends in every webhook call: WEBHOOK_SECRET, else one derived
    from the bot token, so the webhook is never open to anyone who guesses its address."""
    if settings.webhook_secret is not None:
        return settings.webhook_secret.get_secret_value()
    token = settings.bot_token.get_secret_value() if settings.bot_token else ""
    return hashlib.sha256(f"club-webhook:{token}".encode()).hexdigest()


async def set_webhook(bot: Bot, dp: Dispatcher, settings: Settings) -> None:
    assert settings.webhook_url
    url = settings.webhook_url.rstrip("/") + WEBHOOK_PATH
    await bot.set_webhook(
        url, allowed_updates=used_updates(dp), secret_token=webhook_secret(settings)
    )


async def set_menu_button(bot: Bot, settings: Settings) -> None:
    """The button beside every chat's message field: the club's pages as a Mini App when
    they have a public HTTPS address (Telegram opens no other), else the list of commands.
    A button Telegram refuses is logged, not fatal: the main menu's button opens them too."""
    url = settings.pages_url
    button: MenuButtonWebApp | MenuButtonCommands = (
        MenuButtonWebApp(
            text=t(N_("Open the club"), settings.default_locale), web_app=WebAppInfo(url=url)
        )
        if url
        else MenuButtonCommands()
    )
    try:
        await bot.set_chat_menu_button(menu_button=button)
    except TelegramAPIError as refused:
        log.warning("the menu button was not set: %s", type(refused).__name__)


def build_web_app(
    settings: Settings,
    dp: Dispatcher,
    bot: Bot,
    *,
    extra_routes: Callable[[web.Application], None] | None = None,
    webhook: bool = True,
    worker: int | None = None,
    updates: Updates | None = None,
) -> web.Application:
    """`/healthz`, the JSON API, the club's pages (with a bot token: they sign in through
    Telegram), the Telegram webhook (in webhook mode), extra routes (SMS).

    The webhook stores each update before it answers (bot/updates.py); `updates` is the
    door that stores and handles them (by default one of its own, for this `dp` and `bot`).
    A worker of `club run --workers N` names itself in an `X-Club-Worker` header, so a
    proxy's log (and the test of several workers) shows which process answered.
    """
    app = web.Application()
    app.router.add_get("/healthz", healthz)
    add_api_routes(app, limiter=api_limiter(dp.storage, settings), tz=settings.tz)
    if settings.bot_token is not None:
        add_pages(app, settings, bot)
    if webhook:
        door = updates or Updates(dp, bot)
        app.router.add_post(WEBHOOK_PATH, door.webhook(webhook_secret(settings)))
    if extra_routes is not None:
        extra_routes(app)
    if worker is not None:

        async def name_worker(request: web.Request, response: web.StreamResponse) -> None:
            response.headers["X-Club-Worker"] = str(worker)

        app.on_response_prepare.append(name_worker)
    return app


def add_pages(app: web.Application, settings: Settings, bot: Bot | None = None) -> None:
    """The club's pages under /club/, signed in with the bot's token (never logged)."""
    assert settings.bot_token is not None
    token = settings.bot_token.get_secret_value()
    configured = settings.web_session_secret
    add_web_routes(
        app,
        token=token,
        secret=session_secret(token, configured.get_secret_value() if configured else None),
        session_lifetime=timedelta(hours=settings.web_session_hours),
        max_age=timedelta(seconds=settings.web_init_max_age),
        secure=settings.pages_url is not None,  # served at a public HTTPS address
        default_locale=settings.default_locale,
        tz=settings.tz,
        owner_ids=settings.owner_ids,
        media_dir=settings.media_dir,
        bot_username=_username_of(bot) if bot is not None else None,
    )


def _username_of(bot: Bot) -> Callable[[], Awaitable[str | None]]:
    async def username() -> str | None:
        return (await bot.me()).username  # aiogram keeps the answer: asked once

    return username


def api_limiter(storage: BaseStorage, settings: Settings) -> KeyLimiter:
    """The API's limit per key; with Redis, one for all the workers together."""
    redis = getattr(storage, "redis", None)  # RedisStorage's client, shared with it
    if redis is None:
        return MemoryKeyLimiter(settings.api_rate, settings.api_burst)
    return RedisKeyLimiter(redis, settings.api_rate, settings.api_burst)


def sms_routes(settings: Settings, door: SmsDoor) -> Callable[[web.Application], None]:
    def add(app: web.Application) -> None:
        if settings.sms_webhook_secret is not None:
            add_sms_routes(app, secret=settings.sms_webhook_secret.get_secret_value(), door=door)

    return add


@asynccontextmanager
async def serving(
    app: web.Application, settings: Settings, *, reuse_port: bool = False
) -> AsyncIterator[None]:
    """The web app on WEB_HOST:WEB_PORT; with `reuse_port`, sharing the port with the
    other workers (SO_REUSEPORT: the kernel spreads the connections over them)."""
    hide_sms_secret()
    runner = web.AppRunner(app, access_log_class=AccessLogger)
    await runner.setup()
    site = web.TCPSite(runner, settings.web_host, settings.web_port, reuse_port=reuse_port or None)
    await site.start()
    log.info("web app listening on %s:%s", settings.web_host, settings.web_port)
    try:
        yield
    finally:
        await runner.cleanup()


def shared_limiter(storage: BaseStorage, settings: Settings, bot: Bot) -> Limiter | None:
    """With Redis, the outbox rate is kept there, for all processes of the bot together."""
    redis = getattr(storage, "redis", None)  # RedisStorage's client, shared with it
    if redis is None:
        return None
    return RedisRateLimiter(redis, telegram_key(bot.id), settings.telegram_rate)


def _stop_on_signals(stop: asyncio.Event) -> None:
    # SIGTERM (systemd, docker, the parent of the workers) and Ctrl-C end the process in
    # order: no more updates taken, those in hand finished, then everything closed.
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        # No signals outside the main thread.
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)


def build_updates(dp: Dispatcher, bot: Bot) -> Updates:
    """The door of Telegram updates: lanes shared through Redis when there is one; without,
    the "handled" marks ride with the dialog state kept in the database."""
    storage = dp.storage
    along = storage if isinstance(storage, TortoiseStorage) else None
    return Updates(dp, bot, redis=getattr(storage, "redis", None), along=along)


async def run(settings: Settings, *, worker: int | None = None) -> None:
    """Run the bot until stopped: long polling, or a webhook when WEBHOOK_URL is set.

    The web app (health check, SMS webhook) runs in both modes when it has work to do.
    `worker` is the number of this process among the workers of `club run --workers N`
    (see bot/workers.py): their parent has migrated the database and set the webhook once,
    and every worker serves the same port.
    """
    await open_db(settings.database_url, run_migrations=worker is None)
    bot = build_bot(settings)
    dp = build_dispatcher(settings)
    updates = build_updates(dp, bot)
    gateway = build_sms_gateway(settings)
    wake = OutboxWake()
    door = build_sms_door(settings, on_queued=wake)
    extra = sms_routes(settings, door)
    # Registered before any claim; the first beat frees the claims of processes here that died.
    alive = Heartbeat()
    await alive.beat(utcnow())
    scheduler = build_scheduler(
        settings,
        bot=bot,
        gateway=gateway,
        sms_door=door,
        wake=wake,
        limiter=shared_limiter(dp.storage, settings, bot),
        process=alive,
    )
    stop = asyncio.Event()
    _stop_on_signals(stop)
    scheduler.start()
    # aiogram's and aiogram-dialog's types, the dialogs, the catalogues: objects that live
    # as long as the process, out of the collector's rounds.
    patches.freeze_garbage()
    try:
        await updates.recover()
        if worker is None:  # the workers' parent sets it once for them
            await set_menu_button(bot, settings)
        if settings.webhook_url:
            if worker is None:
                await set_webhook(bot, dp, settings)
            web_app = build_web_app(
                settings, dp, bot, extra_routes=extra, worker=worker, updates=updates
            )
            async with serving(web_app, settings, reuse_port=worker is not None):
                await stop.wait()
        else:
            await bot.delete_webhook()
            web_app = build_web_app(settings, dp, bot, extra_routes=extra, webhook=False)
            async with serving(web_app, settings):
                polling = asyncio.create_task(updates.poll(used_updates(dp)))
                try:
                    await stop.wait()
                finally:
                    polling.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await polling
    finally:
        # Stored updates not finished within the time stay in the journal for the next start.
        await updates.close(settings.shutdown_seconds)
        scheduler.shutdown(wait=False)
        await bot.session.close()
        await dp.storage.close()
        await alive.stop(utcnow())  # what it still holds is free for the next process at once
        await close_db()
