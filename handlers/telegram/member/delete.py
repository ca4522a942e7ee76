"""Deleting the member's data, after a clear confirmation."""

from __future__ import annotations

from aiogram.types import CallbackQuery
from aiogram_dialog import Dialog, DialogManager, Window
from aiogram_dialog.widgets.kbd import Button, Cancel, Row

from handlers.i18n import N_
from handlers.telegram.member.common import Tr, current_member
from handlers.telegram.member.states import DeleteSG
from loyalty import members


async def on_delete(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    member = await current_member(manager)
    if member is not None:
        await members.delete_member_data(member.id)
    await manager.switch_to(DeleteSG.done)


dialog = Dialog(
    Window(
        Tr(N_("Delete your data? Your name, phone number, birthday and card are erased and your points are lost. This cannot be undone.")),
        Row(Button(Tr(N_("Yes, delete my data")), id="yes", on_click=on_delete),
            Cancel(Tr(N_("No, keep my membership")))),
        state=DeleteSG.confirm,
    ),
    Window(
        Tr(N_("Your data has been deleted. Send /start if you ever want to join again.")),
        state=DeleteSG.done,
    ),
)

