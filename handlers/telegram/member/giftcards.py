"""The member's gift cards: what each holds, its history and QR code, and giving one away."""

from __future__ import annotations

from typing import Any

from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram_dialog import Dialog, DialogManager, ShowMode, Window
from aiogram_dialog.widgets.input import TextInput
from aiogram_dialog.widgets.kbd import Button, SwitchTo
from aiogram_dialog.widgets.text import Format

from handlers.format import day
from handlers.gift_texts import code_text, entry_line, short_code
from handlers.i18n import N_, t
from handlers.qr import qr_png
from handlers.telegram.member.common import current_member
from handlers.telegram.member.states import GiftCardsSG
from handlers.telegram.widgets import (
    Tr,
    back_to,
    buttons_only,
    choices,
    esc,
    leave,
    locale_of,
    text_input,
)
from handlers.texts import error_text, money
from loyalty import giftcards
from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.phones import normalize_phone
from models import GiftCardStatus


async def list_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    locale = locale_of(dialog_manager)
    member = await current_member(dialog_manager)
    cards = await giftcards.cards_of(member.id) if member else []
    currency = await giftcards.currency()
    items = [
        {"id": c.id, "label": f"{short_code(c)}: {money(c.balance, currency, locale)}"}
        for c in cards
    ]
    return {"cards": items, "empty": not items}


async def on_card(
    callback: CallbackQuery, widget: Any, manager: DialogManager, item_id: str
) -> None:
    manager.dialog_data["card_id"] = int(item_id)
    await manager.switch_to(GiftCardsSG.card)


async def _card(manager: DialogManager) -> Any:
    member = await current_member(manager)
    if member is None:
        raise LoyaltyError(ErrorCode.GIFT_CARD_NOT_YOURS)
    return await giftcards.card_of(member.id, manager.dialog_data.get("card_id", 0))


async def card_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    locale = locale_of(dialog_manager)
    tz = dialog_manager.middleware_data.get("tz")
    currency = await giftcards.currency()
    try:
        card = await _card(dialog_manager)
    except LoyaltyError:  # given away meanwhile (another chat of the member)
        return {"code": "-", "balance": "-", "lines": "", "state": "", "giveable": False}
    lines = [esc(entry_line(e, currency, locale, tz)) for e in await giftcards.history(card.id)]
    if card.status is GiftCardStatus.BLOCKED:
        state = t(N_("Blocked."), locale)
    elif card.expires_at is not None:
        state = t(N_("Valid until {until}."), locale, until=day(card.expires_at, locale, tz))
    else:
        state = ""
    return {
        "code": code_text(card.code),
        "balance": money(card.balance, currency, locale),
        "lines": "\n".join(lines),
        "state": state,
        "giveable": card.status is GiftCardStatus.ACTIVE and card.balance > 0,
    }


async def on_qr(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    if callback.message is None:
        return
    try:
        card = await _card(manager)
    except LoyaltyError as error:
        await callback.answer(error_text(error, locale_of(manager)), show_alert=True)
        return
    caption = t(
        N_("Gift card {code}: show this code at the till."),
        locale_of(manager),
        code=code_text(card.code),
    )
    await callback.message.answer_photo(
        BufferedInputFile(qr_png(card.code), filename="gift-card.png"), caption=caption
    )
    manager.show_mode = ShowMode.SEND  # the buttons stay under the picture


async def on_phone(message: Message, widget: Any, manager: DialogManager, phone: str) -> None:
    member = await current_member(manager)
    locale = locale_of(manager)
    if member is None:
        return
    try:
        _, receiver = await giftcards.give(member.id, manager.dialog_data.get("card_id", 0), phone)
    except LoyaltyError as error:
        await message.answer(error_text(error, locale))
        return
    name = f"{receiver.first_name} {receiver.last_name}".strip() or "-"
    manager.dialog_data["given_to"] = name
    await manager.switch_to(GiftCardsSG.given)


async def given_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    return {"name": esc(dialog_manager.dialog_data.get("given_to", "-"))}


def dialog() -> Dialog:
    """A fresh dialog: a router can belong to one dispatcher only."""
    phone: tuple[TextInput[str], Any] = text_input("phone", on_phone, type_factory=normalize_phone)
    return Dialog(
        Window(
            Tr(N_("Your gift cards:")),
            Tr(N_("You have no gift cards. The club sells them at the till."), when="empty"),
            choices("cards", on_card, "gift"),
            leave(),
            buttons_only(),
            getter=list_getter,
            state=GiftCardsSG.cards,
        ),
        Window(
            Tr(N_("Gift card <code>{code}</code> holds {balance}.")),
            Format("{state}", when="state"),
            Format("{lines}", when="lines"),
            Button(Tr(N_("Show QR code")), id="qr", on_click=on_qr),
            SwitchTo(
                Tr(N_("Give it to a member")), id="give", state=GiftCardsSG.give, when="giveable"
            ),
            back_to(GiftCardsSG.cards),
            buttons_only(),
            getter=card_getter,
            state=GiftCardsSG.card,
        ),
        Window(
            Tr(N_("Send the phone number of the member you give this card to.")),
            *phone,
            back_to(GiftCardsSG.card),
            state=GiftCardsSG.give,
        ),
        Window(
            Tr(N_("The card now belongs to {name}.")),
            back_to(GiftCardsSG.cards),
            buttons_only(),
            getter=given_getter,
            state=GiftCardsSG.given,
        ),
    )
