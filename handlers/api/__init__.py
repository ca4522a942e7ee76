"""The JSON API for the shop's own systems (tills, online shops): `/api/v1/`."""

from handlers.api.app import PREFIX, add_api_routes, build_api_app

__all__ = ["PREFIX", "add_api_routes", "build_api_app"]
