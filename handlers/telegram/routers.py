"""Every Telegram router of the bot, in the order the dispatcher must try them."""

from __future__ import annotations

from aiogram import Router

from handlers.telegram import member


def all_routers() -> list[Router]:
    # Staff routers go before the member routers: member.routers() ends with a catch-all.
    return [*member.routers()]
