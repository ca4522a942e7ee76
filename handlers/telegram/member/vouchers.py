"""The member's vouchers: codes still to use, and what happened to the others."""

from __future__ import annotations

from typing import Any

from aiogram_dialog import Dialog, DialogManager, Window
from aiogram_dialog.widgets.text import Format

from handlers.format import day
from handlers.i18n import N_, t
from handlers.telegram.member.common import current_member
from handlers.telegram.member.states import VouchersSG
from handlers.telegram.widgets import Tr, buttons_only, esc, leave, locale_of
from loyalty import rewards
from models import VoucherStatus

SHOWN = 10
STATUS = {
    VoucherStatus.ISSUED: N_("valid until {until}"),
    VoucherStatus.USED: N_("used"),
    VoucherStatus.CANCELLED: N_("cancelled"),
    VoucherStatus.EXPIRED: N_("expired"),
}


async def vouchers_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    locale = locale_of(dialog_manager)
    tz = dialog_manager.middleware_data.get("tz")
    member = await current_member(dialog_manager)
    vouchers = (await rewards.member_vouchers(member.id))[:SHOWN] if member else []
    rows = [
        f"<code>{v.code}</code> {esc(v.reward.name)}: "
        + t(STATUS[v.status], locale, until=day(v.expires_at, locale, tz))
        for v in vouchers
    ]
    return {"rows": "\n".join(rows), "empty": not rows}


def dialog() -> Dialog:
    """A fresh dialog: a router can belong to one dispatcher only."""
    return Dialog(
        Window(
            Tr(N_("Your vouchers:")),
            Format("{rows}", when="rows"),
            Tr(N_("You have no vouchers yet. Choose one under Rewards."), when="empty"),
            leave(),
            buttons_only(),
            getter=vouchers_getter,
            state=VouchersSG.vouchers,
        ),
    )
