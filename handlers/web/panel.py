"""The owner's panel under `/club/panel/`: staff sign in by a one-time link from `/panel`
in the bot, then see the week's figures, the members, a member's page and correct points.

Every page asks `loyalty.staff.panel` (and through it the permission table) who may see
it; a correction goes through `loyalty.staff.counter.adjust`, as `/adjust` does.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any

from aiohttp import web

from handlers.format import day, digits, number, signed
from handlers.i18n import N_, t
from handlers.texts import error_text, reason_text, tier_name
from handlers.web.app import PAGES, PREFIX, _club, _page, checked_form, render, signed_in
from handlers.web.session import COOKIE, STAFF, Subject
from loyalty import ledger
from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.members import active_card
from loyalty.numbers import parse_int
from loyalty.staff import counter as desk
from loyalty.staff import panel
from loyalty.staff.permissions import Action, allowed
from models import Branch, Staff, Tier

OWNER_IDS = web.AppKey("panel_owner_ids", tuple)
HISTORY_SIZE = 20


def add_panel_routes(pages: web.Application, owner_ids: Iterable[int]) -> None:
    pages[OWNER_IDS] = tuple(owner_ids)
    pages.router.add_get("/panel/signin", panel_sign_in)
    pages.router.add_get("/panel/", home)
    pages.router.add_get("/panel/members", members_page)
    pages.router.add_get("/panel/members/{id:[0-9]{1,12}}", member_page)
    pages.router.add_post("/panel/members/{id:[0-9]{1,12}}/adjust", adjust)


async def _staff(request: web.Request) -> Staff:
    subject = signed_in(request, STAFF)
    staff = await panel.panel_staff(subject.id, request.app[OWNER_IDS])
    if staff is None:  # revoked, or no longer an owner, since signing in
        raise web.HTTPSeeOther(f"{PREFIX}/")
    return staff


async def _refused(request: web.Request, status: int, message: str) -> web.Response:
    locale = request.app[PAGES].default_locale
    return render(request, "refused.html", locale, await _club(locale), status, message=message)


async def _page_of(
    request: web.Request, staff: Staff, template: str, **values: Any
) -> web.Response:
    pages = request.app[PAGES]
    locale = pages.default_locale
    return render(
        request,
        template,
        locale,
        await _club(locale),
        csrf=pages.sessions.csrf(request.cookies.get(COOKIE, "")),
        may_members=allowed(staff, Action.PANEL_MEMBERS),
        may_report=allowed(staff, Action.REPORT),
        **values,
    )


# ---- signing in --------------------------------------------------------------------------------


async def panel_sign_in(request: web.Request) -> web.Response:
    pages = request.app[PAGES]
    now = pages.clock()
    try:
        staff = await panel.redeem_link(
            request.query.get("token", ""), request.app[OWNER_IDS], now=now
        )
    except LoyaltyError:
        text = N_("This link has been used or has expired. Send /panel in the bot for a new one.")
        return await _refused(request, 403, text)
    response = web.Response(status=303, headers={"Location": f"{PREFIX}/panel/"})
    response.set_cookie(
        COOKIE,
        pages.sessions.issue(Subject(STAFF, staff.id), now),
        max_age=int(pages.sessions.lifetime.total_seconds()),
        path=f"{PREFIX}/",
        httponly=True,
        # Lax, not Strict: the link is opened from Telegram, another site, and the redirect
        # that follows must carry the cookie; forms are guarded by their CSRF token.
        samesite="Lax",
        secure=pages.secure or request.secure,
    )
    return response


# ---- the dashboard -----------------------------------------------------------------------------


async def home(request: web.Request) -> web.Response:
    pages = request.app[PAGES]
    staff = await _staff(request)
    locale = pages.default_locale
    shown = None
    if allowed(staff, Action.REPORT):
        figures = await panel.dashboard(staff, tz=pages.tz, now=pages.clock())
        shown = {
            "members": number(figures.members, locale),
            "joined": number(figures.joined, locale),
            "issued": number(figures.issued, locale),
            "redeemed": number(figures.redeemed, locale),
        }
    return await _page_of(request, staff, "panel_home.html", figures=shown)


# ---- the members -------------------------------------------------------------------------------


def _id(text: str | None) -> int | None:
    return int(text) if text and text.isascii() and text.isdigit() and len(text) < 10 else None


async def members_page(request: web.Request) -> web.Response:
    pages = request.app[PAGES]
    staff = await _staff(request)
    if not allowed(staff, Action.PANEL_MEMBERS):
        return await _refused(request, 403, N_("This page is for managers and the owner."))
    locale = pages.default_locale
    query = request.query.get("q", "")
    sort = request.query.get("sort", "joined")
    tier_id, branch_id = _id(request.query.get("tier")), _id(request.query.get("branch"))
    found = await panel.list_members(
        staff,
        query=query,
        tier_id=tier_id,
        branch_id=branch_id,
        sort=sort,
        page=_page(request) - 1,
    )
    tiers = await Tier.all().order_by("threshold")
    branches = [] if panel.own_branch(staff) is not None else await Branch.all().order_by("id")
    return await _page_of(
        request,
        staff,
        "panel_members.html",
        query=query,
        sort=sort if sort in panel.SORTS else "joined",
        tier_id=tier_id,
        branch_id=branch_id,
        tiers=[(x.id, tier_name(x.code, x.name, locale)) for x in tiers],
        branches=[(b.id, b.name) for b in branches],
        rows=[
            {
                "id": m.id,
                "ident": digits(str(m.id), locale),
                "name": f"{m.first_name} {m.last_name}".strip() or "-",
                "phone": digits(m.phone or "-", locale),
                "tier": tier_name(m.tier.code, m.tier.name, locale) if m.tier else "-",
                "branch": m.branch.name if m.branch else "-",
                "joined": day(m.joined_at, locale, pages.tz),
                "balance": number(m.balance, locale),
            }
            for m in found.members
        ],
        total=number(found.total, locale),
        more=found.more,
        page=found.page + 1,
        pages=found.pages,
        page_text=t(
            "Page {page} of {pages}",
            locale,
            page=number(found.page + 1, locale),
            pages=number(found.pages, locale),
        ),
    )


async def member_page(
    request: web.Request, *, message: str = "", status: int = 200
) -> web.Response:
    pages = request.app[PAGES]
    staff = await _staff(request)
    if not allowed(staff, Action.PANEL_MEMBERS):
        return await _refused(request, 403, N_("This page is for managers and the owner."))
    locale = pages.default_locale
    try:
        member = await panel.member_for(staff, int(request.match_info["id"]))
    except LoyaltyError as refused:
        if refused.code is ErrorCode.NOT_ALLOWED:  # a manager of another branch
            return await _refused(request, 403, N_("This member belongs to another branch."))
        return await _refused(request, 404, error_text(refused, locale))
    card = await active_card(member.id)
    tier = await Tier.get_or_none(id=member.tier_id) if member.tier_id else None
    shown = await ledger.history_page(member.id, _page(request) - 1, HISTORY_SIZE)
    done = request.query.get("done", "")
    if not message and done.isascii() and done.isdigit():
        message = t(
            "Correction recorded. Balance: {balance}.",
            locale,
            balance=number(member.balance, locale),
        )
    return await _page_of(
        request,
        staff,
        "panel_member.html",
        status=status,
        message=message,
        member_id=member.id,
        name=f"{member.first_name} {member.last_name}".strip() or "-",
        phone=digits(member.phone or "-", locale),
        card=digits(card.number, locale),
        tier=tier_name(tier.code, tier.name, locale) if tier else "-",
        joined=day(member.joined_at, locale, pages.tz),
        balance=number(member.balance, locale),
        may_adjust=allowed(staff, Action.ADJUST),
        request_key=secrets.token_hex(16),
        history=[
            {
                "date": day(e.created_at, locale, pages.tz),
                "amount": signed(e.amount, locale),
                "gain": e.amount > 0,
                "reason": reason_text(e.reason, e.note, locale),
            }
            for e in shown.entries
        ],
        page=shown.page + 1,
        pages=shown.pages,
        page_text=t(
            "Page {page} of {pages}",
            locale,
            page=number(shown.page + 1, locale),
            pages=number(shown.pages, locale),
        ),
    )


async def adjust(request: web.Request) -> web.Response:
    pages = request.app[PAGES]
    form = await request.post()
    checked_form(request, form)
    staff = await _staff(request)
    locale = pages.default_locale
    member_id = int(request.match_info["id"])
    request_key = form.get("request")
    if not (isinstance(request_key, str) and request_key.isalnum() and len(request_key) == 32):
        return await member_page(
            request, message=t("This form is out of date: open the page again.", locale), status=400
        )
    try:
        member = await panel.member_for(staff, member_id)
        points = parse_int(str(form.get("points", "")), signed=True, maximum=None)
        outcome = await desk.adjust(
            staff,
            member.id,
            points,
            str(form.get("note", "")),
            request=f"panel:{staff.id}:{request_key}",
            now=pages.clock(),
        )
    except LoyaltyError as refused:
        return await member_page(request, message=error_text(refused, locale), status=400)
    if outcome.held is not None:
        text = t("This correction would leave the balance below zero: not recorded.", locale)
        return await member_page(request, message=text, status=409)
    assert outcome.entry is not None
    raise web.HTTPSeeOther(f"{PREFIX}/panel/members/{member.id}?done={outcome.entry.id}")
