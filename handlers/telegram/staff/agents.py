"""/agents: the owner's agents (add, pay, set their terms, switch off, export);
/agent: an agent's own link and figures."""

from __future__ import annotations

from datetime import datetime

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, Message

from handlers.agents import (
    ADDED,
    NONE,
    OFF_DONE,
    TERMS_HOW,
    TERMS_SET,
    agents_xlsx,
    member_link,
    own_text,
    paid_text,
    staff_line,
)
from handlers.format import number
from handlers.i18n import N_, t
from handlers.telegram.staff.common import request_of, say
from loyalty import agents, audit
from loyalty.errors import LoyaltyError
from loyalty.numbers import parse_decimal
from loyalty.rules import get_rules
from loyalty.staff import team
from loyalty.staff.permissions import Action
from models import Staff, StaffInvite

USAGE = N_(
    "Usage:\n/agents — every agent's members and commission\n"
    "/agents add <name> [percent] [days]\n"
    "/agents pay <agent number or code> <amount>\n"
    "/agents set <agent number or code> percent=<p> days=<d>\n"
    "/agents off <agent number or code>\n"
    "/agents export — as a spreadsheet"
)
ADD_WORDS = ("add", "افزودن")
PAY_WORDS = ("pay", "پرداخت")
EXPORT_WORDS = ("export", "خروجی")
SET_WORDS = ("set", "تغییر")
OFF_WORDS = ("off", "خاموش")
LIST_WORDS = ("list", "فهرست")


async def on_agents(
    message: Message, command: CommandObject, staff: Staff, locale: str, now: datetime
) -> None:
    words = (command.args or "").split()
    verb = words[0].lower() if words else "list"
    currency = (await get_rules()).currency
    if verb in LIST_WORDS and len(words) <= 1:
        lines = [staff_line(f, currency, locale) for f in await agents.figures()]
        await say(message, "\n\n".join(lines) or t(NONE, locale))
    elif verb in ADD_WORDS and len(words) >= 2:
        await _add(message, words[1:], staff, locale, now)
    elif verb in PAY_WORDS and len(words) == 3:
        # Every part read before anything is written.
        amount = agents.read_money(words[2])
        agent = await agents.by_reference(words[1])
        paid = await agents.pay(agent.id, amount, staff=staff, key=request_of(message), now=now)
        due = paid.agent.accrued - paid.agent.paid
        await say(message, paid_text(paid.agent.name, amount, due, currency, locale))
    elif verb in SET_WORDS and len(words) >= 3:
        await _set(message, words[1], words[2:], staff, locale, now)
    elif verb in OFF_WORDS and len(words) == 2:
        agent = await agents.switch_off(
            (await agents.by_reference(words[1])).id, staff=staff, now=now
        )
        await say(message, t(OFF_DONE, locale, name=agent.name))
    elif verb in EXPORT_WORDS and len(words) == 1:
        rows = await agents.figures()
        await audit.record("agents_export", staff_id=staff.id, now=now, rows=len(rows))
        await message.answer_document(
            BufferedInputFile(agents_xlsx(rows, locale), filename="agents.xlsx"),
            caption=t(
                N_("Agents and commission: {count} rows."), locale, count=number(len(rows), locale)
            ),
        )
    else:
        await say(message, t(USAGE, locale))


async def _add(
    message: Message, words: list[str], staff: Staff, locale: str, now: datetime
) -> None:
    """`<name> [percent] [days]`: trailing numbers are the terms, the rest the name."""
    terms: list[str] = []
    while len(words) > 1 and len(terms) < 2 and _is_number(words[-1]):
        terms.insert(0, words.pop())
    percent = agents.read_percent(terms[0]) if terms else None
    days = agents.read_days(terms[1]) if len(terms) > 1 else None
    agent = await agents.add_agent(
        " ".join(words), percent=percent, days=days, staff=staff, key=request_of(message), now=now
    )
    me = await message.bot.me()  # type: ignore[union-attr]
    invite = await StaffInvite.get(id=agent.invite_id)  # type: ignore[attr-defined]
    currency = (await get_rules()).currency
    figures = (await agents.figures([agent]))[0]
    invite_link = f"https://t.me/{me.username}?start={team.invite_payload(invite)}"
    await say(
        message,
        t(
            ADDED,
            locale,
            line=staff_line(figures, currency, locale),
            link=member_link(me.username, agent.code),
            code=agent.code,
            invite=invite_link,
        ),
    )


async def _set(
    message: Message, reference: str, words: list[str], staff: Staff, locale: str, now: datetime
) -> None:
    """`<agent> percent=<p> days=<d>` (one or both); every part read before anything is written."""
    terms: dict[str, str] = {}
    for word in words:
        key, sep, value = word.partition("=")
        key = {"درصد": "percent", "روز": "days"}.get(key.lower(), key.lower())
        if not sep or not value or key not in ("percent", "days") or key in terms:
            await say(message, t(TERMS_HOW, locale))
            return
        terms[key] = value
    percent = agents.read_percent(terms["percent"]) if "percent" in terms else None
    days = agents.read_days(terms["days"]) if "days" in terms else None
    agent = await agents.by_reference(reference)
    agent = await agents.set_terms(agent.id, percent=percent, days=days, staff=staff, now=now)
    figures = (await agents.figures([agent]))[0]
    line = staff_line(figures, (await get_rules()).currency, locale)
    await say(message, t(TERMS_SET, locale, line=line))


def _is_number(word: str) -> bool:
    try:
        parse_decimal(word)
    except LoyaltyError:
        return False
    return True


async def on_agent(message: Message, staff: Staff, locale: str) -> None:
    agent = await agents.of_staff(staff)
    figures = (await agents.figures([agent]))[0]
    me = await message.bot.me()  # type: ignore[union-attr]
    currency = (await get_rules()).currency
    members = await agents.brought(agent)
    await say(
        message, own_text(figures, members, member_link(me.username, agent.code), currency, locale)
    )


def router() -> Router:
    commands = Router(name="staff.agents")
    commands.message.register(on_agents, Command("agents"), flags={"action": Action.AGENTS})
    commands.message.register(on_agent, Command("agent"), flags={"action": Action.AGENT_SELF})
    return commands
