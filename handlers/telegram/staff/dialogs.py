"""The staff dialogs (/rewards, /settings, /branches, /groups) and the bare commands that open them.

`router()` gives a fresh router: include it BEFORE the staff command router, so that a
bare `/rewards` or `/settings` opens the dialog, while the same commands with arguments
(`/rewards add 150 Coffee`, `/settings earn_rate 2`) fall through to the command forms.
While a dialog is open, other commands (anything starting with "/") skip the dialogs and
reach their handlers as usual.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, MagicData
from aiogram.types import Message
from aiogram_dialog import DialogManager, StartMode

from handlers.telegram.staff import places_dialogs, rewards_dialog, settings_dialog
from handlers.telegram.staff.access import install
from handlers.telegram.staff.states import BranchesSG, GroupsSG, RewardsAdminSG, SettingsSG
from loyalty.staff.permissions import Action


async def open_rewards(message: Message, dialog_manager: DialogManager) -> None:
    await dialog_manager.start(RewardsAdminSG.catalog, mode=StartMode.RESET_STACK)


async def open_settings(message: Message, dialog_manager: DialogManager) -> None:
    await dialog_manager.start(SettingsSG.rules, mode=StartMode.RESET_STACK)


async def open_branches(message: Message, dialog_manager: DialogManager) -> None:
    await dialog_manager.start(BranchesSG.branches, mode=StartMode.RESET_STACK)


async def open_groups(message: Message, dialog_manager: DialogManager) -> None:
    await dialog_manager.start(GroupsSG.groups, mode=StartMode.RESET_STACK)


def router() -> Router:
    root = Router(name="staff-dialogs")
    install(
        root
    )  # staff identity, language, time and refusals, for the commands and every dialog step
    commands = Router(name="staff-dialogs-commands")
    bare = F.args.is_(None)
    # The permission table decides who may open each (the staff middleware reads the flag).
    for handler, name, action in (
        (open_rewards, "rewards", Action.REWARDS),
        (open_settings, "settings", Action.SETTINGS),
        (open_branches, "branches", Action.BRANCHES),
        (open_groups, "groups", Action.GROUPS),
    ):
        commands.message.register(handler, Command(name, magic=bare), flags={"action": action})
    dialogs = Router(name="staff-dialogs-windows")
    dialogs.message.filter(MagicData(~F.event.text.startswith("/")))
    dialogs.include_routers(
        rewards_dialog.dialog(),
        settings_dialog.dialog(),
        places_dialogs.branches_dialog(),
        places_dialogs.groups_dialog(),
    )
    root.include_routers(commands, dialogs)
    return root
