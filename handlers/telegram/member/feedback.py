"""Feedback: a rating from 1 to 5 and a few words, with a thank-you bonus once a day."""

from __future__ import annotations

from typing import Any

from aiogram.types import CallbackQuery, Message
from aiogram_dialog import Dialog, DialogManager, Window
from aiogram_dialog.widgets.input import TextInput
from aiogram_dialog.widgets.kbd import Button, Row
from aiogram_dialog.widgets.text import Const

from handlers.format import number
from handlers.i18n import N_
from handlers.telegram.member.common import answer_error, current_member
from handlers.telegram.member.states import FeedbackSG
from handlers.telegram.widgets import Tr, back, buttons_only, leave, locale_of, text_input
from loyalty import inbox
from loyalty.errors import LoyaltyError
from models import Channel


async def on_rating(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    manager.dialog_data["rating"] = int(button.widget_id.removeprefix("r"))
    await manager.next()


async def on_text(message: Message, widget: TextInput, manager: DialogManager, text: str) -> None:
    member = await current_member(manager)
    if member is None:
        return
    try:
        result = await inbox.submit_feedback(
            member.id,
            text,
            rating=manager.dialog_data.get("rating"),
            channel=Channel.TELEGRAM,
            tz=manager.middleware_data["tz"],
        )
    except LoyaltyError as error:
        await answer_error(message, error, manager)
        return
    manager.dialog_data["bonus"] = result.bonus
    await manager.next()


async def thanks_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    bonus = dialog_manager.dialog_data.get("bonus", 0)
    return {"bonus": number(bonus, locale_of(dialog_manager)), "has_bonus": bonus > 0}


def _star(value: int) -> Button:
    return Button(Const(f"{'⭐' * value}"), id=f"r{value}", on_click=on_rating)


def dialog() -> Dialog:
    """A fresh dialog: a router can belong to one dispatcher only."""
    return Dialog(
        Window(
            Tr(N_("How was your last visit? Rate it from 1 to 5 stars.")),
            Row(*(_star(v) for v in (1, 2, 3))),
            Row(*(_star(v) for v in (4, 5))),
            leave(),
            buttons_only(),
            state=FeedbackSG.rating,
        ),
        Window(
            Tr(N_("Thank you! Now tell us in a few words what we should keep or change.")),
            back(),
            *text_input("feedback", on_text),
            state=FeedbackSG.text,
        ),
        Window(
            Tr(N_("Thank you for your feedback!")),
            Tr(N_("You received {bonus} points for it."), when="has_bonus"),
            leave(N_("Back to the menu")),
            buttons_only(),
            getter=thanks_getter,
            state=FeedbackSG.thanks,
        ),
    )
