"""Rewards priced in money as the owner reads them: per point, warnings, the points' worth."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from handlers.format import number, persian_digits
from handlers.i18n import N_, t
from loyalty.reward_values import Mispriced, Outstanding, per_point
from models import Reward


def rate_text(rate: Decimal, locale: str) -> str:
    """Money per point to two decimals at most: 500, 333.33."""
    shown = rate.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if shown == shown.to_integral_value():
        return number(int(shown), locale)
    whole = number(int(shown), locale)
    cents = f"{shown:.2f}".split(".")[1].rstrip("0")
    return f"{whole}٫{persian_digits(cents)}" if locale == "fa" else f"{whole}.{cents}"


def worth_text(reward: Reward, locale: str) -> str:
    """`worth 45,000, 500 per point`; empty for a reward without a money value."""
    rate = per_point(reward)
    if rate is None:
        return ""
    return t(
        N_("worth {value}, {rate} per point"),
        locale,
        value=number(reward.value_money, locale),  # type: ignore[arg-type]
        rate=rate_text(rate, locale),
    )


def warning_text(found: Mispriced, locale: str) -> str:
    def ident(reward: Reward) -> str:
        return persian_digits(str(reward.id)) if locale == "fa" else str(reward.id)

    return t(
        N_(
            "⚠ #{dearer} {dearer_name} costs more points than #{cheaper} {cheaper_name} "
            "but gives less per point: {dearer_rate} against {cheaper_rate}."
        ),
        locale,
        dearer=ident(found.dearer),
        dearer_name=found.dearer.name,
        cheaper=ident(found.cheaper),
        cheaper_name=found.cheaper.name,
        dearer_rate=rate_text(per_point(found.dearer), locale),  # type: ignore[arg-type]
        cheaper_rate=rate_text(per_point(found.cheaper), locale),  # type: ignore[arg-type]
    )


def outstanding_text(found: Outstanding, locale: str) -> str:
    """The report's line: the points members hold and what they are worth."""
    if found.rate is None or found.value is None:
        return t(
            N_("Points outstanding: {points} (no reward has a money value to price them)"),
            locale,
            points=number(found.points, locale),
        )
    return t(
        N_(
            "Points outstanding: {points}, worth {value} at the catalogue's average of "
            "{rate} per point"
        ),
        locale,
        points=number(found.points, locale),
        value=number(found.value, locale),
        rate=rate_text(found.rate, locale),
    )
