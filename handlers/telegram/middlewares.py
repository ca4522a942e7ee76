"""Middlewares every Telegram update passes: the reader's language, and flood control."""

from __future__ import annotations

import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject, User

from handlers.i18n import N_, t
from loyalty.members import locale_by_telegram

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class LocaleMiddleware(BaseMiddleware):
    """Puts `locale` (the member's stored language, else the club's default) into handler data."""

    def __init__(self, default_locale: str = "fa") -> None:
        self.default_locale = default_locale

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        locale = await locale_by_telegram(user.id) if user else None
        data["locale"] = locale or self.default_locale
        return await handler(event, data)


class ThrottleMiddleware(BaseMiddleware):
    """Drops a member's messages and presses beyond `limit` per `period` seconds.

    The first dropped event is answered once, so a flood gets one clear reply, not silence
    and not an answer per message.
    """

    def __init__(self, limit: int = 15, period: float = 10.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.period = period
        self.clock = clock
        self._seen: dict[int, deque[float]] = defaultdict(deque)
        self._warned: set[int] = set()

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        if user is None:
            return await handler(event, data)
        now = self.clock()
        seen = self._seen[user.id]
        while seen and now - seen[0] > self.period:
            seen.popleft()
        if len(seen) >= self.limit:
            await self._refuse(event, user.id, data.get("locale"))
            return None
        seen.append(now)
        self._warned.discard(user.id)
        return await handler(event, data)

    async def _refuse(self, event: TelegramObject, user_id: int, locale: str | None) -> None:
        text = t(N_("Too many messages at once: please wait a few seconds."), locale)
        if isinstance(event, CallbackQuery):
            await event.answer(text)
        elif isinstance(event, Message) and user_id not in self._warned:
            self._warned.add(user_id)
            await event.answer(text)
