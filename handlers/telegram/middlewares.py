"""Middlewares every Telegram update passes: the reader's language, and flood control."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from aiogram import BaseMiddleware, Bot
from aiogram.types import CallbackQuery, Message, TelegramObject, User

from handlers.i18n import N_, pick_locale, t
from loyalty.members import locale_by_telegram

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class LocaleMiddleware(BaseMiddleware):
    """Puts `locale` into handler data: the member's stored language, else the language of
    the reader's Telegram app (someone not yet a member reads English if their app is in
    English), else the club's default."""

    def __init__(self, default_locale: str = "fa") -> None:
        self.default_locale = default_locale

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        stored = await locale_by_telegram(user.id) if user else None
        data["locale"] = pick_locale(
            stored, user.language_code if user else None, default=self.default_locale
        )
        return await handler(event, data)


# A member's messages and presses handled per window; more are dropped.
FLOOD_LIMIT, FLOOD_PERIOD = 15, 10.0


class FloodCounter(Protocol):
    async def hit(self, key: str) -> int:
        """Count one event of `key`; how many fell in its current window, this one included."""
        ...


class MemoryFloodCounter:
    """Flood windows in this process: enough for one worker.

    A sender's window opens at their first event and lasts `period` seconds. Windows that
    have ended are swept once a period, so memory follows the senders of the last few
    seconds and not everyone who ever wrote (a deque per member ever seen was 760 bytes
    each: nearly 400 MB for a club of 500,000 over the years).
    """

    def __init__(self, period: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.period = period
        self.clock = clock
        self._windows: dict[str, tuple[float, int]] = {}  # key: (window's end, events in it)
        self._next_sweep = 0.0

    async def hit(self, key: str) -> int:
        now = self.clock()
        if now >= self._next_sweep:
            self._windows = {k: w for k, w in self._windows.items() if w[0] > now}
            self._next_sweep = now + self.period
        ends, count = self._windows.get(key, (0.0, 0))
        if ends <= now:
            ends, count = now + self.period, 0
        self._windows[key] = (ends, count + 1)
        return count + 1

    def __len__(self) -> int:
        """Senders tracked now."""
        return len(self._windows)


class ThrottleMiddleware(BaseMiddleware):
    """Drops a member's messages and presses beyond `limit` in one window of the counter.

    The first dropped message is answered once, so a flood gets one clear reply, not
    silence and not an answer per message; a dropped press is always answered, or the
    member's button would keep spinning. With several workers the counter is shared
    (Redis, `bot.rate_limit.RedisFloodCounter`), so the limit holds for the bot, not for
    each process.
    """

    def __init__(self, counter: FloodCounter | None = None, *, limit: int = FLOOD_LIMIT) -> None:
        self.counter = counter if counter is not None else MemoryFloodCounter(FLOOD_PERIOD)
        self.limit = limit

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        if user is None:
            return await handler(event, data)
        bot: Bot | None = data.get("bot")
        count = await self.counter.hit(f"{bot.id if bot else 0}:{user.id}")
        if count <= self.limit:
            return await handler(event, data)
        first_dropped = count == self.limit + 1
        if isinstance(event, CallbackQuery) or (isinstance(event, Message) and first_dropped):
            await event.answer(
                t(N_("Too many messages at once: please wait a few seconds."), data.get("locale"))
            )
        return None
