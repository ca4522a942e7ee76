"""The owner's panel under `/club/panel/`: staff sign in by a one-time link from `/panel`
in the bot, or open it as a Mini App from the button beside that link (Telegram's signed
`initData` posted to `/club/panel/signin`), then see the week's figures, the members, a
member's page and correct points; the staff and the audit log (handlers/web/panel_staff.py).
Pages are in the staff member's language: the one stored for their Telegram account (as
the bot chooses it), else their Telegram app's (from the Mini App), else the club's.

Every page asks `loyalty.staff.panel` (and through it the permission table) who may see
it; a correction goes through `loyalty.staff.counter.adjust`, as `/adjust` does.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable
from typing import Any

from aiohttp import web

from handlers.format import day, digits, number, signed
from handlers.i18n import N_, pick_locale, t
from handlers.texts import error_text, reason_text, tier_name
from handlers.web.app import (
    PAGES,
    PREFIX,
    _club,
    _page,
    checked_form,
    cookie_options,
    keep_session,
    render,
    signed_in,
)
from handlers.web.panel_charts import dashboard_charts
from handlers.web.panel_filters import add_filter_routes, filter_address, filter_choices
from handlers.web.panel_import import add_import_routes
from handlers.web.session import COOKIE, STAFF, Refusal, SignInRefused, Subject, checked_user
from handlers.web.svg_charts import svg
from loyalty import ledger
from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.members import active_card, locale_by_telegram
from loyalty.numbers import parse_int
from loyalty.staff import counter as desk
from loyalty.staff import panel
from loyalty.staff.permissions import Action, allowed
from models import Branch, PendingApproval, Staff, Tier

log = logging.getLogger("club.web")

OWNER_IDS = web.AppKey("panel_owner_ids", tuple)
HISTORY_SIZE = 20
# The language of the staff member's Telegram app, as the Mini App sign-in gave it: a
# preference, not a credential (only a language the club speaks is ever read from it).
LANGUAGE = "club_language"
LOCALE = web.RequestKey("panel_locale", str)  # the language `_staff` chose for the request


def add_panel_routes(pages: web.Application, owner_ids: Iterable[int]) -> None:
    from handlers.web.panel_staff import add_staff_routes  # it builds on this module

    pages[OWNER_IDS] = tuple(owner_ids)
    pages.router.add_get("/panel/signin", panel_sign_in)
    pages.router.add_get("/panel/app", app_page)
    pages.router.add_post("/panel/signin", app_sign_in)
    pages.router.add_get("/panel/", home)
    pages.router.add_get("/panel/members", members_page)
    pages.router.add_get("/panel/members/{id:[0-9]{1,9}}", member_page)
    pages.router.add_post("/panel/members/{id:[0-9]{1,9}}/adjust", adjust)
    pages.router.add_post("/panel/members/{id:[0-9]{1,9}}/held/{held:[0-9]{1,9}}", decide_held)
    add_outreach_routes(pages)
    add_staff_routes(pages)
    add_filter_routes(pages)
    add_import_routes(pages)
    add_settings_panel_routes(pages)
    add_showcase_panel_routes(pages)


def add_showcase_panel_routes(pages: web.Application) -> None:
    from handlers.web.panel_places import add_places_routes  # they build on this module
    from handlers.web.panel_showcase import add_panel_showcase_routes

    add_panel_showcase_routes(pages)
    add_places_routes(pages)


def add_settings_panel_routes(pages: web.Application) -> None:
    from handlers.web.panel_rewards import add_rewards_panel_routes  # they build on this module
    from handlers.web.panel_settings import add_settings_routes

    add_settings_routes(pages)
    add_rewards_panel_routes(pages)


async def _staff(request: web.Request) -> Staff:
    subject = signed_in(request, STAFF)
    staff = await panel.panel_staff(subject.id, request.app[OWNER_IDS])
    if staff is None:  # revoked, or no longer an owner, since signing in
        raise web.HTTPSeeOther(f"{PREFIX}/")
    stored = await locale_by_telegram(staff.telegram_id)
    request[LOCALE] = pick_locale(
        stored, request.cookies.get(LANGUAGE), default=request.app[PAGES].default_locale
    )
    return staff


def _locale(request: web.Request) -> str:
    """The signed-in staff member's language (after `_staff`), else the club's."""
    return request.get(LOCALE) or request.app[PAGES].default_locale


async def _refused(request: web.Request, status: int, message: str) -> web.Response:
    locale = _locale(request)
    return render(request, "refused.html", locale, await _club(locale), status, message=message)


async def _page_of(
    request: web.Request, staff: Staff, template: str, **values: Any
) -> web.Response:
    pages = request.app[PAGES]
    locale = _locale(request)
    return render(
        request,
        template,
        locale,
        await _club(locale),
        csrf=pages.sessions.csrf(request.cookies.get(COOKIE, "")),
        may_members=allowed(staff, Action.PANEL_MEMBERS),
        may_report=allowed(staff, Action.REPORT),
        may_campaign=allowed(staff, Action.CAMPAIGN),
        may_inbox=allowed(staff, Action.INBOX),
        may_staff=allowed(staff, Action.MANAGE_STAFF),
        may_audit=allowed(staff, Action.AUDIT),
        may_showcase=allowed(staff, Action.SETTINGS),
        may_branches=allowed(staff, Action.BRANCHES),
        may_groups=allowed(staff, Action.GROUPS),
        may_import=allowed(staff, Action.IMPORT),
        may_settings=allowed(staff, Action.SETTINGS),
        may_rewards=allowed(staff, Action.REWARDS),
        **values,
    )


def add_outreach_routes(pages: web.Application) -> None:
    """Campaigns, the inbox, and messaging or re-carding one member: modules of their own."""
    from handlers.web.panel_campaigns import add_campaign_routes
    from handlers.web.panel_inbox import add_inbox_routes
    from handlers.web.panel_member_actions import add_member_action_routes

    add_campaign_routes(pages)
    add_inbox_routes(pages)
    add_member_action_routes(pages)


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
    keep_session(request, response, Subject(STAFF, staff.id), now)
    return response


async def app_page(request: web.Request) -> web.Response:
    """The page the panel's Mini App button opens: its script posts Telegram's sign-in data
    (the member's sign-in script, the form's action this door's)."""
    pages = request.app[PAGES]
    locale = _locale(request)
    who = pages.sessions.subject(request.cookies.get(COOKIE), pages.clock())
    staff = who is not None and who.kind == STAFF
    return render(request, "panel_app.html", locale, await _club(locale), signed_in=staff)


async def app_sign_in(request: web.Request) -> web.Response:
    pages = request.app[PAGES]
    form = await request.post()
    init_data = form.get("init_data")
    now = pages.clock()
    try:
        user = checked_user(
            pages.token, init_data if isinstance(init_data, str) else "", now, pages.max_age
        )
    except SignInRefused as refused:
        log.info("panel sign-in refused: %s", refused.refusal.value)  # never the data itself
        text = (
            N_("This page is out of date. Close it and send /panel in the bot again.")
            if refused.refusal is Refusal.STALE
            else N_("We could not confirm who you are. Send /panel in the bot and open it again.")
        )
        who = refused.user  # a stale sign-in still names its reader
        locale = (
            await _telegram_locale(request, who.id, who.language_code)
            if who
            else pages.default_locale
        )
        return render(request, "refused.html", locale, await _club(locale), 401, message=text)
    name = " ".join(filter(None, (user.first_name, user.last_name)))
    try:
        staff = await panel.sign_in_by_telegram(user.id, request.app[OWNER_IDS], name=name, now=now)
    except LoyaltyError:
        locale = await _telegram_locale(request, user.id, user.language_code)
        text = N_("The panel is for the club's staff. Members open the club from the bot's menu.")
        return render(request, "refused.html", locale, await _club(locale), 403, message=text)
    response = web.Response(status=303, headers={"Location": f"{PREFIX}/panel/"})
    keep_session(request, response, Subject(STAFF, staff.id), now)
    language = pick_locale(user.language_code, default="")
    if language:
        lifetime = int(pages.sessions.lifetime.total_seconds())
        response.set_cookie(LANGUAGE, language, max_age=lifetime, **cookie_options(request))
    return response


async def _telegram_locale(request: web.Request, telegram_id: int, app: str | None) -> str:
    stored = await locale_by_telegram(telegram_id)
    return pick_locale(stored, app, default=request.app[PAGES].default_locale)


# ---- the dashboard -----------------------------------------------------------------------------


async def home(request: web.Request) -> web.Response:
    pages = request.app[PAGES]
    staff = await _staff(request)
    locale = _locale(request)
    shown, charts = None, []
    if allowed(staff, Action.REPORT):
        figures = await panel.dashboard(staff, tz=pages.tz, now=pages.clock())
        shown = {
            "members": number(figures.members, locale),
            "joined": number(figures.joined, locale),
            "issued": number(figures.issued, locale),
            "redeemed": number(figures.redeemed, locale),
        }
        charts = [
            {"id": key, "title": chart.title, "svg": svg(chart)}
            for key, chart in dashboard_charts(figures, locale)
        ]
    return await _page_of(request, staff, "panel_home.html", figures=shown, charts=charts)


# ---- the members -------------------------------------------------------------------------------


def _id(text: str | None) -> int | None:
    return int(text) if text and text.isascii() and text.isdigit() and len(text) < 10 else None


def member_filter(request: web.Request) -> panel.MemberFilter:
    """The list's filters as the address gives them (the list's form and its export link)."""
    q = request.query
    return panel.MemberFilter(
        query=q.get("q", ""),
        tier_id=_id(q.get("tier")),
        branch_id=_id(q.get("branch")),
        customer_type=q.get("type") or None,
        interest_id=_id(q.get("interest")),
        activity=q.get("activity") or None,
    )


async def members_page(request: web.Request) -> web.Response:
    pages = request.app[PAGES]
    staff = await _staff(request)
    if not allowed(staff, Action.PANEL_MEMBERS):
        return await _refused(request, 403, N_("This page is for managers and the owner."))
    locale = _locale(request)
    wanted = member_filter(request)
    sort = request.query.get("sort", "joined")
    found = await panel.list_members(
        staff, wanted, sort=sort, page=_page(request) - 1, now=pages.clock()
    )
    tiers = await Tier.all().order_by("threshold")
    branches = [] if panel.own_branch(staff) is not None else await Branch.all().order_by("id")
    sort = sort if sort in panel.SORTS else "joined"
    return await _page_of(
        request,
        staff,
        "panel_members.html",
        query=wanted.query,
        sort=sort,
        tier_id=wanted.tier_id,
        branch_id=wanted.branch_id,
        tiers=[(x.id, tier_name(x.code, x.name, locale)) for x in tiers],
        branches=[(b.id, b.name) for b in branches],
        **await filter_choices(wanted, locale),
        filters=filter_address(wanted, sort),
        may_export=allowed(staff, Action.EXPORT),
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
    request: web.Request,
    *,
    message: str = "",
    status: int = 200,
    held: PendingApproval | None = None,
) -> web.Response:
    pages = request.app[PAGES]
    staff = await _staff(request)
    if not allowed(staff, Action.PANEL_MEMBERS):
        return await _refused(request, 403, N_("This page is for managers and the owner."))
    locale = _locale(request)
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
        may_message=allowed(staff, Action.INBOX),
        may_new_card=allowed(staff, Action.REPLACE_CARD),
        held=held.id if held is not None else None,
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
    locale = _locale(request)
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
    if outcome.held is not None:  # below zero: recorded only once confirmed, as in the bot
        text = t(
            "This correction ({points} points) would leave the balance at {after} "
            "(now {balance}). Record it anyway?",
            locale,
            points=signed(outcome.held.points, locale),
            after=number(outcome.balance + outcome.held.points, locale),
            balance=number(outcome.balance, locale),
        )
        return await member_page(request, message=text, status=409, held=outcome.held)
    assert outcome.entry is not None
    raise web.HTTPSeeOther(f"{PREFIX}/panel/members/{member.id}?done={outcome.entry.id}")


async def decide_held(request: web.Request) -> web.Response:
    """The author of a correction held below zero records it anyway, or lets it go; the
    domain decides each held correction once (a second post is told what was decided)."""
    pages = request.app[PAGES]
    form = await request.post()
    checked_form(request, form)
    staff = await _staff(request)
    locale = _locale(request)
    try:
        member = await panel.member_for(staff, int(request.match_info["id"]))
        held, outcome = await desk.confirm_adjustment(
            staff, int(request.match_info["held"]), form.get("confirm") == "yes", now=pages.clock()
        )
        if held.payload.get("member") != member.id:
            raise LoyaltyError(ErrorCode.APPROVAL_NOT_FOUND, approval=held.id)
    except LoyaltyError as refused:
        return await member_page(request, message=error_text(refused, locale), status=409)
    if outcome.entry is None:
        text = t("Correction cancelled: nothing was recorded.", locale)
        return await member_page(request, message=text)
    raise web.HTTPSeeOther(f"{PREFIX}/panel/members/{member.id}?done={outcome.entry.id}")
