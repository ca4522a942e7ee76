"""The inbox: open feedback and messages, answered by replying to them."""

from __future__ import annotations

import re
from datetime import datetime

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from handlers.format import moment, number
from handlers.i18n import N_, t
from handlers.telegram.staff.common import ident, say
from handlers.telegram.workflow import Settings
from loyalty.numbers import parse_id
from loyalty.staff import inbox
from loyalty.staff.access import identify
from loyalty.staff.permissions import Action
from loyalty.text import to_ascii_digits
from models import InboxItem, InboxKind, Staff

# Each inbox message starts with its number, so a reply to it says which item it answers.
ITEM_MARK = re.compile(r"^#(\d+)")


def _item_text(item: InboxItem, locale: str, settings: Settings) -> str:
    member = item.member
    who = f"{member.first_name} {member.last_name}".strip() or member.phone or "-"
    head = f"#{ident(item.id, locale)} · {moment(item.created_at, locale, settings.tz)} · {who}"
    if item.kind is InboxKind.FEEDBACK and item.rating is not None:
        head += " · " + t(N_("rating {rating} of 5"), locale, rating=number(item.rating, locale))
    return f"{head}\n{item.text}"


async def on_inbox(message: Message, staff: Staff, locale: str, settings: Settings) -> None:
    items = await inbox.inbox(staff)
    if not items:
        await say(message, t(N_("The inbox is empty."), locale))
        return
    await say(
        message,
        t(
            N_("Open messages: {count}. Reply to one to answer the member."),
            locale,
            count=number(len(items), locale),
        ),
    )
    for item in items:
        await say(message, _item_text(item, locale, settings))


async def on_reply_command(
    message: Message, command: CommandObject, staff: Staff, locale: str, now: datetime
) -> None:
    parts = (command.args or "").split(maxsplit=1)
    if len(parts) != 2:
        await say(message, t(N_("Usage: /reply <message number> <text>"), locale))
        return
    await _answer(message, staff, parse_id(parts[0]), parts[1], locale, now)


async def _staff_reply_to_item(message: Message, settings: Settings) -> bool:
    """A staff member's reply to an inbox message; members' replies go to the member chat."""
    original = message.reply_to_message
    shaped = bool(
        original is not None
        and original.from_user is not None
        and original.from_user.is_bot
        and original.text
        and ITEM_MARK.match(to_ascii_digits(original.text))
        and message.text
        and not message.text.startswith("/")
        and message.from_user is not None
    )
    return shaped and await identify(message.from_user.id, settings.owner_ids) is not None  # type: ignore[union-attr]


async def on_reply(message: Message, staff: Staff, locale: str, now: datetime) -> None:
    assert message.reply_to_message is not None and message.reply_to_message.text is not None
    match = ITEM_MARK.match(to_ascii_digits(message.reply_to_message.text))
    assert match is not None
    await _answer(message, staff, int(match.group(1)), message.text or "", locale, now)


async def _answer(
    message: Message, staff: Staff, item_id: int, text: str, locale: str, now: datetime
) -> None:
    item = await inbox.answer(staff, item_id, text, now=now)
    await say(
        message, t(N_("Answer to #{id} sent to the member."), locale, id=ident(item.id, locale))
    )


def router() -> Router:
    commands = Router(name="staff.inbox")
    commands.message.register(on_inbox, Command("inbox"), flags={"action": Action.INBOX})
    commands.message.register(on_reply_command, Command("reply"), flags={"action": Action.INBOX})
    commands.message.register(on_reply, _staff_reply_to_item, flags={"action": Action.INBOX})
    return commands
