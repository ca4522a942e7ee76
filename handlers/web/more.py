"""The member's invitation link, the club's rules, and writing to the club.

The link is the chat's /invite link (`t.me/<bot>?start=ref_<code>`); the rules are read
from the club's set-up (`loyalty.rules`); a message goes to the staff's inbox as the
chat's "Message the club" does (`loyalty.inbox.send_message`), and the staff's answer
reaches the member by Telegram, or by SMS when they have no Telegram.
"""

from __future__ import annotations

import secrets
from decimal import Decimal

from aiohttp import web

from handlers.format import digits, number
from handlers.i18n import N_, pick_locale, t
from handlers.texts import club_name, error_text, money, tier_name
from handlers.web.app import PAGES, PREFIX, checked_form, csrf_of, member_of_session, render
from handlers.web.look import contact_of
from loyalty import inbox, members
from loyalty.errors import LoyaltyError
from models import Channel, Member

SENT = N_("Your message was sent. We will answer you soon.")
OUT_OF_DATE = N_("This form is out of date: open the page again.")


def add_more_routes(pages: web.Application) -> None:
    pages.router.add_get("/invite", invite_page)
    pages.router.add_get("/rules", rules_page)
    pages.router.add_get("/write", write_page)
    pages.router.add_post("/write", write)


def _locale(request: web.Request, member: Member) -> str:
    return pick_locale(member.locale, default=request.app[PAGES].default_locale)


async def invite_page(request: web.Request) -> web.Response:
    member, config = await member_of_session(request)
    locale = _locale(request, member)
    ask = request.app[PAGES].bot_username
    username = await ask() if ask is not None else None
    link = f"https://t.me/{username}?start=ref_{member.referral_code}" if username else ""
    return render(
        request,
        "invite.html",
        locale,
        club_name(config.rules.name, locale),
        here="invite",
        csrf=csrf_of(request),
        link=link,
        count=number(await members.referral_count(member.id), locale),
    )


def _decimal(value: Decimal, locale: str) -> str:
    text = format(value.normalize(), "f")
    return digits(text, locale).replace(".", "٫") if locale == "fa" else text


async def rules_page(request: web.Request) -> web.Response:
    member, config = await member_of_session(request)
    locale = _locale(request, member)
    rules = config.rules
    earning = [
        t(
            "{points} points for every {amount} you spend.",
            locale,
            points=_decimal(Decimal(rules.earn_rate), locale),
            amount=money(rules.currency_unit, rules.currency, locale),
        )
    ]
    for msgid, value in (
        (N_("{points} points for joining."), rules.signup_bonus),
        (
            N_("{points} points when a friend you invited makes a first purchase."),
            rules.referral_bonus_referrer,
        ),
        (N_("{points} points on your birthday."), rules.birthday_bonus),
        (N_("{points} points for your feedback, once a day."), rules.feedback_bonus),
    ):
        if value > 0:
            earning.append(t(msgid, locale, points=number(value, locale)))
    tiers = [
        {
            "name": tier_name(tier.code, tier.name, locale),
            "from": t("from {points} points", locale, points=number(tier.threshold, locale)),
            "perks": [
                line
                for line in (
                    t(
                        "points ×{multiplier}",
                        locale,
                        multiplier=_decimal(Decimal(tier.multiplier), locale),
                    )
                    if Decimal(tier.multiplier) != 1
                    else "",
                    t("{percent}% off", locale, percent=number(tier.discount_percent, locale))
                    if tier.discount_percent
                    else "",
                )
                if line
            ],
        }
        for tier in config.tiers
    ]
    expiry = (
        t(
            "Points expire {days} days after they are earned.",
            locale,
            days=number(rules.expiry_days, locale),
        )
        if rules.expiry_days
        else t("Points never expire.", locale)
    )
    window = t(
        "Your tier follows the points you earned in the last {days} days.",
        locale,
        days=number(rules.tier_window_days, locale),
    )
    return render(
        request,
        "rules.html",
        locale,
        club_name(rules.name, locale),
        here="rules",
        csrf=csrf_of(request),
        earning=earning,
        tiers=tiers,
        expiry=expiry,
        window=window,
        contact=contact_of(rules, locale),
    )


async def write_page(request: web.Request, message: str = "", status: int = 200) -> web.Response:
    member, config = await member_of_session(request)
    locale = _locale(request, member)
    if not message and request.query.get("sent") == "1":
        message = t(SENT, locale)
    return render(
        request,
        "write.html",
        locale,
        club_name(config.rules.name, locale),
        status,
        here="write",
        csrf=csrf_of(request),
        message=message,
        request_key=secrets.token_hex(16),
    )


async def write(request: web.Request) -> web.Response:
    form = await request.post()
    checked_form(request, form)
    member, _ = await member_of_session(request)
    text = form.get("text")
    key = form.get("request")
    if not (isinstance(key, str) and key.isascii() and key.isalnum() and len(key) == 32):
        return await write_page(request, t(OUT_OF_DATE, _locale(request, member)), 400)
    # The staff's answer goes back the way the member can read it.
    channel = Channel.TELEGRAM if member.telegram_id else Channel.SMS
    try:
        await inbox.send_message(
            member.id,
            text if isinstance(text, str) else "",
            channel=channel,
            now=request.app[PAGES].clock(),
            request=f"web:{key}",  # a second press of Send, or a reload, is the same message
        )
    except LoyaltyError as refused:
        return await write_page(request, error_text(refused, _locale(request, member)), 400)
    raise web.HTTPSeeOther(f"{PREFIX}/write?sent=1")
