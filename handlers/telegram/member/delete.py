"""Deleting the member's data, after a clear confirmation."""

from __future__ import annotations

from aiogram.types import CallbackQuery
from aiogram_dialog import Dialog, DialogManager, Window
from aiogram_dialog.widgets.kbd import Button, Cancel, Row

from handlers.i18n import N_, t
from handlers.telegram.member.common import current_member
from handlers.telegram.member.states import DeleteSG
from handlers.telegram.widgets import Tr, buttons_only, locale_of
from loyalty import erasure

DONE = N_("Your data has been deleted. Send /start if you ever want to join again.")


async def on_delete(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    locale = locale_of(manager)
    member = await current_member(manager)
    if member is not None:
        await erasure.delete_member_data(member.id)
    # The chat's dialogs are kept per Telegram account and may hold what the member typed:
    # they go too, and the next message is a stranger's (menu.on_stray_message).
    await manager.reset_stack()
    if callback.message is not None:
        await callback.message.answer(t(DONE, locale))


def dialog() -> Dialog:
    """A fresh dialog: a router can belong to one dispatcher only."""
    return Dialog(
        Window(
            Tr(
                N_(
                    "Delete your data? Your name, phone number, birthday, card, messages and "
                    "vouchers are erased and your points are lost. This cannot be undone."
                )
            ),
            Row(
                Button(Tr(N_("Yes, delete my data")), id="yes", on_click=on_delete),
                Cancel(Tr(N_("No, keep my membership"))),
            ),
            buttons_only(),
            state=DeleteSG.confirm,
        ),
    )
