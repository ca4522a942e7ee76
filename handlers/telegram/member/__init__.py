"""The member's side of the Telegram bot: sign-up, the menu and everything under it."""

from __future__ import annotations

from aiogram import Router

from handlers.telegram.member import (
    birthday_picker,
    card,
    charity,
    delete,
    feedback,
    giftcards,
    history,
    invite,
    menu,
    messages,
    partners,
    points,
    profile,
    rewards,
    signup,
    surveys,
    vouchers,
)

DIALOGS = (
    signup,
    birthday_picker,
    menu,
    card,
    points,
    history,
    rewards,
    vouchers,
    giftcards,
    charity,
    partners,
    surveys,
    invite,
    feedback,
    messages,
    profile,
    delete,
)


def routers() -> list[Router]:
    """Commands first (so /start always works), then the dialogs, then the catch-all."""
    return [
        menu.commands_router(),
        surveys.invitations_router(),
        *(module.dialog() for module in DIALOGS),
        menu.fallback_router(),
    ]
