"""Every Telegram router of the bot, in the order the dispatcher must try them."""

from __future__ import annotations

from typing import Any

from aiogram import Router
from aiogram.filters import Filter
from aiogram.fsm.state import StatesGroup
from aiogram.types import CallbackQuery
from aiogram_dialog import Dialog
from aiogram_dialog.api.entities import Context

from handlers.telegram import member, staff
from handlers.telegram.staff import campaign_dialog, campaigns, counter
from handlers.telegram.staff import dialogs as staff_dialogs

# The staff's own buttons that are not dialog windows (approving a purchase, a campaign).
STAFF_BUTTONS = (counter.BUTTONS, campaigns.BUTTONS)


def _dialog_groups(router: Router) -> set[type[StatesGroup]]:
    groups = {router.states_group()} if isinstance(router, Dialog) else set()
    for sub in router.sub_routers:
        groups |= _dialog_groups(sub)
    return groups


class _StaffPress(Filter):
    """A button press on a staff dialog or a staff button.

    Every other press, a member's, skips the staff routers at once: aiogram offers an
    update to each router in turn, and the staff side is 14 of them (BENCHMARKS.md,
    "Routing without thread hops"). A coroutine, as every filter of the bot:
    aiogram runs a plain function in a worker thread, one hop per update.
    """

    def __init__(self, staff_side: Router) -> None:
        self.groups = _dialog_groups(staff_side)

    async def __call__(
        self, callback: CallbackQuery, aiogd_context: Context | None = None, **_: Any
    ) -> bool:
        if aiogd_context is not None:
            return aiogd_context.state.group in self.groups
        return (callback.data or "").startswith(STAFF_BUTTONS)


def all_routers() -> list[Router]:
    """Fresh routers each call, so that tests and workers can build several dispatchers."""
    # Staff first: /start staff_<token> must reach the invitation handler, and the member
    # routers end with a catch-all that reopens the menu.
    # The management dialogs open on bare /rewards, /settings, /branches, /groups and let
    # commands with arguments fall through to the staff router.
    staff_side = Router(name="staff-side")
    staff_side.include_routers(
        staff_dialogs.router(),
        staff.router(),
        *campaign_dialog.routers(),
        campaigns.router(),
    )
    staff_side.callback_query.filter(_StaffPress(staff_side))
    return [staff_side, *member.routers()]
