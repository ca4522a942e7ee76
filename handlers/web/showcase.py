"""What members see of the club beyond their points: the banners on their card page, the
gallery and the branches (address, phone, opening hours, map), read through
`loyalty.showcase` and the branches the club keeps open."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web

from handlers.format import digits
from handlers.i18n import pick_locale
from handlers.texts import branch_name, club_name
from handlers.web.app import PAGES, csrf_of, member_of_session, render
from handlers.web.media import media_url
from loyalty import showcase
from models import Branch


def add_showcase_routes(pages: web.Application) -> None:
    pages.router.add_get("/gallery", gallery_page)
    pages.router.add_get("/branches", branches_page)


async def shown_banners(now: datetime) -> list[dict[str, str]]:
    """The banners a member's card page shows at `now`."""
    return [
        {"id": str(b.id), "src": media_url(b.picture), "caption": b.caption, "link": b.link}
        for b in await showcase.current_banners(now)
    ]


async def gallery_page(request: web.Request) -> web.Response:
    member, config = await member_of_session(request)
    locale = pick_locale(member.locale, default=request.app[PAGES].default_locale)
    return render(
        request,
        "gallery.html",
        locale,
        club_name(config.rules.name, locale),
        here="gallery",
        csrf=csrf_of(request),
        pictures=[
            {"id": p.id, "src": media_url(p.picture), "caption": p.caption}
            for p in await showcase.gallery()
        ],
    )


def tel_link(phone: str) -> str:
    """The `tel:` address of a phone as typed (`021 8888-1234` → `tel:02188881234`)."""
    return "tel:" + "".join(c for c in phone if c.isdigit() or c == "+")


async def branches_page(request: web.Request) -> web.Response:
    member, config = await member_of_session(request)
    locale = pick_locale(member.locale, default=request.app[PAGES].default_locale)
    return render(
        request,
        "branches.html",
        locale,
        club_name(config.rules.name, locale),
        here="branches",
        csrf=csrf_of(request),
        branches=[
            {
                "id": b.id,
                "name": branch_name(b.name, locale),
                "address": digits(b.address, locale),
                "phone": digits(b.phone, locale),
                "tel": tel_link(b.phone) if b.phone else "",
                "hours": digits(b.hours, locale),
                "map": b.map_link,
            }
            for b in await Branch.filter(active=True).order_by("id")
        ],
    )
