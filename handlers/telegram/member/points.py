"""Points: balance, tier, the way to the next tier, and points about to expire."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiogram_dialog import Dialog, DialogManager, Window
from aiogram_dialog.widgets.text import Format

from handlers.format import day, number
from handlers.i18n import N_, t
from handlers.telegram.member.common import current_member_and_config
from handlers.telegram.member.states import PointsSG
from handlers.telegram.widgets import Tr, buttons_only, leave, locale_of
from handlers.texts import tier_name
from loyalty import expiry, tiers
from loyalty.clock import utcnow

EXPIRY_NOTICE_DAYS = 30


async def points_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    locale = locale_of(dialog_manager)
    member, config = await current_member_and_config(dialog_manager)
    if member is None:
        return {"balance": number(0, locale), "tier": "-", "next": "", "expiring": ""}
    now = utcnow()
    progress = await tiers.progress(member, now, config)
    lots = await expiry.expiring_within(member.id, now, now + timedelta(days=EXPIRY_NOTICE_DAYS))
    tz = dialog_manager.middleware_data.get("tz")
    expiring = "\n".join(
        t(
            N_("{points} points expire on {date}."),
            locale,
            points=number(lot.points, locale),
            date=day(lot.expires_at, locale, tz),
        )
        for lot in lots
    )
    if progress.next_tier is not None:
        next_line = t(
            N_("{points} more points to reach {tier}."),
            locale,
            points=number(progress.points_to_next, locale),
            tier=tier_name(progress.next_tier.code, progress.next_tier.name, locale),
        )
    else:
        next_line = t(N_("You are in the highest tier."), locale)
    return {
        "balance": number(member.balance, locale),
        "tier": tier_name(progress.tier.code, progress.tier.name, locale),
        "next": next_line,
        "expiring": expiring,
    }


def dialog() -> Dialog:
    """A fresh dialog: a router can belong to one dispatcher only."""
    return Dialog(
        Window(
            Tr(N_("Your balance: {balance} points\nYour tier: {tier}\n{next}")),
            Format("{expiring}", when="expiring"),
            leave(),
            buttons_only(),
            getter=points_getter,
            state=PointsSG.points,
        ),
    )
