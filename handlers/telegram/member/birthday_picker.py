"""A birthday calendar: year, month, day, in the Jalali calendar for Persian readers.

It is a small dialog of its own, started by sign-up and by the profile, and it returns
`{"birth_date": "YYYY-MM-DD"}` (Gregorian) to the dialog that started it.
"""

from __future__ import annotations

from typing import Any

from aiogram.types import CallbackQuery
from aiogram_dialog import Data, Dialog, DialogManager, Window
from aiogram_dialog.widgets.kbd import Group, Select
from aiogram_dialog.widgets.text import Format

from handlers.format import persian_digits
from handlers.i18n import N_
from handlers.telegram.member.states import BirthdaySG
from handlers.telegram.widgets import (
    Tr,
    buttons_only,
    leave,
    locale_of,
    page_of,
    pager,
    settle_page,
)
from loyalty.clock import utcnow
from loyalty.dates import calendar_year, days_in_month, parse_birthday

YEARS_PER_PAGE = 12
FIRST_SHOWN = 18  # the first page of years ends 18 years ago: most members are adults
EARLIER_PAGES = 8  # pages before the first one: back to about 125 years ago
# Pages after it, up to the first that reaches this year.
LATER_PAGES = -(-FIRST_SHOWN // YEARS_PER_PAGE)
JALALI_MONTHS = (
    "فروردین",
    "اردیبهشت",
    "خرداد",
    "تیر",
    "مرداد",
    "شهریور",
    "مهر",
    "آبان",
    "آذر",
    "دی",
    "بهمن",
    "اسفند",
)
GREGORIAN_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _digits(value: int, locale: str) -> str:
    return persian_digits(str(value)) if locale == "fa" else str(value)


async def start_picker(manager: DialogManager) -> None:
    await manager.start(BirthdaySG.year, data={"locale": locale_of(manager)})


async def on_start(start_data: Data, manager: DialogManager) -> None:
    await settle_page(manager, "year_pages", EARLIER_PAGES)


async def years_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    locale = locale_of(dialog_manager)
    this_year = calendar_year(utcnow().date(), locale)
    shift = await page_of(dialog_manager, "year_pages") - EARLIER_PAGES
    last = this_year - FIRST_SHOWN + shift * YEARS_PER_PAGE
    years = range(last - YEARS_PER_PAGE + 1, last + 1)
    return {
        "years": [(_digits(y, locale), y) for y in years],
        "page_count": EARLIER_PAGES + 1 + LATER_PAGES,
    }


async def on_year(
    callback: CallbackQuery, widget: Select, manager: DialogManager, item_id: str
) -> None:
    manager.dialog_data["year"] = int(item_id)
    await manager.next()


async def months_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    names = JALALI_MONTHS if locale_of(dialog_manager) == "fa" else GREGORIAN_MONTHS
    return {"months": [(name, number) for number, name in enumerate(names, 1)]}


async def on_month(
    callback: CallbackQuery, widget: Select, manager: DialogManager, item_id: str
) -> None:
    manager.dialog_data["month"] = int(item_id)
    await manager.next()


async def days_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    locale = locale_of(dialog_manager)
    data = dialog_manager.dialog_data
    count = days_in_month(data["year"], data["month"], locale)
    return {"days": [(_digits(d, locale), d) for d in range(1, count + 1)]}


async def on_day(
    callback: CallbackQuery, widget: Select, manager: DialogManager, item_id: str
) -> None:
    data = manager.dialog_data
    # The same rule as a typed birthday: a future day is refused there and here.
    born = parse_birthday(
        f"{data['year']}/{data['month']}/{item_id}", locale_of(manager), today=utcnow().date()
    )
    await manager.done({"birth_date": born.isoformat()})


def picked(result: Data) -> str | None:
    """The ISO date a finished picker returned, or None if it was cancelled."""
    return result.get("birth_date") if isinstance(result, dict) else None


def _grid(items: str, on_click: Any, width: int) -> Group:
    return Group(
        Select(
            Format("{item[0]}"),
            id=items,
            item_id_getter=lambda item: item[1],
            items=items,
            on_click=on_click,
        ),
        width=width,
    )


def dialog() -> Dialog:
    """A fresh dialog: a router can belong to one dispatcher only."""
    return Dialog(
        Window(
            Tr(N_("Which year were you born?")),
            _grid("years", on_year, 4),
            *pager("year_pages", N_("◀ Earlier"), N_("Later ▶")),
            leave(),
            buttons_only(),
            getter=years_getter,
            state=BirthdaySG.year,
        ),
        Window(
            Tr(N_("Which month?")),
            _grid("months", on_month, 3),
            leave(),
            buttons_only(),
            getter=months_getter,
            state=BirthdaySG.month,
        ),
        Window(
            Tr(N_("Which day?")),
            _grid("days", on_day, 7),
            leave(),
            buttons_only(),
            getter=days_getter,
            state=BirthdaySG.day,
        ),
        on_start=on_start,
    )
