"""The reward catalogue a page at a time; redeeming with a confirmation, then the voucher code."""

from __future__ import annotations

from typing import Any

from aiogram.types import CallbackQuery
from aiogram_dialog import Dialog, DialogManager, Window
from aiogram_dialog.widgets.kbd import Back, Button, Column, Row, Select, SwitchTo
from aiogram_dialog.widgets.text import Format

from handlers.format import day, number
from handlers.i18n import N_, t
from handlers.telegram.member.common import current_member, current_member_and_config
from handlers.telegram.member.states import RewardsSG
from handlers.telegram.widgets import Tr, buttons_only, esc, leave, locale_of, page_slice, pager
from handlers.texts import error_text
from loyalty import rewards
from loyalty.errors import LoyaltyError
from models import Reward


async def catalog_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    locale = locale_of(dialog_manager)
    member, config = await current_member_and_config(dialog_manager)
    offered = await rewards.catalog(config=config)
    can_have = (
        {r.id for r in await rewards.affordable(member, offered=offered, config=config)}
        if member
        else set()
    )
    shown, page, pages = await page_slice(dialog_manager, "catalog", offered)
    items = [
        {
            "id": r.id,
            "label": ("✅ " if r.id in can_have else "")
            + t(N_("{name}: {cost} points"), locale, name=r.name, cost=number(r.cost, locale)),
        }
        for r in shown
    ]
    return {
        "rewards": items,
        "empty": not offered,
        "balance": number(member.balance if member else 0, locale),
        "page_count": pages,
        "page": number(page + 1, locale),
        "pages": number(pages, locale),
    }


async def on_reward(
    callback: CallbackQuery, widget: Select, manager: DialogManager, item_id: str
) -> None:
    manager.dialog_data["reward_id"] = int(item_id)
    await manager.switch_to(RewardsSG.confirm)


async def confirm_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    locale = locale_of(dialog_manager)
    reward = await Reward.get_or_none(id=dialog_manager.dialog_data.get("reward_id"))
    member = await current_member(dialog_manager)
    return {
        "name": esc(reward.name if reward else "-"),
        "description": esc(reward.description if reward else ""),
        "cost": number(reward.cost if reward else 0, locale),
        "balance": number(member.balance if member else 0, locale),
    }


async def on_redeem(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    member = await current_member(manager)
    locale = locale_of(manager)
    if member is None:
        return
    try:
        # The callback's id as the key: Telegram redelivering the same press redeems once.
        result = await rewards.redeem_reward(
            member.id, manager.dialog_data["reward_id"], key=f"tg:{callback.id}"
        )
    except LoyaltyError as error:
        await callback.answer(error_text(error, locale), show_alert=True)
        await manager.switch_to(RewardsSG.catalog)
        return
    manager.dialog_data["voucher"] = {
        "code": result.voucher.code,
        "reward": result.voucher.reward.name,
        "until": day(result.voucher.expires_at, locale, manager.middleware_data.get("tz")),
        "balance": number(result.balance, locale),
    }
    await manager.switch_to(RewardsSG.voucher)


async def voucher_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    voucher = dialog_manager.dialog_data.get("voucher", {})
    return {key: esc(value) for key, value in voucher.items()}


def dialog() -> Dialog:
    """A fresh dialog: a router can belong to one dispatcher only."""
    return Dialog(
        Window(
            Tr(
                N_(
                    "Rewards (page {page} of {pages}). You have {balance} points; ✅ marks what "
                    "you can take now."
                )
            ),
            Tr(N_("No rewards on offer yet."), when="empty"),
            Column(
                Select(
                    Format("{item[label]}"),
                    id="reward",
                    item_id_getter=lambda r: r["id"],
                    items="rewards",
                    on_click=on_reward,
                )
            ),
            *pager("catalog", N_("◀ Previous"), N_("Next ▶")),
            leave(),
            buttons_only(),
            getter=catalog_getter,
            state=RewardsSG.catalog,
        ),
        Window(
            Tr(N_("Take {name} for {cost} points? You have {balance} points.")),
            Format("{description}", when="description"),
            Row(Button(Tr(N_("Yes, redeem")), id="yes", on_click=on_redeem), Back(Tr(N_("No")))),
            buttons_only(),
            getter=confirm_getter,
            state=RewardsSG.confirm,
        ),
        Window(
            Tr(
                N_(
                    "Your voucher for {reward}: <code>{code}</code>\n"
                    "Show it at the till before {until}. Your balance is now {balance} points."
                )
            ),
            SwitchTo(Tr(N_("More rewards")), id="more", state=RewardsSG.catalog),
            leave(N_("Back to the menu")),
            buttons_only(),
            getter=voucher_getter,
            state=RewardsSG.voucher,
        ),
    )
