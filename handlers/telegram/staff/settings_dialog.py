"""/settings as a dialog: the club's rules one at a time, and the tiers' thresholds,
multipliers and discounts.

Those the permission table allows (Action.SETTINGS). A typed value goes to loyalty.staff
as text (Persian digits are fine); a value it refuses gets a clear answer and changes
nothing.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from aiogram.types import CallbackQuery, Message
from aiogram_dialog import Dialog, DialogManager, Window
from aiogram_dialog.widgets.input import TextInput
from aiogram_dialog.widgets.kbd import Select, SwitchTo
from aiogram_dialog.widgets.text import Format

from handlers.i18n import N_, t
from handlers.settings_text import RULES
from handlers.telegram.staff.dialog_common import amount, now_of, refuse, staff_of
from handlers.telegram.staff.states import SettingsSG as SG
from handlers.telegram.widgets import (
    Tr,
    back,
    back_to,
    buttons_only,
    choices,
    esc,
    leave,
    locale_of,
    text_input,
)
from handlers.texts import club_name, tier_name
from loyalty.errors import LoyaltyError
from loyalty.rules import get_rules
from loyalty.staff.club_settings import SETTINGS, rename_tier, set_rule, set_tier_value
from loyalty.staff.permissions import Action, require
from models import Tier

TIER_FIELDS: dict[str, str] = {
    "threshold": N_("Threshold (points)"),
    "multiplier": N_("Points multiplier"),
    "discount_percent": N_("Standing discount (%)"),
    # The owner's own name, shown to members as typed in both languages; "-": the default.
    "name": N_("Name shown to members"),
}


def rule_value(key: str, value: object, locale: str) -> str:
    """A rule's value as the reader reads it: their digits, the default club name in words."""
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return amount(value, locale)
    if key == "name" and isinstance(value, str):
        return club_name(value, locale)
    return str(value) if value else "-"


def _shown(value: object, locale: str) -> str:
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return amount(value, locale)
    return esc(value) if value else "-"


def _owner(manager: DialogManager) -> None:
    require(staff_of(manager), Action.SETTINGS)


# ---- the club's rules -------------------------------------------------------------------------


async def rules_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    _owner(dialog_manager)
    locale = locale_of(dialog_manager)
    rules = await get_rules()
    assert set(RULES) == set(SETTINGS)  # a new rule needs a label here
    lines = [
        f"{t(label, locale)}: {esc(rule_value(key, getattr(rules, key), locale))}"
        for key, label in RULES.items()
    ]
    return {
        "rules": "\n".join(lines),
        "notice": dialog_manager.dialog_data.pop("notice", ""),
        "keys": [{"id": key, "label": t(label, locale)} for key, label in RULES.items()],
    }


async def on_rule(
    callback: CallbackQuery, widget: Select, manager: DialogManager, item_id: str
) -> None:
    manager.dialog_data["key"] = item_id
    await manager.switch_to(SG.rule)


async def rule_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    locale = locale_of(dialog_manager)
    key = dialog_manager.dialog_data.get("key", "name")
    return {
        "label": t(RULES[key], locale),
        "value": esc(rule_value(key, getattr(await get_rules(), key), locale)),
    }


async def on_rule_value(
    message: Message, widget: TextInput, manager: DialogManager, text: str
) -> None:
    locale = locale_of(manager)
    key = manager.dialog_data["key"]
    try:
        await set_rule(staff_of(manager), key, text, now=now_of(manager))
    except LoyaltyError as error:
        await refuse(message, error, manager, label=t(RULES[key], locale))
        return
    manager.dialog_data["notice"] = t(N_("Saved: {label}."), locale, label=t(RULES[key], locale))
    await manager.switch_to(SG.rules)


# ---- the tiers --------------------------------------------------------------------------------


def _tier_line(tier: Tier, locale: str) -> str:
    return t(
        N_("{tier}: from {threshold} points, points ×{multiplier}, {discount}% standing discount"),
        locale,
        tier=esc(tier_name(tier.code, tier.name, locale)),
        threshold=amount(tier.threshold, locale),
        multiplier=amount(tier.multiplier, locale),
        discount=amount(tier.discount_percent, locale),
    )


async def tiers_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    _owner(dialog_manager)
    locale = locale_of(dialog_manager)
    tiers = await Tier.all().order_by("threshold")
    return {
        "lines": "\n".join(_tier_line(x, locale) for x in tiers),
        "tiers": [{"id": x.id, "label": tier_name(x.code, x.name, locale)} for x in tiers],
        "notice": dialog_manager.dialog_data.pop("notice", ""),
    }


async def on_tier(
    callback: CallbackQuery, widget: Select, manager: DialogManager, item_id: str
) -> None:
    manager.dialog_data["tier"] = int(item_id)
    await manager.switch_to(SG.tier)


async def tier_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    locale = locale_of(dialog_manager)
    tier = await Tier.get(id=dialog_manager.dialog_data["tier"])
    field = dialog_manager.dialog_data.get("field", "threshold")
    return {
        "line": _tier_line(tier, locale),
        "notice": dialog_manager.dialog_data.pop("notice", ""),
        "fields": [{"id": key, "label": t(label, locale)} for key, label in TIER_FIELDS.items()],
        "label": t(TIER_FIELDS[field], locale),
        "tier": esc(tier_name(tier.code, tier.name, locale)),
        "value": _shown(getattr(tier, field), locale),
        "naming": field == "name",
    }


async def on_field(
    callback: CallbackQuery, widget: Select, manager: DialogManager, item_id: str
) -> None:
    manager.dialog_data["field"] = item_id
    await manager.switch_to(SG.tier_field)


async def on_tier_value(
    message: Message, widget: TextInput, manager: DialogManager, text: str
) -> None:
    locale = locale_of(manager)
    field = manager.dialog_data["field"]
    try:
        if field == "name":
            name = None if text.strip() == "-" else text
            await rename_tier(
                staff_of(manager), manager.dialog_data["tier"], name, now=now_of(manager)
            )
        else:
            await set_tier_value(
                staff_of(manager),
                manager.dialog_data["tier"],
                field,
                text,
                now=now_of(manager),
            )
    except LoyaltyError as error:
        await refuse(message, error, manager, label=t(TIER_FIELDS[field], locale))
        return
    manager.dialog_data["notice"] = t(
        N_("Saved: {label}."), locale, label=t(TIER_FIELDS[field], locale)
    )
    await manager.switch_to(SG.tier)


def dialog() -> Dialog:
    """A fresh dialog: a router can belong to one dispatcher only."""
    return Dialog(
        Window(
            Format("{notice}", when="notice"),
            Tr(N_("The club's rules. Choose one to change it.")),
            Format("{rules}"),
            choices("keys", on_rule, "rule", width=2),
            SwitchTo(Tr(N_("Tiers")), id="tiers", state=SG.tiers),
            leave(N_("Close")),
            buttons_only(),
            getter=rules_getter,
            state=SG.rules,
        ),
        Window(
            Tr(N_("Send the new value for {label} (now {value}).")),
            *text_input("rule_value", on_rule_value),
            back(),
            getter=rule_getter,
            state=SG.rule,
        ),
        Window(
            Format("{notice}", when="notice"),
            Tr(N_("The tiers. Choose one to change it.")),
            Format("{lines}"),
            choices("tiers", on_tier, "tier", width=2),
            back_to(SG.rules, "rules"),
            buttons_only(),
            getter=tiers_getter,
            state=SG.tiers,
        ),
        Window(
            Format("{notice}", when="notice"),
            Format("{line}"),
            choices("fields", on_field, "field", width=2),
            back_to(SG.tiers, "back_tiers"),
            buttons_only(),
            getter=tier_getter,
            state=SG.tier,
        ),
        Window(
            Tr(N_("Send the new {label} for {tier} (now {value}).")),
            Tr(N_("Send - for the tier's usual name in each language."), when="naming"),
            *text_input("tier_value", on_tier_value),
            back_to(SG.tier, "back_tier"),
            getter=tier_getter,
            state=SG.tier_field,
        ),
    )
