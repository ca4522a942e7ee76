"""The membership card: its number and a QR code the cashier can scan."""

from __future__ import annotations

from typing import Any

from aiogram.types import BufferedInputFile, CallbackQuery
from aiogram_dialog import Dialog, DialogManager, ShowMode, Window
from aiogram_dialog.widgets.kbd import Button

from handlers.format import digits
from handlers.i18n import N_, t
from handlers.qr import qr_png
from handlers.telegram.member.common import current_member
from handlers.telegram.member.states import CardSG
from handlers.telegram.widgets import Tr, buttons_only, leave, locale_of
from loyalty import members


async def card_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    member = await current_member(dialog_manager)
    card = await members.active_card(member.id) if member else None
    return {"card": digits(card.number, locale_of(dialog_manager)) if card else "-"}


async def on_show_qr(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    member = await current_member(manager)
    if member is None or callback.message is None:
        return
    card = await members.active_card(member.id)
    locale = locale_of(manager)
    caption = t(
        N_("Card {card}: show this code at the till."), locale, card=digits(card.number, locale)
    )
    await callback.message.answer_photo(
        BufferedInputFile(qr_png(card.number), filename=f"card-{card.number}.png"), caption=caption
    )
    # The card menu again under the picture, so the buttons stay at the bottom of the chat.
    manager.show_mode = ShowMode.SEND


def dialog() -> Dialog:
    """A fresh dialog: a router can belong to one dispatcher only."""
    return Dialog(
        Window(
            Tr(N_("Your card number: <code>{card}</code>")),
            Button(Tr(N_("Show QR code")), id="qr", on_click=on_show_qr),
            leave(),
            buttons_only(),
            getter=card_getter,
            state=CardSG.card,
        ),
    )
