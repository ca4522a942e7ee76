"""The club's pages (a Telegram Mini App first): `/club/` on the bot's web app."""

from handlers.web.app import PREFIX, add_web_routes, build_pages_app

__all__ = ["PREFIX", "add_web_routes", "build_pages_app"]
