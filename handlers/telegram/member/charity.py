"""Charity: the member chooses a cause, an amount of points (typed or a button), confirms."""

from __future__ import annotations

from typing import Any

from aiogram.types import CallbackQuery, Message
from aiogram_dialog import Dialog, DialogManager, Window
from aiogram_dialog.widgets.kbd import Back, Button, Row
from aiogram_dialog.widgets.text import Format

from handlers.charity import member_line, thanks
from handlers.format import number
from handlers.i18n import N_
from handlers.telegram.member.common import current_member
from handlers.telegram.member.states import CharitySG
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
from handlers.texts import error_text
from loyalty import charity
from loyalty.clock import utcnow
from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.numbers import INT_MAX, parse_int
from loyalty.rules import get_rules

# The amounts offered as buttons, besides the club's minimum; only those the member holds.
PRESETS = (50, 100, 500)


async def causes_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    locale = locale_of(dialog_manager)
    standings = await charity.standings()
    return {
        "lines": "\n".join(esc(member_line(s, locale)) for s in standings),
        "causes": [{"id": s.cause.id, "label": s.cause.name} for s in standings],
        "empty": not standings,
    }


async def on_cause(
    callback: CallbackQuery, widget: Any, manager: DialogManager, item_id: str
) -> None:
    manager.dialog_data["cause_id"] = int(item_id)
    await manager.switch_to(CharitySG.amount)


async def amount_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    locale = locale_of(dialog_manager)
    member = await current_member(dialog_manager)
    balance = member.balance if member else 0
    minimum = (await get_rules()).charity_min
    cause = await charity.get_cause(dialog_manager.dialog_data.get("cause_id", 0))
    amounts = sorted({minimum, *PRESETS})
    return {
        "name": esc(cause.name),
        "description": esc(cause.description),
        "balance": number(balance, locale),
        "minimum": number(minimum, locale),
        "amounts": [
            {"id": n, "label": number(n, locale)} for n in amounts if minimum <= n <= balance
        ],
    }


async def _choose(points: int, manager: DialogManager) -> LoyaltyError | None:
    """Check the amount before the confirmation: the member learns at once what is wrong."""
    member = await current_member(manager)
    if member is None:
        return None
    try:
        await charity.check_points(points)
        if points > member.balance:
            raise LoyaltyError(ErrorCode.NOT_ENOUGH_POINTS, balance=member.balance, needed=points)
    except LoyaltyError as error:
        return error
    manager.dialog_data["points"] = points
    await manager.switch_to(CharitySG.confirm)
    return None


async def on_typed(message: Message, widget: Any, manager: DialogManager, points: int) -> None:
    error = await _choose(points, manager)
    if error is not None:
        await message.answer(error_text(error, locale_of(manager)))


async def on_preset(
    callback: CallbackQuery, widget: Any, manager: DialogManager, item_id: str
) -> None:
    error = await _choose(int(item_id), manager)
    if error is not None:
        await callback.answer(error_text(error, locale_of(manager)), show_alert=True)


async def confirm_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    locale = locale_of(dialog_manager)
    cause = await charity.get_cause(dialog_manager.dialog_data.get("cause_id", 0))
    return {
        "name": esc(cause.name),
        "points": number(dialog_manager.dialog_data.get("points", 0), locale),
    }


async def on_give(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    member = await current_member(manager)
    locale = locale_of(manager)
    if member is None:
        return
    try:
        # The callback's id as the key: Telegram redelivering the same press gives once.
        given = await charity.give(
            member.id,
            manager.dialog_data["cause_id"],
            manager.dialog_data["points"],
            key=f"tg:{callback.id}",
            now=manager.middleware_data.get("clock", utcnow)(),
        )
    except LoyaltyError as error:
        await callback.answer(error_text(error, locale), show_alert=True)
        await manager.switch_to(CharitySG.causes)
        return
    manager.dialog_data["thanks"] = thanks(given, locale)
    await manager.switch_to(CharitySG.thanks)


async def thanks_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    return {"thanks": esc(dialog_manager.dialog_data.get("thanks", ""))}


def _points(text: str) -> int:
    return parse_int(text, maximum=INT_MAX)


def dialog() -> Dialog:
    """A fresh dialog: a router can belong to one dispatcher only."""
    return Dialog(
        Window(
            Tr(N_("Give points to a good cause: choose one.")),
            Format("{lines}", when="lines"),
            Tr(N_("No cause takes gifts right now."), when="empty"),
            choices("causes", on_cause, "cause"),
            leave(),
            buttons_only(),
            getter=causes_getter,
            state=CharitySG.causes,
        ),
        Window(
            Tr(
                N_(
                    "How many points do you give to {name}? You have {balance} points; "
                    "the smallest gift is {minimum}. Choose or type a number."
                )
            ),
            Format("{description}", when="description"),
            choices("amounts", on_preset, "amount", width=4),
            *text_input("points", on_typed, type_factory=_points),
            back_to(CharitySG.causes),
            getter=amount_getter,
            state=CharitySG.amount,
        ),
        Window(
            Tr(N_("Give {points} points to {name}?")),
            Row(Button(Tr(N_("Yes, give")), id="yes", on_click=on_give), Back(Tr(N_("No")))),
            buttons_only(),
            getter=confirm_getter,
            state=CharitySG.confirm,
        ),
        Window(
            Format("{thanks}"),
            leave(),
            buttons_only(),
            getter=thanks_getter,
            state=CharitySG.thanks,
        ),
    )
