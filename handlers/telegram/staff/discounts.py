"""/discounts: the owner's discount rules at the till and how they combine."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from handlers.i18n import N_, t
from handlers.telegram.staff.common import ident, say
from handlers.telegram.workflow import Settings
from handlers.till_texts import listing_text, rule_line
from loyalty.dates import parse_birthday as parse_date
from loyalty.numbers import parse_decimal, parse_id, parse_int
from loyalty.rules import get_rules
from loyalty.staff import discount_rules
from loyalty.staff.permissions import Action
from models import Staff

USAGE = N_(
    "Usage:\n/discounts — the rules\n/discounts spend <from amount> <percent> [branch]\n"
    "/discounts group <group number> <percent> [<from date> <until date>] [branch]\n"
    "/discounts off <rule number>\n/discounts stack on|off\n/discounts points paid|gross"
)
SWITCHES = {
    ("stack", "on"): ("discount_stacking", True),
    ("stack", "off"): ("discount_stacking", False),
    ("points", "paid"): ("points_on_paid", True),
    ("points", "gross"): ("points_on_paid", False),
}


def _percent(text: str) -> Decimal:
    value = parse_decimal(text.strip().rstrip("%٪"))
    return discount_rules.check_percent(value)


def _branch_arg(words: list[str]) -> int | None:
    return parse_id(words[0]) if words else None


async def on_discounts(
    message: Message,
    command: CommandObject,
    staff: Staff,
    locale: str,
    settings: Settings,
    now: datetime,
) -> None:
    words = (command.args or "").split()
    verb = words[0].lower() if words else ""
    if not words:
        await say(
            message,
            await listing_text(
                await discount_rules.rules_in_force(staff), await get_rules(), locale
            ),
        )
        return
    if verb == "spend" and len(words) in (3, 4):
        rule = await discount_rules.add_spend_level(
            staff,
            parse_int(words[1]),
            _percent(words[2]),
            branch_id=_branch_arg(words[3:]),
            now=now,
        )
    elif verb == "group" and 3 <= len(words) <= 6 and len(words) != 4:
        rest = words[3:]
        starts = ends = None
        if len(rest) >= 2:
            starts, ends = parse_date(rest[0], locale), parse_date(rest[1], locale)
            rest = rest[2:]
        rule = await discount_rules.add_group_discount(
            staff,
            parse_id(words[1]),
            _percent(words[2]),
            starts=starts,
            ends=ends,
            branch_id=_branch_arg(rest),
            now=now,
        )
    elif verb == "off" and len(words) == 2:
        rule = await discount_rules.remove(staff, parse_id(words[1]), now=now)
        await say(
            message, t(N_("Discount #{id} no longer applies."), locale, id=ident(rule.id, locale))
        )
        return
    elif (switch := SWITCHES.get((verb, words[-1].lower()))) and len(words) == 2:
        await discount_rules.set_switch(staff, *switch, now=now)
        await say(
            message,
            await listing_text(
                await discount_rules.rules_in_force(staff), await get_rules(), locale
            ),
        )
        return
    else:
        await say(message, t(USAGE, locale))
        return
    await say(
        message,
        t(N_("Discount added:"), locale) + " " + await rule_line(rule, locale),
    )


def router() -> Router:
    commands = Router(name="staff.discounts")
    commands.message.register(
        on_discounts, Command("discounts"), flags={"action": Action.DISCOUNTS}
    )
    return commands


__all__ = ["router"]
