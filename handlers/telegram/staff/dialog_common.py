"""What the staff dialogs share: who is asking, the time, names typed and refusals answered."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiogram.types import Message
from aiogram_dialog import DialogManager

from handlers.i18n import N_, t
from handlers.telegram.staff.texts import amount, staff_error_text
from handlers.telegram.widgets import locale_of, refusal
from loyalty.clock import utcnow
from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.text import clean_name
from models import Staff


def staff_of(manager: DialogManager) -> Staff | None:
    """Identified again for every update by the staff middleware, so a revoked role stops at
    once."""
    return manager.middleware_data.get("staff")


def now_of(manager: DialogManager) -> datetime:
    return manager.middleware_data.get("now") or utcnow()


async def refuse(
    message: Message, error: LoyaltyError, manager: DialogManager, label: str | None = None
) -> None:
    """A typed value the rules refused: say what is expected; nothing was changed."""
    locale = locale_of(manager)
    values = error.values
    if error.code is ErrorCode.INVALID_SETTING and "min" in values:
        text = t(
            N_("Please send a number from {min} to {max}. Nothing was changed."),
            locale,
            min=amount(values["min"], locale),
            max=amount(values["max"], locale),
        )
    elif error.code is ErrorCode.INVALID_SETTING and label is not None:
        text = t(
            N_("This is not a valid value for {label}. Nothing was changed."), locale, label=label
        )
    else:
        text = staff_error_text(error, locale)
    await message.answer(text, parse_mode=None)


async def on_refused(
    message: Message, widget: Any, manager: DialogManager, error: ValueError
) -> None:
    """A TextInput's on_error in the staff dialogs: what is expected; nothing was changed."""
    await refuse(message, refusal(error), manager)


def short_name(text: str) -> str:
    """The name of a reward or a product group as staff type it, cut to what its column holds."""
    return clean_name(text)[:100]
