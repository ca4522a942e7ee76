"""/causes: the owner's charity causes members give points to: list, add, take one off."""

from __future__ import annotations

from datetime import datetime

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from handlers.charity import staff_line
from handlers.i18n import N_, t
from handlers.telegram.staff.common import request_of, say
from loyalty import charity
from loyalty.numbers import parse_id
from loyalty.rules import get_rules
from loyalty.staff.permissions import Action
from models import Staff

USAGE = N_(
    "Usage:\n/causes — the charity causes and what members gave them\n"
    "/causes add <toman a point is worth> <name> | <description> [| <target points>]\n"
    "/causes off <number>"
)
NONE = N_("No charity causes yet. Add one: /causes add 1000 Children's hospital | Medicines")
ADDED = N_("Cause added:")
ENDED = N_("Cause off: it takes no more gifts.")


async def on_causes(
    message: Message, command: CommandObject, staff: Staff, locale: str, now: datetime
) -> None:
    words = (command.args or "").split(maxsplit=2)
    verb = words[0].lower() if words else "list"
    currency = (await get_rules()).currency
    if verb in ("list", "فهرست") and len(words) <= 1:
        shown = [
            staff_line(s, currency, locale) for s in await charity.standings(active_only=False)
        ]
        await say(message, "\n\n".join(shown) or t(NONE, locale))
    elif verb in ("add", "افزودن") and len(words) == 3:
        await _add(message, words[1], words[2], staff, locale, now)
    elif verb in ("off", "خاموش") and len(words) == 2:
        await charity.end_cause(parse_id(words[1]), staff_id=staff.id, now=now)
        await say(message, t(ENDED, locale))
    else:
        await say(message, t(USAGE, locale))


async def _add(
    message: Message, raw_value: str, rest: str, staff: Staff, locale: str, now: datetime
) -> None:
    """`<value> <name> | <description> [| <target>]`: every part read before anything is written."""
    parts = [part.strip() for part in rest.split("|")]
    if len(parts) > 3 or not parts[0]:
        await say(message, t(USAGE, locale))
        return
    value = charity.read_point_value(raw_value)
    target = charity.read_target(parts[2]) if len(parts) == 3 else None
    cause = await charity.add_cause(
        parts[0],
        value,
        description=parts[1] if len(parts) > 1 else "",
        target=target,
        staff_id=staff.id,
        key=request_of(message),
        now=now,
    )
    standing = charity.Standing(cause, 0, 0)
    currency = (await get_rules()).currency
    await say(message, t(ADDED, locale) + "\n" + staff_line(standing, currency, locale))


def router() -> Router:
    commands = Router(name="staff.causes")
    commands.message.register(on_causes, Command("causes"), flags={"action": Action.CHARITY})
    return commands
