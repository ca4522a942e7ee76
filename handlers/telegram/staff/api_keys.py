"""/apikeys: the owner makes, lists and revokes the keys of the HTTP API and sets their
webhooks; /webhooks: the events sent to them, and sending one again."""

from __future__ import annotations

from datetime import datetime

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from handlers.api.texts import (
    NO_DELIVERIES,
    NO_KEYS,
    created_text,
    delivery_line,
    key_line,
    replayed_text,
    revoked_text,
    webhook_set_text,
)
from handlers.format import listing
from handlers.i18n import N_, t
from handlers.telegram.staff.common import say
from handlers.telegram.workflow import Settings
from handlers.texts import branch_name
from loyalty import api_keys, webhooks
from loyalty.numbers import parse_id
from loyalty.staff.permissions import Action, require
from models import Branch, Staff

USAGE = N_(
    "Usage:\n/apikeys — the keys\n/apikeys new <branch number> <scopes> <name>\n"
    "/apikeys revoke <key number>\n/apikeys webhook <key number> <https://…|off>\n"
    "Scopes: {scopes}"
)


async def on_api_keys(
    message: Message,
    command: CommandObject,
    staff: Staff,
    locale: str,
    settings: Settings,
    now: datetime,
) -> None:
    require(staff, Action.API_KEYS)
    words = (command.args or "").split(maxsplit=3)
    if not words:
        keys = await api_keys.list_keys()
        lines = [
            key_line(key, branch_name(key.branch.name, locale), locale, settings.tz) for key in keys
        ]
        await say(message, "\n".join(lines) or t(NO_KEYS, locale))
    elif words[0] == "new" and len(words) == 4:
        new = await api_keys.create_key(parse_id(words[1]), words[2], words[3], now=now)
        branch = await Branch.get(id=new.key.branch_id)
        await say(message, created_text(new, branch_name(branch.name, locale), locale))
    elif words[0] == "revoke" and len(words) == 2:
        await say(
            message, revoked_text(await api_keys.revoke_key(parse_id(words[1]), now=now), locale)
        )
    elif words[0] == "webhook" and len(words) == 3:
        url = None if words[2].lower() == "off" else words[2]
        await say(
            message, webhook_set_text(await webhooks.set_webhook(parse_id(words[1]), url), locale)
        )
    else:
        scopes = listing((scope.value for scope in api_keys.Scope), locale)
        await say(message, t(USAGE, locale, scopes=scopes))


async def on_webhooks(
    message: Message,
    command: CommandObject,
    staff: Staff,
    locale: str,
    settings: Settings,
    now: datetime,
) -> None:
    require(staff, Action.API_KEYS)
    words = (command.args or "").split()
    if len(words) == 2 and words[0] == "replay":
        await say(
            message, replayed_text(await webhooks.replay(parse_id(words[1]), now=now), locale)
        )
        return
    lines = [delivery_line(d, locale, settings.tz) for d in await webhooks.recent()]
    await say(message, "\n".join(lines) or t(NO_DELIVERIES, locale))


def router() -> Router:
    commands = Router(name="staff.api_keys")
    commands.message.register(on_api_keys, Command("apikeys"), flags={"action": Action.API_KEYS})
    commands.message.register(on_webhooks, Command("webhooks"), flags={"action": Action.API_KEYS})
    return commands
