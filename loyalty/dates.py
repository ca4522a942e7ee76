"""Dates and times as people type them: Jalali or Gregorian, in any digits."""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime, timedelta, tzinfo
from typing import NamedTuple

import jdatetime

from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.text import to_ascii_digits

# Year, month and day separated by / - . or spaces (1370/5/12, 1991-08-03, 1370 05 12),
# or the same three the other way round (12/5/1370) when the year comes last.
_PARTS = re.compile(r"^\s*(\d{1,4})\s*[/\-.\s]\s*(\d{1,2})\s*[/\-.\s]\s*(\d{1,4})\s*$")
# Solar Hijri years of living people; Gregorian years start well above them.
_JALALI_YEARS = range(1250, 1600)
_GREGORIAN_YEARS = range(1900, 2200)


def parse_birthday(text: str, locale: str, *, today: date | None = None) -> date:
    """The Gregorian date of a birthday typed as `1370/05/12` (Jalali) or `1991-08-03`.

    The year tells the calendar: a year below 1600 is Jalali, a later one Gregorian,
    whatever the reader's language, so a Persian reader may type either. A day that does
    not exist in its calendar (Esfand 30 of a common year) is refused rather than rolled
    over, so a typo never becomes a wrong birthday; so is a date after `today`.
    `locale` is part of the signature the Telegram and SMS doors share.
    """
    match = _PARTS.match(to_ascii_digits(text or ""))
    if match is None:
        raise LoyaltyError(ErrorCode.INVALID_DATE, text=text)
    first, month, last = (int(part) for part in match.groups())
    year, day = (first, last) if len(match.group(1)) == 4 else (last, first)
    try:
        if year in _JALALI_YEARS:
            born = jdatetime.date(year, month, day).togregorian()
        elif year in _GREGORIAN_YEARS:
            born = date(year, month, day)
        else:
            raise ValueError(year)
    except ValueError:
        raise LoyaltyError(ErrorCode.INVALID_DATE, text=text) from None
    if today is not None and born > today:
        raise LoyaltyError(ErrorCode.INVALID_DATE, text=text)
    return born


def calendar_year(today: date, locale: str) -> int:
    """This year in the reader's calendar: Jalali for Persian, Gregorian otherwise."""
    return jdatetime.date.fromgregorian(date=today).year if locale == "fa" else today.year


def days_in_month(year: int, month: int, locale: str) -> int:
    """How many days the month has in the reader's calendar (Esfand has 30 in a leap year)."""
    if locale == "fa":
        if month == 12 and jdatetime.date(year, 1, 1).isleap():
            return 30
        return jdatetime.j_days_in_month[month - 1]
    return calendar.monthrange(year, month)[1]


class LocalTime(NamedTuple):
    """A time staff typed in the club's zone, read before it is placed on the calendar:
    18:30             today, or tomorrow when that time has passed
    1405/01/10 18:30  a Jalali date (a year below 1700); 1405-01-10 and 1405-01-10T18:30 too
    2026-03-30 18:30  a Gregorian date
    1405/01/10        a date alone, at 10:00
    """

    day: tuple[int, int, int] | None  # (year, month, day) as typed; None: the next such hour
    hour: int
    minute: int

    def at(self, now: datetime, tz: tzinfo) -> datetime:
        """The moment it names; ValueError for a date that does not exist (1405/13/40)."""
        if self.day is None:
            local = now.astimezone(tz)
            moment = local.replace(hour=self.hour, minute=self.minute, second=0, microsecond=0)
            return moment if moment > local else moment + timedelta(days=1)
        year, month, dom = self.day
        if year < 1700:
            gregorian = jdatetime.date(year, month, dom).togregorian()
            year, month, dom = gregorian.year, gregorian.month, gregorian.day
        return datetime(year, month, dom, self.hour, self.minute, tzinfo=tz)


_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")
_DAY = re.compile(r"^(\d{4})[/\-](\d{1,2})[/\-](\d{1,2})$")


def read_local_time(text: str) -> LocalTime:
    """A typed time (LocalTime's forms, any digits); ValueError when it is not one."""
    value = " ".join(to_ascii_digits(text).replace("T", " ", 1).split())
    day_part, _, clock_part = value.rpartition(" ") if " " in value else ("", "", value)
    if not day_part and _DAY.match(clock_part):  # a date alone
        day_part, clock_part = clock_part, "10:00"
    clock = _CLOCK.match(clock_part)
    if clock is None or int(clock[1]) > 23 or int(clock[2]) > 59:
        raise ValueError(text)
    day = None
    if day_part:
        parts = _DAY.match(day_part)
        if parts is None:
            raise ValueError(text)
        day = (int(parts[1]), int(parts[2]), int(parts[3]))
    return LocalTime(day, int(clock[1]), int(clock[2]))
