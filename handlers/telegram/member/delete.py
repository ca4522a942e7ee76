"""Deleting the member's data, after a clear confirmation."""

from __future__ import annotations

from aiogram.enums import ContentType
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import Dialog, DialogManager, Window
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Button, Cancel, Row

from handlers.i18n import N_
from handlers.telegram.member.common import Tr, buttons_only, current_member
from handlers.telegram.member.menu import open_home
from handlers.telegram.member.states import DeleteSG
from loyalty import members


async def on_delete(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    member = await current_member(manager)
    if member is not None:
        await members.delete_member_data(member.id)
    await manager.switch_to(DeleteSG.done)


async def on_after_delete(message: Message, widget: MessageInput, manager: DialogManager) -> None:
    await open_home(manager)


def dialog() -> Dialog:
    """A fresh dialog: a router can belong to one dispatcher only."""
    return Dialog(
        Window(
            Tr(N_("Delete your data? Your name, phone number, birthday and card are erased and your points are lost. This cannot be undone.")),
            Row(Button(Tr(N_("Yes, delete my data")), id="yes", on_click=on_delete),
                Cancel(Tr(N_("No, keep my membership")))),
            buttons_only(),
            state=DeleteSG.confirm,
        ),
        Window(
            Tr(N_("Your data has been deleted. Send /start if you ever want to join again.")),
            MessageInput(on_after_delete, content_types=ContentType.ANY),
            state=DeleteSG.done,
        ),
    )

