"""/apikeys: the owner makes, lists and revokes the keys of the HTTP API."""

from __future__ import annotations

from datetime import datetime

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bot.settings import Settings
from handlers.api.texts import NO_KEYS, created_text, key_line, revoked_text
from handlers.i18n import N_, t
from handlers.telegram.staff.common import parse_int, say
from loyalty import api_keys
from loyalty import staff as staff_rules
from models import Branch, Staff, StaffRole

router = Router(name="staff.api_keys")

USAGE = N_(
    "Usage:\n/apikeys — the keys\n/apikeys new <branch number> <scopes> <name>\n"
    "/apikeys revoke <key number>\nScopes: {scopes}"
)


@router.message(Command("apikeys"))
async def on_api_keys(
    message: Message,
    command: CommandObject,
    staff: Staff,
    locale: str,
    settings: Settings,
    now: datetime,
) -> None:
    staff_rules.require(staff, StaffRole.OWNER)
    words = (command.args or "").split(maxsplit=3)
    if not words:
        keys = await api_keys.list_keys()
        lines = [key_line(key, key.branch.name, locale, settings.tz) for key in keys]
        await say(message, "\n".join(lines) or t(NO_KEYS, locale))
    elif words[0] == "new" and len(words) == 4:
        new = await api_keys.create_key(parse_int(words[1]), words[2], words[3], now=now)
        branch = await Branch.get(id=new.key.branch_id)
        await say(message, created_text(new, branch.name, locale))
    elif words[0] == "revoke" and len(words) == 2:
        await say(
            message, revoked_text(await api_keys.revoke_key(parse_int(words[1]), now=now), locale)
        )
    else:
        scopes = ", ".join(scope.value for scope in api_keys.Scope)
        await say(message, t(USAGE, locale, scopes=scopes))
