"""What every member dialog shares: translated text widgets, the reader's language, the member."""

from __future__ import annotations

import html
from typing import Any

from aiogram.enums import ContentType
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import DialogManager
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Button
from aiogram_dialog.widgets.text import Text

from handlers.i18n import N_, t
from handlers.texts import error_text
from loyalty.errors import LoyaltyError
from loyalty.members import member_and_config_by_telegram, member_by_telegram
from loyalty.rules import ClubConfig, current_config
from models import Member

PAGE_SIZE = 5


def locale_of(manager: DialogManager) -> str:
    """The language chosen in this dialog (sign-up) or passed to it, else the member's stored
    one."""
    chosen = None
    if manager.has_context():
        context = manager.current_context()
        passed = context.start_data if isinstance(context.start_data, dict) else {}
        chosen = context.dialog_data.get("locale") or passed.get("locale")
    return chosen or manager.middleware_data.get("locale") or "fa"


class Tr(Text):
    """A sentence from the catalogues, translated for the reader and filled from the getter."""

    def __init__(self, msgid: str, when: Any = None) -> None:
        super().__init__(when=when)
        self.msgid = msgid

    async def _render_text(self, data: dict, manager: DialogManager) -> str:
        return t(self.msgid, locale_of(manager), **data)


def esc(value: object) -> str:
    """Anything a person typed, safe inside the bot's HTML messages."""
    return html.escape(str(value), quote=False)


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


async def on_not_text(message: Message, widget: MessageInput, manager: DialogManager) -> None:
    """A photo, sticker or contact where the dialog waits for typed text."""
    await message.answer(t(N_("Please answer with a text message."), locale_of(manager)))


async def on_not_button(message: Message, widget: MessageInput, manager: DialogManager) -> None:
    """Typed text, a photo or a sticker where the dialog waits for a button."""
    await message.answer(t(N_("Please choose from the buttons."), locale_of(manager)))


def buttons_only() -> MessageInput:
    return MessageInput(on_not_button, content_types=ContentType.ANY)


async def on_prev(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    """The previous page of a paged list (the getter clamps the page to what exists)."""
    manager.dialog_data["page"] = max(0, manager.dialog_data.get("page", 0) - 1)


async def on_next(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    manager.dialog_data["page"] = manager.dialog_data.get("page", 0) + 1
