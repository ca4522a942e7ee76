"""Partner offers: the list a page at a time, taking one with a confirmation, then its code."""

from __future__ import annotations

from typing import Any

from aiogram.enums import ContentType
from aiogram.types import CallbackQuery
from aiogram_dialog import Dialog, DialogManager, Window
from aiogram_dialog.api.entities import MediaAttachment, MediaId
from aiogram_dialog.widgets.kbd import Back, Button, Column, Row, Select, SwitchTo
from aiogram_dialog.widgets.media import DynamicMedia
from aiogram_dialog.widgets.text import Format

from handlers.format import day, number
from handlers.i18n import N_, t
from handlers.partners import member_label, price
from handlers.telegram.member.common import current_member, current_member_and_config
from handlers.telegram.member.states import PartnersSG
from handlers.telegram.widgets import Tr, buttons_only, esc, leave, locale_of, page_slice, pager
from handlers.texts import error_text
from loyalty import partners
from loyalty.clock import utcnow
from loyalty.errors import LoyaltyError
from models import Partner, Reward, Tier


async def offers_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    locale = locale_of(dialog_manager)
    member, config = await current_member_and_config(dialog_manager)
    now = dialog_manager.middleware_data.get("clock", utcnow)()
    offered = await partners.offers(member, now=now, config=config)
    tiers = {tier.id: tier for tier in config.tiers}
    shown, page, pages = await page_slice(dialog_manager, "offers", offered)
    return {
        "offers": [{"id": o.reward.id, "label": member_label(o, tiers, locale)} for o in shown],
        "empty": not offered,
        "balance": number(member.balance if member else 0, locale),
        "page_count": pages,
        "page": number(page + 1, locale),
        "pages": number(pages, locale),
    }


async def on_offer(
    callback: CallbackQuery, widget: Select, manager: DialogManager, item_id: str
) -> None:
    manager.dialog_data["offer_id"] = int(item_id)
    await manager.switch_to(PartnersSG.confirm)


async def confirm_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    locale = locale_of(dialog_manager)
    offer = await Reward.get_or_none(id=dialog_manager.dialog_data.get("offer_id"))
    partner = await Partner.get_or_none(id=offer.partner_id) if offer else None
    member = await current_member(dialog_manager)
    tiers = {tier.id: tier for tier in await Tier.all()}
    about = [offer.description if offer else "", partner.description if partner else ""]
    return {
        "partner": esc(partner.name if partner else "-"),
        "name": esc(offer.name if offer else "-"),
        "price": esc(price(offer, tiers, locale) if offer else "-"),
        "description": esc("\n".join(line for line in about if line)),
        "balance": number(member.balance if member else 0, locale),
        # The partner's logo, a picture the owner sent to the bot, above the offer.
        "logo": MediaAttachment(ContentType.PHOTO, file_id=MediaId(partner.logo_file_id))
        if partner is not None and partner.logo_file_id
        else None,
    }


async def on_take(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    member = await current_member(manager)
    locale = locale_of(manager)
    if member is None:
        return
    try:
        # The callback's id as the key: Telegram redelivering the same press takes once.
        result = await partners.take(
            member.id,
            manager.dialog_data["offer_id"],
            key=f"tg:{callback.id}",
            now=manager.middleware_data.get("clock", utcnow)(),
        )
    except LoyaltyError as error:
        await callback.answer(error_text(error, locale), show_alert=True)
        await manager.switch_to(PartnersSG.offers)
        return
    partner = await Partner.get(id=result.voucher.reward.partner_id)
    manager.dialog_data["code"] = {
        "code": result.voucher.code,
        "offer": result.voucher.reward.name,
        "partner": partner.name,
        "until": day(result.voucher.expires_at, locale, manager.middleware_data.get("tz")),
        "balance": number(result.balance, locale),
        "again": t(N_("You took this offer before: here is your code again."), locale)
        if result.replayed
        else "",
    }
    await manager.switch_to(PartnersSG.code)


async def code_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    code = dialog_manager.dialog_data.get("code", {})
    return {key: esc(value) for key, value in code.items()}


def dialog() -> Dialog:
    """A fresh dialog: a router can belong to one dispatcher only."""
    return Dialog(
        Window(
            Tr(
                N_(
                    "Partner offers (page {page} of {pages}). You have {balance} points; ✅ marks "
                    "what you can take now."
                )
            ),
            Tr(N_("No partner offers yet."), when="empty"),
            Column(
                Select(
                    Format("{item[label]}"),
                    id="offer",
                    item_id_getter=lambda o: o["id"],
                    items="offers",
                    on_click=on_offer,
                )
            ),
            *pager("offers", N_("◀ Previous"), N_("Next ▶")),
            leave(),
            buttons_only(),
            getter=offers_getter,
            state=PartnersSG.offers,
        ),
        Window(
            Tr(N_("Take {name} at {partner} for {price}? You have {balance} points.")),
            Format("{description}", when="description"),
            DynamicMedia("logo", when="logo"),
            Row(Button(Tr(N_("Yes, take it")), id="yes", on_click=on_take), Back(Tr(N_("No")))),
            buttons_only(),
            getter=confirm_getter,
            state=PartnersSG.confirm,
        ),
        Window(
            Format("{again}", when="again"),
            Tr(
                N_(
                    "Your code for {offer} at {partner}: <code>{code}</code>\n"
                    "Show it there before {until}. Your balance is now {balance} points."
                )
            ),
            SwitchTo(Tr(N_("More partner offers")), id="more", state=PartnersSG.offers),
            leave(N_("Back to the menu")),
            buttons_only(),
            getter=code_getter,
            state=PartnersSG.code,
        ),
    )
