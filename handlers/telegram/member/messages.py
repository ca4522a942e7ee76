"""Writing to the club; staff answers arrive in this chat through the outbox."""

from __future__ import annotations

from aiogram.types import Message
from aiogram_dialog import Dialog, DialogManager, Window
from aiogram_dialog.widgets.input import TextInput

from handlers.i18n import N_
from handlers.telegram.member.common import answer_error, current_member
from handlers.telegram.member.states import MessagesSG
from handlers.telegram.widgets import Tr, buttons_only, leave, text_input
from loyalty import inbox
from loyalty.errors import LoyaltyError
from models import Channel


async def on_text(message: Message, widget: TextInput, manager: DialogManager, text: str) -> None:
    member = await current_member(manager)
    if member is None:
        return
    try:
        await inbox.send_message(member.id, text, channel=Channel.TELEGRAM)
    except LoyaltyError as error:
        await answer_error(message, error, manager)
        return
    await manager.next()


def dialog() -> Dialog:
    """A fresh dialog: a router can belong to one dispatcher only."""
    return Dialog(
        Window(
            Tr(N_("Write your message to the club. Our staff will answer here.")),
            leave(),
            *text_input("message", on_text),
            state=MessagesSG.write,
        ),
        Window(
            Tr(N_("Your message was sent. We will answer you here soon.")),
            leave(N_("Back to the menu")),
            buttons_only(),
            state=MessagesSG.sent,
        ),
    )
