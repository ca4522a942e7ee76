"""/rewards as a dialog: the catalogue a page at a time, a reward added step by step,
withdrawing one.

Those the permission table allows (Action.REWARDS); the rules (ranges, branch scope,
roles) are decided in loyalty.staff, which each step asks again, so a role revoked
mid-dialog stops at once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import Dialog, DialogManager, Window
from aiogram_dialog.widgets.input import MessageInput, TextInput
from aiogram_dialog.widgets.kbd import Back, Button, Row, Select, SwitchTo
from aiogram_dialog.widgets.text import Format

from handlers.format import day
from handlers.i18n import N_, t
from handlers.reward_values import warning_text, worth_text
from handlers.telegram.staff.common import ident
from handlers.telegram.staff.dialog_common import amount, now_of, on_refused, short_name, staff_of
from handlers.telegram.staff.states import RewardsAdminSG as SG
from handlers.telegram.widgets import (
    Tr,
    back,
    buttons_only,
    choices,
    esc,
    leave,
    locale_of,
    page_slice,
    pager,
    text_input,
)
from handlers.texts import CUSTOMER_TYPES, branch_name, tier_name
from loyalty.reward_values import mispriced
from loyalty.staff import catalogue
from loyalty.staff.access import sees_all_branches
from loyalty.staff.limits import LIMITS, parse_number
from loyalty.staff.permissions import Action, require
from models import Branch, CustomerType, ProductGroup, Reward, RewardKind, Tier

KINDS = {
    RewardKind.PRODUCT: N_("A product"),
    RewardKind.FIXED_DISCOUNT: N_("A fixed discount"),
    RewardKind.PERCENT_DISCOUNT: N_("A percent discount"),
}


# ---- the catalogue ----------------------------------------------------------------------------


async def catalog_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    locale = locale_of(dialog_manager)
    staff = require(staff_of(dialog_manager), Action.REWARDS)
    offered = await catalogue.manageable_rewards(staff)
    shown, page, pages = await page_slice(dialog_manager, "catalog", offered)
    items = [
        {
            "id": r.id,
            "label": t(
                N_("#{id} {name}: {cost} points"),
                locale,
                id=ident(r.id, locale),
                name=r.name,
                cost=amount(r.cost, locale),
            ),
        }
        for r in shown
    ]
    return {
        "rewards": items,
        "values": "\n".join(catalogue_worth(offered, locale)),
        "empty": not offered,
        "notice": dialog_manager.dialog_data.pop("notice", ""),
        "page_count": pages,
        "page": amount(page + 1, locale),
        "pages": amount(pages, locale),
    }


def catalogue_worth(offered: list[Reward], locale: str) -> list[str]:
    """The money value per point of each priced reward, then the warnings: a dearer reward
    that gives less per point than a cheaper one."""
    lines = [
        f"#{ident(r.id, locale)} {esc(r.name)}: {worth}"
        for r in offered
        if (worth := worth_text(r, locale))
    ]
    return lines + [esc(warning_text(found, locale)) for found in mispriced(offered)]


async def on_pick(
    callback: CallbackQuery, widget: Select, manager: DialogManager, item_id: str
) -> None:
    manager.dialog_data["reward_id"] = int(item_id)
    await manager.switch_to(SG.detail)


async def describe(spec: catalogue.RewardSpec, locale: str, manager: DialogManager) -> str:
    """A reward in full, as staff check it before saving or withdrawing."""
    if spec.kind is RewardKind.FIXED_DISCOUNT:
        offer = t(N_("{amount} toman off"), locale, amount=amount(spec.value, locale))
    elif spec.kind is RewardKind.PERCENT_DISCOUNT:
        offer = t(N_("{percent}% off"), locale, percent=amount(spec.value, locale))
    else:
        offer = t(KINDS[RewardKind.PRODUCT], locale)
    group = (
        await ProductGroup.get_or_none(id=spec.product_group_id) if spec.product_group_id else None
    )
    tier = await Tier.get_or_none(id=spec.min_tier_id) if spec.min_tier_id else None
    branch = await Branch.get_or_none(id=spec.branch_id) if spec.branch_id else None
    until = (
        day(spec.valid_until, locale, manager.middleware_data.get("tz"))
        if spec.valid_until
        else None
    )
    text = t(
        N_(
            "{name}\nCost: {cost} points\nOffer: {offer} ({group})\nStock: {stock}\n"
            "Minimum tier: {tier}\n"
            "Branch: {branch}\nValid until: {until}"
        ),
        locale,
        name=esc(spec.name),
        cost=amount(spec.cost, locale),
        offer=offer,
        group=esc(group.name) if group else t(N_("any product"), locale),
        stock=amount(spec.stock, locale) if spec.stock is not None else t(N_("unlimited"), locale),
        tier=tier_name(tier.code, tier.name, locale) if tier else t(N_("everyone"), locale),
        branch=esc(branch_name(branch.name, locale)) if branch else t(N_("all branches"), locale),
        until=until or t(N_("no end date"), locale),
    )
    if spec.customer_type is not None:
        text += "\n" + t(
            N_("This reward is for {customer_type} customers only."),
            locale,
            customer_type=t(CUSTOMER_TYPES[CustomerType(spec.customer_type).value], locale),
        )
    return text


async def detail_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    reward = await Reward.get_or_none(id=dialog_manager.dialog_data.get("reward_id"))
    if reward is None:
        return {"about": "-"}
    return {
        "about": await describe(
            catalogue.reward_spec(reward), locale_of(dialog_manager), dialog_manager
        )
    }


async def on_withdraw(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    locale = locale_of(manager)
    reward = await catalogue.withdraw_reward(
        staff_of(manager), manager.dialog_data["reward_id"], now=now_of(manager)
    )
    manager.dialog_data["notice"] = t(
        N_("Reward #{id} is no longer offered."), locale, id=ident(reward.id, locale)
    )
    await manager.switch_to(SG.catalog)


# ---- adding, one step at a time ------------------------------------------------------------------


def _new(manager: DialogManager) -> dict[str, Any]:
    return manager.dialog_data.setdefault("new", {})


async def on_add(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    require(staff_of(manager), Action.REWARDS)
    manager.dialog_data["new"] = {}
    await manager.switch_to(SG.name)


async def on_name(message: Message, widget: TextInput, manager: DialogManager, name: str) -> None:
    _new(manager)["name"] = name
    await manager.switch_to(SG.cost)


def _number_step(
    key: str, field: str, next_state: State | None, *, filter: Callable[..., Any] | None = None
) -> tuple[TextInput[int], MessageInput]:
    """A step that takes one typed number in the range loyalty.staff allows for `key`."""

    async def on_number(
        message: Message, widget: TextInput, manager: DialogManager, value: int
    ) -> None:
        _new(manager)[field] = value
        if next_state is None:
            await _after(manager, field)
        else:
            await manager.switch_to(next_state)

    return text_input(
        key,
        on_number,
        type_factory=lambda text: int(parse_number(text, key)),
        on_error=on_refused,
        filter=filter,
    )


def _kind_is(kind: RewardKind) -> Callable[..., Awaitable[bool]]:
    """The discount's range depends on its kind: a TextInput filter picks the one for it."""

    async def check(message: Message, dialog_manager: DialogManager) -> bool:
        return _new(dialog_manager).get("kind") == kind.value

    return check


async def on_kind(
    callback: CallbackQuery, widget: Select, manager: DialogManager, item_id: str
) -> None:
    new = _new(manager)
    new["kind"] = RewardKind(item_id).value
    new["value"], new["group"] = 0, None
    await _after(manager, "kind")


def kinds_getter_items(locale: str) -> list[dict[str, str]]:
    return [{"id": kind.value, "label": t(label, locale)} for kind, label in KINDS.items()]


async def _after(manager: DialogManager, step: str) -> None:
    """The next step, skipping those that do not apply to this reward or this staff member."""
    new = _new(manager)
    order = ["kind", "value", "group", "stock", "tier", "branch", "days", "confirm"]
    for candidate in order[order.index(step) + 1 :]:
        if candidate == "value" and new["kind"] == RewardKind.PRODUCT.value:
            continue
        if candidate == "group" and (
            new["kind"] == RewardKind.PRODUCT.value or not await ProductGroup.exists(active=True)
        ):
            continue
        if candidate == "branch" and not await _chooses_branch(manager):
            continue
        await manager.switch_to(getattr(SG, candidate))
        return


async def _chooses_branch(manager: DialogManager) -> bool:
    staff = staff_of(manager)
    return (
        staff is not None
        and sees_all_branches(staff)
        and await Branch.filter(active=True).count() > 1
    )


async def on_group(
    callback: CallbackQuery, widget: Select, manager: DialogManager, item_id: str
) -> None:
    _new(manager)["group"] = int(item_id) or None  # 0: any product
    await _after(manager, "group")


async def on_unlimited(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    _new(manager)["stock"] = None
    await _after(manager, "stock")


async def on_tier(
    callback: CallbackQuery, widget: Select, manager: DialogManager, item_id: str
) -> None:
    _new(manager)["tier"] = int(item_id) or None  # 0: everyone
    await _after(manager, "tier")


async def on_branch(
    callback: CallbackQuery, widget: Select, manager: DialogManager, item_id: str
) -> None:
    _new(manager)["branch"] = int(item_id) or None  # 0: all branches
    await _after(manager, "branch")


async def on_open_ended(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    _new(manager)["days"] = None
    await manager.switch_to(SG.confirm)


def _spec(manager: DialogManager) -> catalogue.RewardSpec:
    new = _new(manager)
    start, until = catalogue.open_window(now_of(manager), new.get("days"))
    return catalogue.RewardSpec(
        name=new["name"],
        cost=new["cost"],
        kind=RewardKind(new["kind"]),
        value=new.get("value", 0),
        product_group_id=new.get("group"),
        stock=new.get("stock"),
        min_tier_id=new.get("tier"),
        branch_id=new.get("branch"),
        valid_from=start,
        valid_until=until,
    )


async def confirm_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    return {
        "about": await describe(_spec(dialog_manager), locale_of(dialog_manager), dialog_manager)
    }


async def on_save(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    locale = locale_of(manager)
    reward = await catalogue.save_reward(staff_of(manager), _spec(manager), now=now_of(manager))
    manager.dialog_data["notice"] = t(
        N_("Reward #{id} added: {name} for {cost} points."),
        locale,
        id=ident(reward.id, locale),
        name=esc(reward.name),
        cost=amount(reward.cost, locale),
    )
    manager.dialog_data.pop("new", None)
    await manager.switch_to(SG.catalog)


async def choices_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    locale = locale_of(dialog_manager)
    groups = [{"id": 0, "label": t(N_("Any product"), locale)}]
    groups += [
        {"id": g.id, "label": g.name}
        for g in await ProductGroup.filter(active=True).order_by("name")
    ]
    tiers = [{"id": 0, "label": t(N_("Everyone"), locale)}]
    tiers += [
        {"id": x.id, "label": tier_name(x.code, x.name, locale)}
        for x in await Tier.all().order_by("threshold")
    ]
    branches = [{"id": 0, "label": t(N_("All branches"), locale)}]
    branches += [
        {"id": b.id, "label": branch_name(b.name, locale)}
        for b in await Branch.filter(active=True).order_by("id")
    ]
    new = dialog_manager.dialog_data.get("new", {})
    kind = new.get("kind", RewardKind.PRODUCT.value)
    low, high = LIMITS.get(kind, LIMITS["cost"])
    return {
        "kinds": kinds_getter_items(locale),
        "groups": groups,
        "tiers": tiers,
        "branches": branches,
        "percent": kind == RewardKind.PERCENT_DISCOUNT.value,
        "fixed": kind == RewardKind.FIXED_DISCOUNT.value,
        "name": esc(new.get("name", "")),
        "low": amount(low, locale),
        "high": amount(high, locale),
    }


def dialog() -> Dialog:
    """A fresh dialog: a router can belong to one dispatcher only."""
    cancel = SwitchTo(Tr(N_("Cancel")), id="stop", state=SG.catalog)
    fixed, not_text = _number_step(
        RewardKind.FIXED_DISCOUNT.value, "value", None, filter=_kind_is(RewardKind.FIXED_DISCOUNT)
    )
    percent, _ = _number_step(
        RewardKind.PERCENT_DISCOUNT.value,
        "value",
        None,
        filter=_kind_is(RewardKind.PERCENT_DISCOUNT),
    )
    return Dialog(
        Window(
            Format("{notice}", when="notice"),
            Tr(
                N_("Rewards (page {page} of {pages}). Choose one to see it in full or withdraw it.")
            ),
            Tr(N_("No rewards on offer yet."), when="empty"),
            Format("{values}", when="values"),
            choices("rewards", on_pick, "reward"),
            *pager("catalog", N_("◀ Previous"), N_("Next ▶")),
            Button(Tr(N_("Add a reward")), id="add", on_click=on_add),
            leave(N_("Close")),
            buttons_only(),
            getter=catalog_getter,
            state=SG.catalog,
        ),
        Window(
            Format("{about}"),
            Row(SwitchTo(Tr(N_("Withdraw")), id="off", state=SG.withdraw), back()),
            buttons_only(),
            getter=detail_getter,
            state=SG.detail,
        ),
        Window(
            Format("{about}"),
            Tr(N_("Withdraw this reward? Vouchers already issued stay valid.")),
            Row(
                Button(Tr(N_("Yes, withdraw")), id="yes", on_click=on_withdraw), Back(Tr(N_("No")))
            ),
            buttons_only(),
            getter=detail_getter,
            state=SG.withdraw,
        ),
        Window(
            Tr(N_("New reward, step 1: send its name.")),
            *text_input("name", on_name, type_factory=short_name, on_error=on_refused),
            cancel,
            getter=choices_getter,
            state=SG.name,
        ),
        Window(
            Tr(N_("Step 2: how many points does {name} cost?")),
            *_number_step("cost", "cost", SG.kind),
            cancel,
            getter=choices_getter,
            state=SG.cost,
        ),
        Window(
            Tr(N_("Step 3: what does the member get?")),
            choices("kinds", on_kind, "kind"),
            cancel,
            buttons_only(),
            getter=choices_getter,
            state=SG.kind,
        ),
        Window(
            Tr(N_("Step 4: how many toman off? ({low} to {high})"), when="fixed"),
            Tr(N_("Step 4: how many percent off? ({low} to {high})"), when="percent"),
            fixed,
            percent,
            not_text,
            cancel,
            getter=choices_getter,
            state=SG.value,
        ),
        Window(
            Tr(N_("On which products does the discount apply?")),
            choices("groups", on_group, "group"),
            cancel,
            buttons_only(),
            getter=choices_getter,
            state=SG.group,
        ),
        Window(
            Tr(N_("How many can be given out? Send a number, or choose unlimited.")),
            Button(Tr(N_("Unlimited")), id="unlimited", on_click=on_unlimited),
            *_number_step("stock", "stock", None),
            cancel,
            getter=choices_getter,
            state=SG.stock,
        ),
        Window(
            Tr(N_("Which tier must a member have reached to take it?")),
            choices("tiers", on_tier, "tier"),
            cancel,
            buttons_only(),
            getter=choices_getter,
            state=SG.tier,
        ),
        Window(
            Tr(N_("At which branch is it offered?")),
            choices("branches", on_branch, "branch"),
            cancel,
            buttons_only(),
            getter=choices_getter,
            state=SG.branch,
        ),
        Window(
            Tr(N_("For how many days is it offered? Send a number, or choose no end date.")),
            Button(Tr(N_("No end date")), id="open", on_click=on_open_ended),
            *_number_step("days", "days", SG.confirm),
            cancel,
            getter=choices_getter,
            state=SG.days,
        ),
        Window(
            Tr(N_("Save this reward?")),
            Format("{about}"),
            Row(Button(Tr(N_("Save")), id="save", on_click=on_save), cancel),
            buttons_only(),
            getter=confirm_getter,
            state=SG.confirm,
        ),
    )
