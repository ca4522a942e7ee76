"""/panel: a one-time link that signs this member of staff in to the web panel, and a
button that opens the panel inside Telegram as a Mini App (signed in by Telegram)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message, WebAppInfo

from handlers.format import number
from handlers.i18n import N_, t
from handlers.telegram.staff.common import say
from loyalty.staff import panel
from loyalty.staff.permissions import Action
from models import Staff

NO_ADDRESS = N_(
    "The panel needs the club's public HTTPS address (WEB_APP_URL or an HTTPS WEBHOOK_URL)."
)
LINK = N_("Your panel link, good once for {minutes} minutes. Do not share it:\n{link}")
OPEN = N_("Open the panel")


async def on_panel(
    message: Message, staff: Staff, locale: str, now: datetime, settings: Any
) -> None:
    base = getattr(settings, "pages_url", None)  # the club's pages at a public HTTPS address
    if base is None:
        await say(message, t(NO_ADDRESS, locale))
        return
    token = await panel.issue_link(staff, now=now)
    minutes = int(panel.LINK_LIFETIME.total_seconds() // 60)
    link = f"{base.rstrip('/')}/panel/signin?token={token}"
    text = t(LINK, locale, minutes=number(minutes, locale), link=link)
    # Telegram opens a Mini App only from HTTPS (pages_url is; checked again all the same),
    # and offers its button in a private chat only.
    if not base.startswith("https://") or message.chat.type != "private":
        await say(message, text)
        return
    app = WebAppInfo(url=f"{base.rstrip('/')}/panel/app")
    button = InlineKeyboardButton(text=t(OPEN, locale), web_app=app)
    markup = InlineKeyboardMarkup(inline_keyboard=[[button]])
    await message.answer(text, parse_mode=None, reply_markup=markup)  # plain, as `say`


def router() -> Router:
    commands = Router(name="staff.panel")
    commands.message.register(on_panel, Command("panel"), flags={"action": Action.PANEL})
    return commands
