"""Which routers a button press visits: a member's presses skip the staff side."""

from __future__ import annotations

import pytest
from aiogram.fsm.state import any_state
from aiogram.types import CallbackQuery, User
from aiogram_dialog.api.entities import Context

from bot.app import build_dispatcher
from bot.settings import Settings
from handlers.telegram.member.states import MenuSG, PointsSG
from handlers.telegram.routers import _StaffPress, all_routers
from handlers.telegram.staff import campaigns, counter
from handlers.telegram.staff.states import RewardsAdminSG, SettingsSG

STAFF_SIDE = all_routers()[0]
PRESS = _StaffPress(STAFF_SIDE)


def press(data: str) -> CallbackQuery:
    return CallbackQuery(
        id="1", from_user=User(id=5, is_bot=False, first_name="Sara"), chat_instance="c", data=data
    )


def context(state: object) -> Context:
    return Context(_intent_id="abc", _stack_id="", state=state, start_data=None)  # type: ignore[arg-type]


async def test_the_staff_side_holds_every_staff_router_and_filters_presses() -> None:
    assert STAFF_SIDE.name == "staff-side"
    names = {router.name for router in STAFF_SIDE.chain_tail}
    assert {
        "staff-dialogs",
        "staff",
        "staff.counter",
        "campaigns",
        "CampaignSG",
        "RewardsAdminSG",
    } <= names
    assert not any(router.name.startswith("staff") for router in all_routers()[1:])
    member_press, _ = await STAFF_SIDE.callback_query.check_root_filters(
        press("abc\x1dpoints"), aiogd_context=context(MenuSG.main)
    )
    staff_press, _ = await STAFF_SIDE.callback_query.check_root_filters(
        press("abc\x1dadd"), aiogd_context=context(RewardsAdminSG.catalog)
    )
    assert (member_press, staff_press) == (False, True)


@pytest.mark.parametrize(
    ("state", "data", "staff"),
    [
        (MenuSG.main, "abc\x1dpoints", False),
        (PointsSG.points, "abc\x1d__cancel__", False),
        (RewardsAdminSG.catalog, "abc\x1dadd", True),
        (SettingsSG.rules, "abc\x1dedit", True),
        (None, f"{counter.APPROVE}12", True),
        (None, f"{counter.REJECT}12", True),
        (None, campaigns._confirm_keyboard(3, "en").inline_keyboard[0][0].callback_data, True),
        (None, "whatever", False),
    ],
)
async def test_a_press_reaches_the_staff_side_only_for_staff_windows_and_buttons(
    state: object, data: str, staff: bool
) -> None:
    found = context(state) if state is not None else None
    assert await PRESS(press(data), aiogd_context=found) is staff


def test_no_filter_or_handler_runs_in_a_worker_thread() -> None:
    # aiogram runs a plain function (a lambda, a bare F.data... filter) through
    # asyncio.to_thread: a thread hop for every update that reaches it. Every filter and
    # handler of the bot is a coroutine, or an aiogram Filter such as MagicData. The one
    # exception is aiogram-dialog's own: `any_state` on its background updates, which
    # a member's press or message never reaches.
    dp = build_dispatcher(Settings(_env_file=None, bot_token="1:x"))
    in_threads = [
        f"{router.name}.{kind}: {getattr(c.callback, '__qualname__', c.callback)}"
        for router in dp.chain_tail
        for kind, observer in router.observers.items()
        for handler in observer.handlers
        for c in (handler, *(handler.filters or ()), *(observer._handler.filters or ()))
        if not c.awaitable and c.callback is not any_state
    ]
    assert in_threads == []
