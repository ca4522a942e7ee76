"""Dates as members type them: Jalali or Gregorian, in any digits."""

from __future__ import annotations

import re
from datetime import date

import jdatetime

from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.text import to_ascii_digits

# Year, month and day separated by / - . or spaces (1370/5/12, 1991-08-03, 1370 05 12),
# or the same three the other way round (12/5/1370) when the year comes last.
_PARTS = re.compile(r"^\s*(\d{1,4})\s*[/\-.\s]\s*(\d{1,2})\s*[/\-.\s]\s*(\d{1,4})\s*$")
# Solar Hijri years of living people; Gregorian years start well above them.
_JALALI_YEARS = range(1250, 1600)
_GREGORIAN_YEARS = range(1870, 2200)


def parse_birthday(text: str, locale: str) -> date:
    """The Gregorian date of a birthday typed as `1370/05/12` (Jalali) or `1991-08-03`.

    The year tells the calendar: a year below 1600 is Jalali, any later one Gregorian,
    whatever the reader's language. Persian and Arabic-Indic digits are accepted.
    `locale` is part of the signature the Telegram and SMS doors share; no rule depends
    on it yet. Raises `LoyaltyError(INVALID_DATE)` for anything that is not a real date.
    """
    match = _PARTS.match(to_ascii_digits(text or ""))
    if match is None:
        raise LoyaltyError(ErrorCode.INVALID_DATE, text=text)
    first, month, last = (int(part) for part in match.groups())
    year, day = (first, last) if len(match.group(1)) == 4 else (last, first)
    try:
        if year in _JALALI_YEARS:
            return jdatetime.date(year, month, day).togregorian()
        if year in _GREGORIAN_YEARS:
            return date(year, month, day)
    except ValueError:
        pass
    raise LoyaltyError(ErrorCode.INVALID_DATE, text=text)
