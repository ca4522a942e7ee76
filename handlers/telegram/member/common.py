"""What the member dialogs share: the member behind the chat, a typed birthday, refusals."""

from __future__ import annotations

from datetime import date

from aiogram.types import Message
from aiogram_dialog import DialogManager

from handlers.telegram.widgets import locale_of
from handlers.texts import error_text
from loyalty.clock import utcnow
from loyalty.dates import parse_birthday
from loyalty.errors import LoyaltyError
from loyalty.members import member_and_config_by_telegram, member_by_telegram
from loyalty.rules import ClubConfig, current_config
from models import Member


async def current_member(manager: DialogManager) -> Member | None:
    user = manager.middleware_data.get("event_from_user")
    return await member_by_telegram(user.id) if user else None


async def current_member_and_config(manager: DialogManager) -> tuple[Member | None, ClubConfig]:
    """The member and the club's set-up, for a window that shows tiers: one statement, not three."""
    user = manager.middleware_data.get("event_from_user")
    if user is None:
        return None, await current_config()
    return await member_and_config_by_telegram(user.id)


async def answer_error(message: Message, error: LoyaltyError, manager: DialogManager) -> None:
    await message.answer(error_text(error, locale_of(manager)))


def typed_birthday(text: str) -> date:
    """A birthday as a member types it, not in the future: a TextInput's type_factory.

    The year tells the calendar whatever the reader's language (loyalty.dates), so the
    parser needs no locale here.
    """
    return parse_birthday(text, "", today=utcnow().date())
