"""Writing to the club; staff answers arrive in this chat through the outbox."""

from __future__ import annotations

from aiogram.enums import ContentType
from aiogram.types import Message
from aiogram_dialog import Dialog, DialogManager, Window
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Cancel

from handlers.i18n import N_
from handlers.telegram.member.common import (
    Tr,
    answer_error,
    buttons_only,
    current_member,
    on_not_text,
)
from handlers.telegram.member.states import MessagesSG
from loyalty import inbox
from loyalty.errors import LoyaltyError
from models import Channel


async def on_text(message: Message, widget: MessageInput, manager: DialogManager) -> None:
    member = await current_member(manager)
    if member is None:
        return
    try:
        await inbox.send_message(member.id, message.text or "", channel=Channel.TELEGRAM)
    except LoyaltyError as error:
        await answer_error(message, error, manager)
        return
    await manager.next()


def dialog() -> Dialog:
    """A fresh dialog: a router can belong to one dispatcher only."""
    return Dialog(
        Window(
            Tr(N_("Write your message to the club. Our staff will answer here.")),
            Cancel(Tr(N_("Back"))),
            MessageInput(on_text, content_types=ContentType.TEXT),
            MessageInput(on_not_text, content_types=ContentType.ANY),
            state=MessagesSG.write,
        ),
        Window(
            Tr(N_("Your message was sent. We will answer you here soon.")),
            Cancel(Tr(N_("Back to the menu"))),
            buttons_only(),
            state=MessagesSG.sent,
        ),
    )
