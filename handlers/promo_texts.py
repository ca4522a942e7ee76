"""Promo codes in words, and as the owner types them: for /promo and the `club` command."""

from __future__ import annotations

from decimal import Decimal

from handlers.format import number
from handlers.i18n import N_, t
from handlers.till_texts import percent
from loyalty import promos
from loyalty.dates import parse_birthday as parse_date
from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.numbers import parse_decimal, parse_id, parse_int
from loyalty.staff import promo_codes
from models import PromoBatch, PromoCode


def _value(text: str) -> tuple[str, Decimal]:
    """10% a percentage, +20pts bonus points, 50000 an amount off."""
    raw = text.strip().lower()
    if raw.endswith(("%", "٪")):
        return "percent", parse_decimal(raw[:-1])
    if raw.startswith("+") or raw.endswith("pts"):
        return "points", Decimal(parse_int(raw.lstrip("+").removesuffix("pts")))
    return "amount", Decimal(parse_int(raw))


def promo_spec(words: list[str], locale: str) -> promo_codes.PromoSpec:
    kind, value = _value(words[1])
    options: dict[str, object] = {}
    readers = {
        "from": ("starts", lambda v: parse_date(v, locale)),
        "until": ("ends", lambda v: parse_date(v, locale)),
        "min": ("min_purchase", parse_int),
        "tier": ("tier", str),
        "branch": ("branch_id", parse_id),
        "group": ("group_id", parse_id),
        "uses": ("max_uses", parse_id),
        "per": ("max_per_member", parse_id),
    }
    for word in words[2:]:
        key, _, raw = word.partition("=")
        if key.lower() not in readers or not raw:
            raise LoyaltyError(ErrorCode.INVALID_VALUE, key=key, value=word)
        name, read = readers[key.lower()]
        options[name] = read(raw)
    return promo_codes.PromoSpec(words[0], kind, value, **options)  # type: ignore[arg-type]


def gives_text(promo: PromoCode | PromoBatch, locale: str) -> str:
    if promo.kind == "percent":
        return t(N_("{percent}% off"), locale, percent=percent(promo.value, locale))
    if promo.kind == "amount":
        return t(N_("{amount} off"), locale, amount=number(int(promo.value), locale))
    return t(N_("+{points} bonus points"), locale, points=number(int(promo.value), locale))


def batch_line(figures: promos.BatchFigures, locale: str) -> str:
    batch = figures.batch
    return t(
        N_(
            "{prefix}-… (campaign {campaign}): {gives}; codes given {given}; used {uses}; "
            "discount given {discount}; sales {sales}; bonus points {bonus}"
        ),
        locale,
        prefix=batch.prefix,
        campaign=number(batch.campaign_id, locale),  # type: ignore[attr-defined]
        gives=gives_text(batch, locale),
        given=number(figures.given, locale),
        uses=number(figures.used, locale),
        discount=number(figures.discount, locale),
        sales=number(figures.sales, locale),
        bonus=number(figures.bonus, locale),
    ) + ("" if batch.active else " " + t(N_("(withdrawn)"), locale))


def promo_line(promo: PromoCode, locale: str) -> str:
    gives = gives_text(promo, locale)
    limit = number(promo.max_uses, locale) if promo.max_uses is not None else "∞"
    return t(
        N_(
            "{code}: {gives}; used {uses}/{limit}; discount given {discount}; sales {sales}; "
            "bonus points {bonus}"
        ),
        locale,
        code=promo.code,
        gives=gives,
        uses=number(promo.uses, locale),
        limit=limit,
        discount=number(promo.discount_total, locale),
        sales=number(promo.sales_total, locale),
        bonus=number(promo.bonus_total, locale),
    ) + ("" if promo.active else " " + t(N_("(withdrawn)"), locale))
