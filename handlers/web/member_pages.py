"""The member's pages after the card: registered from build_pages_app with one line."""

from __future__ import annotations

from aiohttp import web

from handlers.web.more import add_more_routes
from handlers.web.phone import add_phone_routes
from handlers.web.rewards import add_rewards_routes
from handlers.web.showcase import add_showcase_routes


def add_member_pages(pages: web.Application) -> None:
    add_phone_routes(pages)
    add_rewards_routes(pages)
    add_more_routes(pages)
    add_showcase_routes(pages)
