"""/promo: the owner's promo codes, made with their limits and listed with their figures."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from handlers.format import number
from handlers.i18n import N_, t
from handlers.telegram.staff.common import say
from handlers.till_texts import percent
from loyalty import promos
from loyalty.dates import parse_birthday as parse_date
from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.numbers import parse_decimal, parse_id, parse_int
from loyalty.staff import promo_codes
from loyalty.staff.permissions import Action
from models import PromoBatch, PromoCode, Staff

USAGE = N_(
    "Usage:\n/promo — the codes and their figures\n"
    "/promo add <CODE> <10%|50000|+20pts> [from=<date>] [until=<date>] [min=<amount>] "
    "[tier=<silver>] [branch=<number>] [group=<number>] [uses=<n>] [per=<n>]\n"
    "/promo batch <PREFIX> <10%|50000|+20pts> campaign=<number> [from=<date>] "
    "[until=<date>] [min=<amount>] [tier=<silver>] [branch=<number>] [group=<number>] — "
    "a code for each recipient of the campaign, in place of {code} in its text\n"
    "/promo off <CODE|PREFIX>"
)


def _value(text: str) -> tuple[str, Decimal]:
    """10% a percentage, +20pts bonus points, 50000 an amount off."""
    raw = text.strip().lower()
    if raw.endswith(("%", "٪")):
        return "percent", parse_decimal(raw[:-1])
    if raw.startswith("+") or raw.endswith("pts"):
        return "points", Decimal(parse_int(raw.lstrip("+").removesuffix("pts")))
    return "amount", Decimal(parse_int(raw))


def _spec(words: list[str], locale: str) -> promo_codes.PromoSpec:
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


def _gives(promo: PromoCode | PromoBatch, locale: str) -> str:
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
        gives=_gives(batch, locale),
        given=number(figures.given, locale),
        uses=number(figures.used, locale),
        discount=number(figures.discount, locale),
        sales=number(figures.sales, locale),
        bonus=number(figures.bonus, locale),
    ) + ("" if batch.active else " " + t(N_("(withdrawn)"), locale))


def promo_line(promo: PromoCode, locale: str) -> str:
    gives = _gives(promo, locale)
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


async def on_promo(
    message: Message, command: CommandObject, staff: Staff, locale: str, now: datetime
) -> None:
    words = (command.args or "").split()
    verb = words[0].lower() if words else "list"
    if verb == "list" and len(words) <= 1:
        found = await promo_codes.promo_list(staff)
        lines = [promo_line(promo, locale) for promo in found]
        lines += [batch_line(f, locale) for f in await promo_codes.batch_list(staff)]
        await say(message, "\n".join(lines) or t(N_("No promo codes yet."), locale))
    elif verb == "add" and len(words) >= 3:
        promo = await promo_codes.add_promo(staff, _spec(words[1:], locale), now=now)
        await say(message, t(N_("Promo code added:"), locale) + " " + promo_line(promo, locale))
    elif verb == "batch" and len(words) >= 4:
        campaign = [w for w in words[3:] if w.lower().startswith("campaign=")]
        rest = [w for w in words[3:] if w not in campaign]
        if len(campaign) != 1 or any(w.split("=")[0].lower() in ("uses", "per") for w in rest):
            await say(message, t(USAGE, locale))
            return
        campaign_id = parse_id(campaign[0].partition("=")[2])
        spec = _spec(words[1:3] + rest, locale)
        batch = await promo_codes.add_batch(staff, spec, campaign_id, now=now)
        await say(
            message,
            t(
                N_(
                    "Promo batch {prefix} added to campaign {campaign}: each recipient gets "
                    "their own code, {gives}, for one purchase of theirs."
                ),
                locale,
                prefix=batch.prefix,
                campaign=number(campaign_id, locale),
                gives=_gives(batch, locale),
            ),
        )
    elif verb == "off" and len(words) == 2:
        if await PromoBatch.exists(prefix=promos.normal(words[1]), active=True):
            batch = await promo_codes.withdraw_batch(staff, words[1], now=now)
            await say(
                message, t(N_("Promo batch {prefix} withdrawn."), locale, prefix=batch.prefix)
            )
            return
        promo = await promo_codes.withdraw(staff, words[1], now=now)
        await say(message, t(N_("Promo code {code} withdrawn."), locale, code=promo.code))
    else:
        await say(message, t(USAGE, locale))


def router() -> Router:
    commands = Router(name="staff.promos")
    commands.message.register(on_promo, Command("promo"), flags={"action": Action.PROMOS})
    return commands
