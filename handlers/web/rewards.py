"""The rewards page and the member's vouchers: the catalogue as the chat's Rewards shows it
(`loyalty.rewards.catalog` and `affordable`), a confirmation, then the voucher's code as
text and QR. A confirmation form carries its own key: a double submit redeems once."""

from __future__ import annotations

import secrets

from aiohttp import web
from markupsafe import Markup

from handlers.format import day, number
from handlers.i18n import N_, pick_locale, t
from handlers.qr import qr_svg
from handlers.texts import club_name, error_text
from handlers.web.app import PAGES, PREFIX, checked_form, csrf_of, member_of_session, render
from handlers.web.media import media_url
from loyalty import rewards
from loyalty.errors import LoyaltyError
from models import Member, VoucherStatus

STATUS = {  # as the chat's Vouchers says them
    VoucherStatus.ISSUED: N_("valid until {until}"),
    VoucherStatus.USED: N_("used"),
    VoucherStatus.CANCELLED: N_("cancelled"),
    VoucherStatus.EXPIRED: N_("expired"),
}


def add_rewards_routes(pages: web.Application) -> None:
    pages.router.add_get("/rewards", rewards_page)
    pages.router.add_get(r"/rewards/{reward:\d{1,9}}", confirm_page)
    pages.router.add_post(r"/rewards/{reward:\d{1,9}}", redeem)
    pages.router.add_get("/vouchers", vouchers_page)
    pages.router.add_get(r"/vouchers/{voucher:\d{1,9}}", voucher_page)


def _locale(request: web.Request, member: Member) -> str:
    return pick_locale(member.locale, default=request.app[PAGES].default_locale)


async def rewards_page(request: web.Request, error: str = "", status: int = 200) -> web.Response:
    member, config = await member_of_session(request)
    locale = _locale(request, member)
    offered = await rewards.catalog(config=config)
    can_have = {r.id for r in await rewards.affordable(member, offered=offered, config=config)}
    return render(
        request,
        "rewards.html",
        locale,
        club_name(config.rules.name, locale),
        status,
        here="rewards",
        csrf=csrf_of(request),
        error=error,
        balance=number(member.balance, locale),
        rewards=[
            {
                "id": r.id,
                "name": r.name,
                "description": r.description,
                "cost": number(r.cost, locale),
                "can": r.id in can_have,
                "picture": media_url(r.picture),
            }
            for r in offered
        ],
    )


async def confirm_page(request: web.Request) -> web.Response:
    member, config = await member_of_session(request)
    locale = _locale(request, member)
    reward_id = int(request.match_info["reward"])
    reward = next((r for r in await rewards.catalog(config=config) if r.id == reward_id), None)
    if reward is None:
        raise web.HTTPSeeOther(f"{PREFIX}/rewards")
    return render(
        request,
        "redeem.html",
        locale,
        club_name(config.rules.name, locale),
        here="rewards",
        csrf=csrf_of(request),
        reward_id=reward.id,
        question=t(
            "Take {name} for {cost} points? You have {balance} points.",
            locale,
            name=reward.name,
            cost=number(reward.cost, locale),
            balance=number(member.balance, locale),
        ),
        description=reward.description,
        key=secrets.token_hex(16),  # this form's: submitted twice, it redeems once
    )


async def redeem(request: web.Request) -> web.Response:
    form = await request.post()
    checked_form(request, form)
    member, _ = await member_of_session(request)
    key = form.get("key")
    if not (isinstance(key, str) and 16 <= len(key) <= 64 and key.isascii() and key.isalnum()):
        raise web.HTTPSeeOther(f"{PREFIX}/rewards")
    try:
        # The member in the key: another member's form key can never replay into this one.
        result = await rewards.redeem_reward(
            member.id,
            int(request.match_info["reward"]),
            key=f"web:{member.id}:{key}",
            now=request.app[PAGES].clock(),
        )
    except LoyaltyError as refused:
        return await rewards_page(request, error_text(refused, _locale(request, member)), 409)
    raise web.HTTPSeeOther(f"{PREFIX}/vouchers/{result.voucher.id}")


async def vouchers_page(request: web.Request) -> web.Response:
    member, config = await member_of_session(request)
    locale = _locale(request, member)
    tz = request.app[PAGES].tz
    return render(
        request,
        "vouchers.html",
        locale,
        club_name(config.rules.name, locale),
        here="vouchers",
        csrf=csrf_of(request),
        vouchers=[
            {
                "id": v.id,
                "code": v.code,
                "reward": v.reward.name,
                "status": t(STATUS[v.status], locale, until=day(v.expires_at, locale, tz)),
                "usable": v.status is VoucherStatus.ISSUED,
            }
            for v in await rewards.member_vouchers(member.id)
        ],
    )


async def voucher_page(request: web.Request) -> web.Response:
    member, config = await member_of_session(request)
    locale = _locale(request, member)
    voucher_id = int(request.match_info["voucher"])
    voucher = next(
        (v for v in await rewards.member_vouchers(member.id) if v.id == voucher_id), None
    )
    if voucher is None:  # not this member's: as if there were none
        raise web.HTTPNotFound(text=t(N_("No such voucher."), locale))
    tz = request.app[PAGES].tz
    usable = voucher.status is VoucherStatus.ISSUED
    return render(
        request,
        "voucher.html",
        locale,
        club_name(config.rules.name, locale),
        here="vouchers",
        csrf=csrf_of(request),
        reward=voucher.reward.name,
        code=voucher.code,
        qr=Markup(qr_svg(voucher.code)) if usable else "",  # segno's SVG of the code only
        state=t(STATUS[voucher.status], locale, until=day(voucher.expires_at, locale, tz)),
        balance=number(member.balance, locale),
    )
