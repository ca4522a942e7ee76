"""The club's look on every page: its logo and name in the header, its colour, its cover on
the card, how to reach it on the rules page (loyalty/staff/look.py sets them).

The pages allow no inline style (CSP), so the colour comes as a stylesheet of its own,
`/club/look.css?v=<colour>`: the address changes with the colour, so a browser may keep
it for a day and still sees a new colour at once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from handlers.format import digits
from handlers.web.app import LOOK, PREFIX
from handlers.web.media import media_url
from loyalty.phones import national
from loyalty.rules import current_config
from models import ClubRules

CSS_CACHE = "public, max-age=86400"
# Paths that render no page: no need to read the club's look for them.
_PLAIN = tuple(f"{PREFIX}/{folder}/" for folder in ("static", "fonts", "media"))


@dataclass(frozen=True)
class Look:
    css: str  # the address of the colour's stylesheet
    logo: str  # addresses of the pictures; empty for none
    cover: str


def add_look_routes(pages: web.Application) -> None:
    pages.middlewares.append(with_look)
    pages.router.add_get("/look.css", look_css)


def look_of(rules: ClubRules) -> Look:
    return Look(
        css=f"{PREFIX}/look.css?v={rules.colour.lstrip('#')}",
        logo=media_url(rules.logo),
        cover=media_url(rules.cover),
    )


@web.middleware
async def with_look(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """The look as of this request, for `render`: one read of the set-up's token while the
    process's copy is current (loyalty/rules.py)."""
    if not request.path.startswith(_PLAIN):
        request[LOOK] = look_of((await current_config()).rules)
    return await handler(request)


async def look_css(request: web.Request) -> web.Response:
    colour = (await current_config()).rules.colour
    response = web.Response(
        text=f":root {{ --accent: {colour}; --on-accent: {on_accent(colour)}; }}\n",
        content_type="text/css",
    )
    response.headers["Cache-Control"] = CSS_CACHE
    return response


def on_accent(colour: str) -> str:
    """Text on the accent colour: white on a dark colour, near black on a light one (the
    owner may choose yellow); by the colour's relative luminance (WCAG)."""

    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    luminance = 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)
    # Contrast with white (1.05 / (L + 0.05)) against with black ((L + 0.05) / 0.05).
    return "#ffffff" if 1.05 / (luminance + 0.05) >= (luminance + 0.05) / 0.05 else "#111111"


def contact_of(rules: ClubRules, locale: str) -> dict[str, str]:
    """How to reach the club, as the rules page shows it; empty values are not shown."""
    return {
        "phone": digits(national(rules.phone), locale) if rules.phone else "",
        "tel": rules.phone,
        "address": rules.address,
        "website": rules.website,
        "instagram": rules.instagram,
        "about": rules.about,
    }
