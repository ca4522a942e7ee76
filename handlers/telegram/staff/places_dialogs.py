"""/branches and /groups as dialogs: add a branch, set its earning rate, currency unit and
minimum purchase, rename, close or open it again; add a product group and set its multiplier.

Those the permission table allows, as the command forms; the rules are loyalty.staff's.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from aiogram.types import CallbackQuery, Message
from aiogram_dialog import Dialog, DialogManager, Window
from aiogram_dialog.widgets.input import TextInput
from aiogram_dialog.widgets.kbd import Button, Row, Select, SwitchTo
from aiogram_dialog.widgets.text import Format

from handlers.i18n import N_, t
from handlers.telegram.staff.common import ident
from handlers.telegram.staff.dialog_common import (
    amount,
    now_of,
    on_refused,
    refuse,
    short_name,
    staff_of,
)
from handlers.telegram.staff.manage import own_amount
from handlers.telegram.staff.states import BranchesSG, GroupsSG
from handlers.telegram.staff.texts import staff_error_text
from handlers.telegram.widgets import (
    Tr,
    back_to,
    buttons_only,
    choices,
    esc,
    leave,
    locale_of,
    text_input,
)
from handlers.texts import branch_name
from loyalty.errors import LoyaltyError
from loyalty.numbers import parse_int
from loyalty.rules import get_rules
from loyalty.staff import places
from loyalty.staff.club_settings import RULE_LIMITS
from loyalty.staff.limits import DECIMAL_LIMITS, parse_number
from loyalty.staff.permissions import Action, require
from models import Branch, ProductGroup

# ---- branches ---------------------------------------------------------------------------------


def _rate(branch: Branch, locale: str) -> str:
    if branch.earn_rate is None:
        return t(N_("the club's rate"), locale)
    return amount(branch.earn_rate, locale)


async def branches_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    require(staff_of(dialog_manager), Action.BRANCHES)
    locale = locale_of(dialog_manager)
    branches = await Branch.all().order_by("-active", "id")
    return {
        "notice": dialog_manager.dialog_data.pop("notice", ""),
        "branches": [{"id": b.id, "label": _label(b, locale)} for b in branches],
    }


def _label(branch: Branch, locale: str) -> str:
    if not branch.active:
        return t(
            N_("#{id} {name}: closed"),
            locale,
            id=ident(branch.id, locale),
            name=branch_name(branch.name, locale),
        )
    return t(
        N_("#{id} {name}: earning rate {rate}"),
        locale,
        id=ident(branch.id, locale),
        name=branch_name(branch.name, locale),
        rate=_rate(branch, locale),
    )


async def on_branch(
    callback: CallbackQuery, widget: Select, manager: DialogManager, item_id: str
) -> None:
    manager.dialog_data["branch"] = int(item_id)
    await manager.switch_to(BranchesSG.branch)


async def branch_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    locale = locale_of(dialog_manager)
    branch = await Branch.get(id=dialog_manager.dialog_data["branch"])
    low, high = DECIMAL_LIMITS["earn_rate"]
    rules = await get_rules()
    return {
        "name": esc(branch_name(branch.name, locale)),
        "rate": _rate(branch, locale),
        "low": amount(low, locale),
        "high": amount(high, locale),
        "open": branch.active,
        "closed": not branch.active,
        "unit": own_amount(branch.currency_unit or None, rules.currency_unit, locale),
        "minimum": own_amount(branch.min_purchase, rules.min_purchase, locale),
        "unit_low": amount(RULE_LIMITS["currency_unit"][0], locale),
        "unit_high": amount(RULE_LIMITS["currency_unit"][1], locale),
        "minimum_low": amount(RULE_LIMITS["min_purchase"][0], locale),
        "minimum_high": amount(RULE_LIMITS["min_purchase"][1], locale),
    }


async def _set_rate(manager: DialogManager, rate: Any) -> None:
    locale = locale_of(manager)
    branch = await places.set_branch_rate(
        staff_of(manager), manager.dialog_data["branch"], rate, now=now_of(manager)
    )
    manager.dialog_data["notice"] = t(
        N_("Saved: {label}."), locale, label=esc(branch_name(branch.name, locale))
    )
    await manager.switch_to(BranchesSG.branches)


def _rate_typed(text: str) -> Decimal:
    return Decimal(parse_number(text, "earn_rate", decimal=True))


async def on_rate(
    message: Message, widget: TextInput, manager: DialogManager, rate: Decimal
) -> None:
    try:
        await _set_rate(manager, rate)
    except LoyaltyError as error:
        await refuse(message, error, manager)


async def on_club_rate(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    await _set_rate(manager, None)


async def _set_rule(manager: DialogManager, message: Message | None, value: int | None) -> None:
    """The branch's currency unit or minimum purchase, by the window it was sent in."""
    state = manager.current_context().state
    key = "currency_unit" if state == BranchesSG.currency_unit else "min_purchase"
    try:
        branch = await places.set_branch_rule(
            staff_of(manager), manager.dialog_data["branch"], key, value, now=now_of(manager)
        )
    except LoyaltyError as error:
        if message is not None:
            await refuse(message, error, manager)
        return
    locale = locale_of(manager)
    manager.dialog_data["notice"] = t(
        N_("Saved: {label}."), locale, label=esc(branch_name(branch.name, locale))
    )
    await manager.switch_to(BranchesSG.branches)


async def on_rule(message: Message, widget: TextInput, manager: DialogManager, value: int) -> None:
    await _set_rule(manager, message, value)


async def on_club_rule(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    await _set_rule(manager, None, None)


def _whole(text: str) -> int:
    # Signed, so that a negative number is refused by the rule with its bounds.
    return parse_int(text, signed=True, maximum=None)


async def on_rename(message: Message, widget: TextInput, manager: DialogManager, name: str) -> None:
    try:
        branch = await places.rename_branch(
            staff_of(manager), manager.dialog_data["branch"], name, now=now_of(manager)
        )
    except LoyaltyError as error:
        await refuse(message, error, manager)
        return
    manager.dialog_data["notice"] = t(
        N_("Saved: {label}."),
        locale_of(manager),
        label=esc(branch_name(branch.name, locale_of(manager))),
    )
    await manager.switch_to(BranchesSG.branches)


async def on_open(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    """Close the branch, or open it again (the button's id says which)."""
    locale = locale_of(manager)
    try:
        branch = await places.set_branch_open(
            staff_of(manager),
            manager.dialog_data["branch"],
            button.widget_id == "open",
            now=now_of(manager),
        )
    except LoyaltyError as error:
        await callback.answer(staff_error_text(error, locale), show_alert=True)
        return
    manager.dialog_data["notice"] = esc(_label(branch, locale))
    await manager.switch_to(BranchesSG.branches)


async def on_branch_name(
    message: Message, widget: TextInput, manager: DialogManager, name: str
) -> None:
    locale = locale_of(manager)
    try:
        branch = await places.add_branch(staff_of(manager), name, now=now_of(manager))
    except LoyaltyError as error:
        await refuse(message, error, manager)
        return
    manager.dialog_data["notice"] = t(
        N_("Branch #{id}: {name}."), locale, id=ident(branch.id, locale), name=esc(branch.name)
    )
    await manager.switch_to(BranchesSG.branches)


def branches_dialog() -> Dialog:
    """A fresh dialog: a router can belong to one dispatcher only."""
    back = back_to(BranchesSG.branches)
    return Dialog(
        Window(
            Format("{notice}", when="notice"),
            Tr(N_("Branches. Choose one to change its earning rate.")),
            choices("branches", on_branch, "branch"),
            SwitchTo(Tr(N_("Add a branch")), id="add", state=BranchesSG.name),
            leave(N_("Close")),
            buttons_only(),
            getter=branches_getter,
            state=BranchesSG.branches,
        ),
        Window(
            Tr(
                N_(
                    "{name} earns at {rate}. "
                    "Send a new rate ({low} to {high}), or use the club's rate."
                )
            ),
            Button(Tr(N_("Use the club's rate")), id="club", on_click=on_club_rate),
            Row(
                SwitchTo(Tr(N_("Currency unit")), id="unit", state=BranchesSG.currency_unit),
                SwitchTo(Tr(N_("Minimum purchase")), id="minimum", state=BranchesSG.min_purchase),
            ),
            Row(
                SwitchTo(Tr(N_("Rename")), id="rename", state=BranchesSG.rename),
                Button(Tr(N_("Close the branch")), id="close", on_click=on_open, when="open"),
                Button(Tr(N_("Open the branch")), id="open", on_click=on_open, when="closed"),
            ),
            *text_input("rate", on_rate, type_factory=_rate_typed, on_error=on_refused),
            back,
            getter=branch_getter,
            state=BranchesSG.branch,
        ),
        Window(
            Tr(
                N_(
                    "Currency unit of {name}: {unit}. Points are the amount ÷ the "
                    "unit × the rate. Send a new unit ({unit_low} to {unit_high}), or use the "
                    "club's."
                )
            ),
            Button(Tr(N_("Use the club's")), id="club_unit", on_click=on_club_rule),
            *text_input("unit_value", on_rule, type_factory=_whole, on_error=on_refused),
            back_to(BranchesSG.branch),
            getter=branch_getter,
            state=BranchesSG.currency_unit,
        ),
        Window(
            Tr(
                N_(
                    "Minimum purchase of {name}: {minimum}. A smaller purchase is "
                    "not recorded. Send a new minimum ({minimum_low} to {minimum_high}), or use "
                    "the club's."
                )
            ),
            Button(Tr(N_("Use the club's")), id="club_minimum", on_click=on_club_rule),
            *text_input("minimum_value", on_rule, type_factory=_whole, on_error=on_refused),
            back_to(BranchesSG.branch),
            getter=branch_getter,
            state=BranchesSG.min_purchase,
        ),
        Window(
            Tr(N_("Send the new name of {name}.")),
            *text_input("new_name", on_rename, type_factory=short_name, on_error=on_refused),
            back_to(BranchesSG.branch),
            getter=branch_getter,
            state=BranchesSG.rename,
        ),
        Window(
            Tr(N_("Send the new branch's name.")),
            *text_input("branch_name", on_branch_name),
            back,
            state=BranchesSG.name,
        ),
    )


# ---- product groups ---------------------------------------------------------------------------


async def groups_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    require(staff_of(dialog_manager), Action.GROUPS)
    locale = locale_of(dialog_manager)
    groups = await ProductGroup.filter(active=True).order_by("id")
    return {
        "notice": dialog_manager.dialog_data.pop("notice", ""),
        "empty": not groups,
        "groups": [
            {
                "id": g.id,
                "label": t(
                    N_("#{id} {name}: points ×{multiplier}"),
                    locale,
                    id=ident(g.id, locale),
                    name=g.name,
                    multiplier=amount(g.multiplier, locale),
                ),
            }
            for g in groups
        ],
    }


async def on_group(
    callback: CallbackQuery, widget: Select, manager: DialogManager, item_id: str
) -> None:
    group = await ProductGroup.get(id=int(item_id))
    manager.dialog_data["group_name"] = group.name
    await manager.switch_to(GroupsSG.multiplier)


async def on_group_name(
    message: Message, widget: TextInput, manager: DialogManager, name: str
) -> None:
    manager.dialog_data["group_name"] = name
    await manager.switch_to(GroupsSG.multiplier)


async def multiplier_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    locale = locale_of(dialog_manager)
    low, high = DECIMAL_LIMITS["multiplier"]
    return {
        "name": esc(dialog_manager.dialog_data.get("group_name", "")),
        "low": amount(low, locale),
        "high": amount(high, locale),
    }


def _multiplier_typed(text: str) -> Decimal:
    return Decimal(parse_number(text, "multiplier", decimal=True))


async def on_multiplier(
    message: Message, widget: TextInput, manager: DialogManager, multiplier: Decimal
) -> None:
    locale = locale_of(manager)
    try:
        group = await places.set_group(
            staff_of(manager), manager.dialog_data["group_name"], multiplier, now=now_of(manager)
        )
    except LoyaltyError as error:
        await refuse(message, error, manager)
        return
    manager.dialog_data["notice"] = t(N_("Saved: {label}."), locale, label=esc(group.name))
    await manager.switch_to(GroupsSG.groups)


def groups_dialog() -> Dialog:
    """A fresh dialog: a router can belong to one dispatcher only."""
    back = back_to(GroupsSG.groups)
    return Dialog(
        Window(
            Format("{notice}", when="notice"),
            Tr(N_("Product groups earn points × their multiplier. Choose one to change it.")),
            Tr(N_("No product groups yet."), when="empty"),
            choices("groups", on_group, "group"),
            SwitchTo(Tr(N_("Add a product group")), id="add", state=GroupsSG.name),
            leave(N_("Close")),
            buttons_only(),
            getter=groups_getter,
            state=GroupsSG.groups,
        ),
        Window(
            Tr(N_("Send the points multiplier for {name} ({low} to {high}).")),
            *text_input(
                "multiplier", on_multiplier, type_factory=_multiplier_typed, on_error=on_refused
            ),
            back,
            getter=multiplier_getter,
            state=GroupsSG.multiplier,
        ),
        Window(
            Tr(N_("Send the new product group's name.")),
            *text_input("group_name", on_group_name, type_factory=short_name, on_error=on_refused),
            back,
            state=GroupsSG.name,
        ),
    )
