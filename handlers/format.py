"""Numbers and dates as each reader expects them: Persian digits and Jalali dates in Persian."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import date, datetime
from zoneinfo import ZoneInfo

import jdatetime
from babel.numbers import format_decimal

_PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def persian_digits(text: str) -> str:
    return text.translate(_PERSIAN_DIGITS)


def digits(text: str, locale: str) -> str:
    """A number read as a name (a card, a code, #12) in the reader's digits, unseparated."""
    return persian_digits(text) if locale == "fa" else text


def listing(items: Iterable[str], locale: str) -> str:
    """Items one after another, with the comma of the reader's language (، in Persian)."""
    return ("، " if locale == "fa" else ", ").join(items)


@functools.lru_cache(maxsize=4096)
def number(value: int, locale: str) -> str:
    """1234567 → "۱٬۲۳۴٬۵۶۷" in Persian, "1,234,567" in English.

    Kept for the numbers seen most (balances, costs, page numbers): Babel's formatting is
    a tenth of a millisecond, and every window shows several.
    """
    if locale == "fa":
        return persian_digits(format_decimal(value, locale="fa", numbering_system="default"))
    return format_decimal(value, locale="en")


def signed(value: int, locale: str) -> str:
    text = number(abs(value), locale)
    return f"+{text}" if value > 0 else (f"-{text}" if value < 0 else text)


def day(value: date | datetime, locale: str, tz: ZoneInfo | None = None) -> str:
    """A date as people write it: ۱۴۰۳/۰۵/۱۲ in Persian, 2024-08-02 in English."""
    if isinstance(value, datetime):
        value = value.astimezone(tz).date() if tz else value.date()
    if locale == "fa":
        jalali = jdatetime.date.fromgregorian(date=value)
        return persian_digits(f"{jalali.year:04d}/{jalali.month:02d}/{jalali.day:02d}")
    return value.isoformat()


def moment(value: datetime, locale: str, tz: ZoneInfo) -> str:
    local = value.astimezone(tz)
    clock = f"{local.hour:02d}:{local.minute:02d}"
    return f"{day(local.date(), locale)} {persian_digits(clock) if locale == 'fa' else clock}"
