"""Charity causes as staff and members read them, in every door (chat, SMS, command line)."""

from __future__ import annotations

from handlers.format import digits, number
from handlers.i18n import N_, t
from handlers.texts import money
from loyalty.charity import Given, Standing

STAFF_LINE = N_(
    "#{id} {name}: {value} a point; given {points} points ({money}){target}{off}\n{description}"
)
TARGET = N_(", target {target} points")
OFF = N_(" (off)")
MEMBER_LINE = N_("{name}: members have given {points} points{target}")
MEMBER_TARGET = N_(" of {target}")
THANKS = N_(
    "Thank you! You gave {points} points to {name}. Members have given it {total} points "
    "so far. Your balance: {balance} points."
)
REPORT_LINE = N_("{name}: {points} points given, worth {money}")


def staff_line(standing: Standing, currency: str, locale: str) -> str:
    cause = standing.cause
    target = t(TARGET, locale, target=number(cause.target, locale)) if cause.target else ""
    return t(
        STAFF_LINE,
        locale,
        id=digits(str(cause.id), locale),
        name=cause.name,
        value=money(cause.point_value, currency, locale),
        points=number(standing.points, locale),
        money=money(standing.money, currency, locale),
        target=target,
        off="" if cause.active else t(OFF, locale),
        description=cause.description,
    ).rstrip()


def member_line(standing: Standing, locale: str) -> str:
    cause = standing.cause
    target = t(MEMBER_TARGET, locale, target=number(cause.target, locale)) if cause.target else ""
    return t(
        MEMBER_LINE, locale, name=cause.name, points=number(standing.points, locale), target=target
    )


def thanks(given: Given, locale: str) -> str:
    return t(
        THANKS,
        locale,
        points=number(given.points, locale),
        name=given.cause.name,
        total=number(given.total, locale),
        balance=number(given.balance, locale),
    )


def report_line(standing: Standing, currency: str, locale: str) -> str:
    return t(
        REPORT_LINE,
        locale,
        name=standing.cause.name,
        points=number(standing.points, locale),
        money=money(standing.money, currency, locale),
    )
