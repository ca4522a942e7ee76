"""The owner's banners and gallery in the panel: upload a picture (checked and re-encoded by
`loyalty.pictures`), its caption, link and dates, reorder, remove. Rules and permission
(Action.SETTINGS) are `loyalty.showcase`'s; dates are typed Jalali or Gregorian as the
bot's festivals are (`loyalty.festivals.read_day`)."""

from __future__ import annotations

import asyncio
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from handlers.format import day, moment
from handlers.i18n import N_, t
from handlers.telegram.staff.texts import staff_error_text
from handlers.web.app import PAGES, PREFIX, checked_form
from handlers.web.media import media_url
from handlers.web.panel import _locale, _page_of, _refused, _staff
from handlers.web.uploads import Posted, checked_upload
from loyalty import showcase
from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.pictures import Picture, prepare
from loyalty.staff.permissions import Action, allowed
from models import Banner, Staff

OWNER_ONLY = N_("This page is for the owner.")
SAVED = N_("Saved.")
ID = "{id:[0-9]{1,9}}"  # an id the database's integer can hold; longer ones are not found


def add_panel_showcase_routes(pages: web.Application) -> None:
    pages.router.add_get("/panel/banners", banners_page)
    pages.router.add_post("/panel/banners", add_banner)
    pages.router.add_post(f"/panel/banners/{ID}/remove", remove_banner)
    pages.router.add_post(f"/panel/banners/{ID}/move", move_banner)
    pages.router.add_get("/panel/gallery", gallery_page)
    pages.router.add_post("/panel/gallery", add_picture)
    pages.router.add_post(f"/panel/gallery/{ID}/remove", remove_picture)
    pages.router.add_post(f"/panel/gallery/{ID}/move", move_picture)


def field(form: Any, name: str) -> str:
    """A text field of a posted form (a picture's form or a plain one); "" when missing."""
    value = (form.fields if isinstance(form, Posted) else form).get(name)
    return value if isinstance(value, str) else ""


async def uploaded_picture(form: Posted) -> Picture:
    """The form's `picture` file, checked and re-encoded away from the event loop."""
    if "picture" in form.refused:  # over the size limit
        raise form.refused["picture"]
    data = form.files.get("picture")
    if not data:
        raise LoyaltyError(ErrorCode.BAD_PICTURE)
    return await asyncio.to_thread(prepare, data)


def message_of(request: web.Request, message: str) -> str:
    """The message a page opens with: its own, or "Saved." after a change led back to it."""
    if message:
        return message
    return t(SAVED, _locale(request)) if request.query.get("done") else ""


async def _owner(request: web.Request) -> Staff | None:
    staff = await _staff(request)
    return staff if allowed(staff, Action.SETTINGS) else None


# ---- banners -----------------------------------------------------------------------------------


def shown_moment(value: datetime | None, locale: str, tz: ZoneInfo, *, end: bool) -> str:
    """A banner's start or end as the owner typed it: a day alone when it is a midnight
    (an end at midnight is the day before's end), else the day and the time."""
    if value is None:
        return ""
    local = value.astimezone(tz)
    if local.time() != time(0, 0):
        return moment(value, locale, tz)
    return day(local.date() - timedelta(days=1) if end else local.date(), locale)


def _when(banner: Banner, now: datetime, locale: str, request: web.Request) -> dict[str, str]:
    tz = request.app[PAGES].tz
    starts = shown_moment(banner.starts_at, locale, tz, end=False)
    ends = shown_moment(banner.ends_at, locale, tz, end=True)
    if starts and ends:
        span = t("From {starts} until {ends}", locale, starts=starts, ends=ends)
    elif starts:
        span = t("From {starts}", locale, starts=starts)
    elif ends:
        span = t("Until {ends}", locale, ends=ends)
    else:
        span = t("Always", locale)
    if banner.starts_at and now < banner.starts_at:
        state = t("Not shown yet", locale)
    elif banner.ends_at and banner.ends_at <= now:
        state = t("Ended", locale)
    else:
        state = t("Shown now", locale)
    return {"span": span, "state": state}


async def banners_page(
    request: web.Request, *, message: str = "", status: int = 200
) -> web.Response:
    pages = request.app[PAGES]
    staff = await _owner(request)
    if staff is None:
        return await _refused(request, 403, OWNER_ONLY)
    locale, now = _locale(request), pages.clock()
    return await _page_of(
        request,
        staff,
        "panel_banners.html",
        status=status,
        message=message_of(request, message),
        banners=[
            {
                "id": b.id,
                "src": media_url(b.picture),
                "caption": b.caption,
                "link": b.link,
                **_when(b, now, locale, request),
            }
            for b in await showcase.banners()
        ],
    )


async def add_banner(request: web.Request) -> web.Response:
    pages = request.app[PAGES]
    form = await checked_upload(request)  # its CSRF token checked before any file is read
    staff = await _owner(request)
    if staff is None:
        return await _refused(request, 403, OWNER_ONLY)
    now = pages.clock()
    try:
        starts, ends = showcase.read_span(
            field(form, "starts"), field(form, "ends"), pages.tz, now=now
        )
        await showcase.add_banner(
            staff,
            pages.pictures,
            await uploaded_picture(form),
            caption=field(form, "caption"),
            link=field(form, "link"),
            starts_at=starts,
            ends_at=ends,
            now=now,
        )
    except LoyaltyError as refused:
        text = staff_error_text(refused, _locale(request))
        return await banners_page(request, message=text, status=400)
    raise web.HTTPSeeOther(f"{PREFIX}/panel/banners?done=1")


async def remove_banner(request: web.Request) -> web.Response:
    return await _change(request, "banners", showcase.remove_banner)


async def move_banner(request: web.Request) -> web.Response:
    return await _change(request, "banners", showcase.move_banner, moved=True)


# ---- the gallery -------------------------------------------------------------------------------


async def gallery_page(
    request: web.Request, *, message: str = "", status: int = 200
) -> web.Response:
    staff = await _owner(request)
    if staff is None:
        return await _refused(request, 403, OWNER_ONLY)
    return await _page_of(
        request,
        staff,
        "panel_gallery.html",
        status=status,
        message=message_of(request, message),
        pictures=[
            {"id": p.id, "src": media_url(p.picture), "caption": p.caption}
            for p in await showcase.gallery()
        ],
    )


async def add_picture(request: web.Request) -> web.Response:
    pages = request.app[PAGES]
    form = await checked_upload(request)  # its CSRF token checked before any file is read
    staff = await _owner(request)
    if staff is None:
        return await _refused(request, 403, OWNER_ONLY)
    try:
        await showcase.add_picture(
            staff,
            pages.pictures,
            await uploaded_picture(form),
            caption=field(form, "caption"),
            now=pages.clock(),
        )
    except LoyaltyError as refused:
        text = staff_error_text(refused, _locale(request))
        return await gallery_page(request, message=text, status=400)
    raise web.HTTPSeeOther(f"{PREFIX}/panel/gallery?done=1")


async def remove_picture(request: web.Request) -> web.Response:
    return await _change(request, "gallery", showcase.remove_picture)


async def move_picture(request: web.Request) -> web.Response:
    return await _change(request, "gallery", showcase.move_picture, moved=True)


async def _change(request: web.Request, page: str, change: Any, *, moved: bool = False) -> Any:
    """A remove or move button of a row: done, then back to its page."""
    pages = request.app[PAGES]
    form = await request.post()
    checked_form(request, form)
    staff = await _owner(request)
    if staff is None:
        return await _refused(request, 403, OWNER_ONLY)
    row_id = int(request.match_info["id"])
    steps = {"up": -1, "down": 1}
    try:
        if moved:
            await change(staff, row_id, steps.get(field(form, "step"), 0), now=pages.clock())
        else:
            await change(staff, row_id, now=pages.clock())
    except LoyaltyError as refused:
        shown = banners_page if page == "banners" else gallery_page
        text = staff_error_text(refused, _locale(request))
        return await shown(request, message=text, status=404)
    raise web.HTTPSeeOther(f"{PREFIX}/panel/{page}?done=1")
