"""Dates as members type them: Jalali for Persian readers, Gregorian for English ones."""

from __future__ import annotations

import calendar
import re
from datetime import date

import jdatetime

from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.text import to_ascii_digits

_DATE = re.compile(r"^\s*(\d{4})\s*[/\-.]\s*(\d{1,2})\s*[/\-.]\s*(\d{1,2})\s*$")


def parse_birthday(text: str, locale: str, *, today: date | None = None) -> date:
    """`1370/05/12` or `۱۳۷۰/۰۵/۱۲` (Jalali) in Persian, `1991-08-03` in English, as a Gregorian date.

    A day that does not exist in its calendar (Esfand 30 of a common year) is refused
    rather than rolled over, so a typo never becomes a wrong birthday.
    """
    match = _DATE.match(to_ascii_digits(text or ""))
    if match is None:
        raise LoyaltyError(ErrorCode.INVALID_DATE)
    year, month, day = (int(part) for part in match.groups())
    try:
        born = jdatetime.date(year, month, day).togregorian() if locale == "fa" else date(year, month, day)
    except ValueError:
        raise LoyaltyError(ErrorCode.INVALID_DATE) from None
    # The same bounds as members.update_profile, checked here so sign-up refuses at once.
    if born.year < 1900 or (today is not None and born > today):
        raise LoyaltyError(ErrorCode.INVALID_DATE)
    return born


def calendar_year(today: date, locale: str) -> int:
    """This year in the reader's calendar: Jalali for Persian, Gregorian otherwise."""
    return jdatetime.date.fromgregorian(date=today).year if locale == "fa" else today.year


def days_in_month(year: int, month: int, locale: str) -> int:
    """How many days the month has in the reader's calendar (Esfand has 30 in a leap year)."""
    if locale == "fa":
        return 30 if month == 12 and jdatetime.date(year, 1, 1).isleap() else jdatetime.j_days_in_month[month - 1]
    return calendar.monthrange(year, month)[1]
