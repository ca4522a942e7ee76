"""Dates as members type them: Jalali for Persian readers, Gregorian for English ones."""

from __future__ import annotations

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
