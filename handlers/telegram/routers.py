"""Every Telegram router of the bot, in the order the dispatcher must try them."""

from __future__ import annotations

from aiogram import Router

from handlers.telegram import campaign_dialog, member
from handlers.telegram.campaigns import router as campaigns_router
from handlers.telegram.staff import dialogs as staff_dialogs
from handlers.telegram.staff import router as staff_router


def _detached(router: Router) -> Router:
    # The staff commands are module-level routers; aiogram refuses to attach a router to
    # a second dispatcher, which tests (and the sandbox) build more than once per process.
    if router.parent_router is not None:
        router._parent_router = None
    return router


def all_routers() -> list[Router]:
    # Staff first: /start staff_<token> must reach the invitation handler, and the member
    # routers end with a catch-all that reopens the menu.
    # The management dialogs open on bare /rewards, /settings, /branches, /groups and let
    # commands with arguments fall through to the staff router.
    return [
        staff_dialogs.router(),
        _detached(staff_router),
        *campaign_dialog.routers(),
        _detached(campaigns_router),
        *member.routers(),
    ]
