"""Inviting friends: the member's own deep link and how many joined through it."""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram_dialog import Dialog, DialogManager, Window
from aiogram_dialog.widgets.link_preview import LinkPreview

from handlers.format import number
from handlers.i18n import N_
from handlers.telegram.member.common import current_member
from handlers.telegram.member.states import InviteSG
from handlers.telegram.widgets import Tr, buttons_only, leave, locale_of
from loyalty import members


async def invite_getter(dialog_manager: DialogManager, bot: Bot, **kwargs: Any) -> dict[str, Any]:
    member = await current_member(dialog_manager)
    me = await bot.me()
    code = member.referral_code if member else ""
    joined = await members.referral_count(member.id) if member else 0
    return {
        "link": f"https://t.me/{me.username}?start=ref_{code}",
        "count": number(joined, locale_of(dialog_manager)),
    }


def dialog() -> Dialog:
    """A fresh dialog: a router can belong to one dispatcher only."""
    return Dialog(
        Window(
            Tr(
                N_(
                    "Send this link to your friends. When a friend joins and makes a first "
                    "purchase, you both get points:\n{link}\n\n"
                    "Friends who joined through you: {count}"
                )
            ),
            leave(),
            LinkPreview(is_disabled=True),
            buttons_only(),
            getter=invite_getter,
            state=InviteSG.invite,
        ),
    )
