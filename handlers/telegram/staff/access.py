"""Who is talking: staff identity and language for every staff handler.

It also puts `now` into the handler data, from a `clock` workflow-data callable when the
dispatcher has one (tests), else the real time. The middleware runs after a staff
handler's filters matched, so only staff commands are refused to others; handlers flagged
`public` (the invitation link) run for anyone, and a handler flagged with an `action` runs
only for staff the permission table (loyalty/staff/permissions.py) allows it. A refused
request (LoyaltyError) is answered here, in the sender's language.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.dispatcher.flags import get_flag
from aiogram.types import CallbackQuery, Message, TelegramObject, User

from handlers.i18n import pick_locale
from handlers.telegram.staff.texts import staff_error_text
from handlers.telegram.workflow import Settings
from loyalty.clock import utcnow
from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.staff.access import identify
from loyalty.staff.permissions import require

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class StaffMiddleware(BaseMiddleware):
    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        settings: Settings = data["settings"]
        user: User | None = data.get("event_from_user")
        locale = pick_locale(user.language_code if user else None, default=settings.default_locale)
        data["locale"] = locale
        # Tests give the dispatcher a `clock`; the bot runs on the real one.
        now = data.get("clock", utcnow)()
        data["now"] = now
        staff = None
        if user is not None:
            staff = await identify(user.id, settings.owner_ids, name=user.full_name, now=now)
        data["staff"] = staff
        try:
            if staff is None and not get_flag(data, "public"):
                raise LoyaltyError(ErrorCode.NOT_ALLOWED)
            action = get_flag(data, "action")
            if action is not None:
                require(staff, action)
            return await handler(event, data)
        except LoyaltyError as error:
            await _answer(event, staff_error_text(error, locale))
            return None


async def _answer(event: TelegramObject, text: str) -> None:
    if isinstance(event, Message):
        await event.answer(text)
    elif isinstance(event, CallbackQuery):
        await event.answer(text[:200], show_alert=True)


def install(router: Any) -> None:
    middleware = StaffMiddleware()
    router.message.middleware(middleware)
    router.callback_query.middleware(middleware)
