"""The club's pages under `/club/`, a sub-application of the bot's web app.

A page is a door like the Telegram chat and SMS: it reads through `loyalty/` and decides
nothing itself. Pages are rendered on the server (Jinja2), Persian first and right to
left, in the member's language once they are signed in; they need no build step and
load nothing from another site.

Signing in: Telegram opens `/club/` as a Mini App with its signed `initData` in the
address's fragment; the page's script posts it to `/club/signin`, which checks it
(handlers/web/session.py) and answers with a session cookie and the card page.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp_jinja2
import jinja2
from aiohttp import web
from markupsafe import Markup

from handlers.format import day, digits, number, signed
from handlers.i18n import N_, pick_locale, t
from handlers.qr import qr_svg
from handlers.texts import club_name, reason_text, tier_name
from handlers.web.session import (
    COOKIE,
    MEMBER,
    TELEGRAM,
    Refusal,
    Sessions,
    SignInRefused,
    Subject,
    checked_user,
)
from loyalty import expiry, ledger, tiers
from loyalty.clock import utcnow
from loyalty.errors import LoyaltyError
from loyalty.members import (
    active_card,
    member_and_config_by_id,
    member_and_config_by_telegram,
    member_by_telegram,
)
from loyalty.pictures import PictureFolder
from loyalty.rules import ClubConfig, current_config
from models import Member

log = logging.getLogger("club.web")

PREFIX = "/club"
HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
# Vazirmatn, the Persian font the staff's charts are drawn with (OFL, its licence beside it).
FONTS = HERE.parent / "telegram" / "staff" / "fonts"
PAGE_SIZE = 10  # history entries a page
EXPIRY_NOTICE_DAYS = 30  # points expiring within this many days are named, as in the chat

# Members' pages are theirs alone: not cached, no address leaked to another site, nothing
# loaded from elsewhere. Framing stays allowed: Telegram Web shows a Mini App in a frame.
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "font-src 'self'; base-uri 'none'; form-action 'self'; object-src 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


@dataclass(frozen=True)
class Pages:
    """What the pages need: the bot token (to check Telegram's sign-in), the sessions."""

    token: str
    sessions: Sessions
    max_age: timedelta  # of Telegram's sign-in data
    secure: bool  # cookies only over HTTPS: the public address is HTTPS
    default_locale: str
    tz: ZoneInfo
    clock: Callable[[], datetime]
    # The bot's @username, for the member's invitation link (asked of Telegram once).
    bot_username: Callable[[], Awaitable[str | None]] | None = None
    # The pictures staff upload (MEDIA_DIR), served under /club/media/.
    pictures: PictureFolder = PictureFolder(Path("data/media"))


PAGES = web.AppKey("web_pages", Pages)
# The club's look for this request's page (handlers/web/look.py), which `render` passes on.
LOOK: web.RequestKey[Any] = web.RequestKey("club_look", object)


def build_pages_app(
    *,
    token: str,
    secret: bytes,
    session_lifetime: timedelta = timedelta(hours=12),
    max_age: timedelta = timedelta(hours=1),
    secure: bool = False,
    default_locale: str = "fa",
    tz: ZoneInfo,
    clock: Callable[[], datetime] = utcnow,
    owner_ids: Iterable[int] = (),
    bot_username: Callable[[], Awaitable[str | None]] | None = None,
    media_dir: Path = Path("data/media"),
) -> web.Application:
    from handlers.web.look import add_look_routes
    from handlers.web.media import add_media_routes
    from handlers.web.panel import add_panel_routes  # it builds on this module

    pages = web.Application(middlewares=[with_headers])
    add_look_routes(pages)
    pages[PAGES] = Pages(
        token,
        Sessions(secret, session_lifetime),
        max_age,
        secure,
        default_locale,
        tz,
        clock,
        bot_username,
        PictureFolder(media_dir),
    )
    aiohttp_jinja2.setup(
        pages,
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        default_helpers=False,
    )
    pages.router.add_get("/", sign_in_page)
    pages.router.add_post("/signin", sign_in)
    pages.router.add_get("/card", card_page)
    add_panel_routes(pages, owner_ids)
    add_member_routes(pages)
    add_media_routes(pages)
    pages.router.add_static("/static", STATIC)
    pages.router.add_static("/fonts", FONTS)
    return pages


def add_member_routes(pages: web.Application) -> None:
    from handlers.web.member_pages import add_member_pages  # they use this module's helpers

    add_member_pages(pages)


def add_web_routes(app: web.Application, **options: Any) -> None:
    """Mount the pages under `/club/` on the bot's web app (options: `build_pages_app`'s)."""

    async def to_pages(request: web.Request) -> web.Response:
        raise web.HTTPFound(f"{PREFIX}/")  # the browser keeps the fragment (initData)

    app.router.add_get(PREFIX, to_pages)
    app.add_subapp(PREFIX, build_pages_app(**options))


@web.middleware
async def with_headers(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    response = await handler(request)
    if not isinstance(response, web.FileResponse):
        for name, value in HEADERS.items():  # a response's own caching stays (look.css)
            response.headers.setdefault(name, value)
    return response


def render(
    request: web.Request, template: str, locale: str, club: str, status: int = 200, **values: Any
) -> web.Response:
    """A template in the reader's language: `t("...")` in it is the gettext of that language."""

    def translate(msgid: str, **fields: object) -> str:
        return t(msgid, locale, **fields)

    context = {
        "t": translate,
        "locale": locale,
        "direction": "rtl" if locale == "fa" else "ltr",
        "club": club,
        "prefix": PREFIX,
        "look": request.get(LOOK),
        **values,
    }
    response = aiohttp_jinja2.render_template(template, request, context, status=status)
    return response


async def _club(locale: str) -> str:
    return club_name((await current_config()).rules.name, locale)


# ---- signing in --------------------------------------------------------------------------------


async def sign_in_page(request: web.Request) -> web.Response:
    """The page Telegram opens: its script posts the sign-in data it was given."""
    pages = request.app[PAGES]
    locale = pages.default_locale
    who = pages.sessions.subject(request.cookies.get(COOKIE), pages.clock())
    # A staff session is no member's: on to the card would send it back here, round and round.
    member = who is not None and who.kind in (TELEGRAM, MEMBER)
    return render(request, "signin.html", locale, await _club(locale), signed_in=member)


async def sign_in(request: web.Request) -> web.Response:
    pages = request.app[PAGES]
    form = await request.post()
    init_data = form.get("init_data")
    now = pages.clock()
    try:
        user = checked_user(
            pages.token, init_data if isinstance(init_data, str) else "", now, pages.max_age
        )
    except SignInRefused as refused:
        log.info("page sign-in refused: %s", refused.refusal.value)  # never the data itself
        locale = await _locale_of(refused.user.id if refused.user else None, pages)
        text = (
            N_("This page is out of date. Close it and open the club again from the bot's menu.")
            if refused.refusal is Refusal.STALE
            else N_("We could not confirm who you are. Open the club again from the bot's menu.")
        )
        return render(request, "refused.html", locale, await _club(locale), 401, message=text)
    member = await member_by_telegram(user.id)
    if member is None:
        locale = pick_locale(user.language_code, default=pages.default_locale)
        text = N_("You are not a member of the club yet. Join in the bot first: send /start.")
        return render(request, "refused.html", locale, await _club(locale), 403, message=text)
    response = web.Response(status=303, headers={"Location": f"{PREFIX}/card"})
    keep_session(request, response, Subject(TELEGRAM, user.id), now)
    return response


def cookie_options(request: web.Request) -> dict[str, Any]:
    # Over HTTPS, SameSite=None: Telegram Web shows a Mini App in a frame of its own site,
    # where a Lax cookie is never sent. Forms are guarded by their CSRF token, not by the
    # cookie's SameSite. Over plain HTTP (a test, a local run) browsers refuse None: Lax.
    secure = request.app[PAGES].secure or request.secure
    return {
        "path": f"{PREFIX}/",
        "httponly": True,
        "samesite": "None" if secure else "Lax",
        "secure": secure,
    }


def keep_session(
    request: web.Request, response: web.StreamResponse, subject: Subject, now: datetime
) -> None:
    """Sign `subject` in: the session cookie, for every sign-in (member or staff). One
    cookie a browser: signing in as staff ends a member's session there, and back."""
    sessions = request.app[PAGES].sessions
    response.set_cookie(
        COOKIE,
        sessions.issue(subject, now),
        max_age=int(sessions.lifetime.total_seconds()),
        **cookie_options(request),
    )


def end_session(request: web.Request, response: web.StreamResponse) -> None:
    """Sign out: the cookie removed with the attributes it was set with (a frame drops a
    removal that is not SameSite=None as it would drop the cookie)."""
    response.del_cookie(COOKIE, **cookie_options(request))


async def _locale_of(telegram_id: int | None, pages: Pages) -> str:
    member = await member_by_telegram(telegram_id) if telegram_id is not None else None
    return pick_locale(member.locale if member else None, default=pages.default_locale)


def signed_in(request: web.Request, *kinds: str) -> Subject:
    """Whom the session cookie names, if one of `kinds`; else back to the sign-in page."""
    pages = request.app[PAGES]
    subject = pages.sessions.subject(request.cookies.get(COOKIE), pages.clock())
    if subject is None or subject.kind not in kinds:  # none, forged, expired, another's
        raise web.HTTPSeeOther(f"{PREFIX}/")
    return subject


async def member_of_session(request: web.Request) -> tuple[Member, ClubConfig]:
    """The member a member's session is for (by Telegram or by phone), and the club's set-up;
    back to the sign-in page when they have left (deleted their data) since signing in."""
    subject = signed_in(request, TELEGRAM, MEMBER)
    if subject.kind == TELEGRAM:
        member, config = await member_and_config_by_telegram(subject.id)
    else:
        member, config = await member_and_config_by_id(subject.id)
    if member is None:
        raise web.HTTPSeeOther(f"{PREFIX}/")
    return member, config


def csrf_of(request: web.Request) -> str:
    """The CSRF token for this session's forms."""
    return request.app[PAGES].sessions.csrf(request.cookies.get(COOKIE, ""))


def checked_form(request: web.Request, form: Any) -> None:
    """A form posted from one of our pages in this session, or refused (CSRF)."""
    pages = request.app[PAGES]
    if not pages.sessions.csrf_ok(request.cookies.get(COOKIE), form.get("csrf")):
        text = t(N_("This form is out of date: open the page again."), pages.default_locale)
        raise web.HTTPForbidden(text=text)


# ---- the card ----------------------------------------------------------------------------------


async def card_page(request: web.Request) -> web.Response:
    from handlers.web.showcase import shown_banners  # it builds on this module

    pages = request.app[PAGES]
    member, config = await member_of_session(request)
    locale = pick_locale(member.locale, default=pages.default_locale)
    now = pages.clock()
    card = await _card_number(member)
    progress = await tiers.progress(member, now, config)
    lots = await expiry.expiring_within(member.id, now, now + timedelta(days=EXPIRY_NOTICE_DAYS))
    shown = await ledger.history_page(member.id, _page(request) - 1, PAGE_SIZE)

    if progress.next_tier is not None:
        next_line = t(
            "{points} more points to reach {tier}.",
            locale,
            points=number(progress.points_to_next, locale),
            tier=tier_name(progress.next_tier.code, progress.next_tier.name, locale),
        )
        span = max(1, progress.next_tier.threshold - progress.tier.threshold)
        done = progress.qualifying_points - progress.tier.threshold
        percent = min(100, max(0, done * 100 // span))
    else:
        next_line, percent = t("You are in the highest tier.", locale), 100
    return render(
        request,
        "card.html",
        locale,
        club_name(config.rules.name, locale),
        name=member.first_name,
        here="card",
        csrf=csrf_of(request),
        banners=await shown_banners(now),
        card=digits(card, locale) if card else "-",
        qr=Markup(qr_svg(card)) if card else "",  # segno's own SVG, no member's text in it
        balance=number(member.balance, locale),
        tier=tier_name(progress.tier.code, progress.tier.name, locale),
        next_line=next_line,
        percent=percent,
        percent_text=number(percent, locale) + ("٪" if locale == "fa" else "%"),
        expiring=[
            t(
                "{points} points expire on {date}.",
                locale,
                points=number(lot.points, locale),
                date=day(lot.expires_at, locale, pages.tz),
            )
            for lot in lots
        ],
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


async def _card_number(member: Member) -> str | None:
    try:
        return (await active_card(member.id)).number
    except LoyaltyError:  # no active card: a member whose data was erased
        return None


def _page(request: web.Request) -> int:
    """The history page asked for, from 1; anything else is the first."""
    text = request.query.get("page", "1")
    if not (text.isascii() and text.isdigit() and len(text) < 7):
        return 1
    return max(1, int(text))
