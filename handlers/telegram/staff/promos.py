"""/promo: the owner's promo codes, made with their limits and listed with their figures."""

from __future__ import annotations

from datetime import datetime

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from handlers.format import number
from handlers.i18n import N_, t
from handlers.promo_texts import batch_line, gives_text, promo_line, promo_spec
from handlers.telegram.staff.common import say
from loyalty import promos
from loyalty.numbers import parse_id
from loyalty.staff import promo_codes
from loyalty.staff.permissions import Action
from models import PromoBatch, Staff

USAGE = N_(
    "Usage:\n/promo — the codes and their figures\n"
    "/promo add <CODE> <10%|50000|+20pts> [from=<date>] [until=<date>] [min=<amount>] "
    "[tier=<silver>] [branch=<number>] [group=<number>] [uses=<n>] [per=<n>]\n"
    "/promo batch <PREFIX> <10%|50000|+20pts> campaign=<number> [from=<date>] "
    "[until=<date>] [min=<amount>] [tier=<silver>] [branch=<number>] [group=<number>] — "
    "a code for each recipient of the campaign, in place of {code} in its text\n"
    "/promo off <CODE|PREFIX>"
)


async def on_promo(
    message: Message, command: CommandObject, staff: Staff, locale: str, now: datetime
) -> None:
    words = (command.args or "").split()
    verb = words[0].lower() if words else "list"
    if verb == "list" and len(words) <= 1:
        found = await promo_codes.promo_list(staff)
        lines = [promo_line(promo, locale) for promo in found]
        lines += [batch_line(f, locale) for f in await promo_codes.batch_list(staff)]
        await say(message, "\n".join(lines) or t(N_("No promo codes yet."), locale))
    elif verb == "add" and len(words) >= 3:
        promo = await promo_codes.add_promo(staff, promo_spec(words[1:], locale), now=now)
        await say(message, t(N_("Promo code added:"), locale) + " " + promo_line(promo, locale))
    elif verb == "batch" and len(words) >= 4:
        campaign = [w for w in words[3:] if w.lower().startswith("campaign=")]
        rest = [w for w in words[3:] if w not in campaign]
        if len(campaign) != 1 or any(w.split("=")[0].lower() in ("uses", "per") for w in rest):
            await say(message, t(USAGE, locale))
            return
        campaign_id = parse_id(campaign[0].partition("=")[2])
        spec = promo_spec(words[1:3] + rest, locale)
        batch = await promo_codes.add_batch(staff, spec, campaign_id, now=now)
        await say(
            message,
            t(
                N_(
                    "Promo batch {prefix} added to campaign {campaign}: each recipient gets "
                    "their own code, {gives}, for one purchase of theirs."
                ),
                locale,
                prefix=batch.prefix,
                campaign=number(campaign_id, locale),
                gives=gives_text(batch, locale),
            ),
        )
    elif verb == "off" and len(words) == 2:
        if await PromoBatch.exists(prefix=promos.normal(words[1]), active=True):
            batch = await promo_codes.withdraw_batch(staff, words[1], now=now)
            await say(
                message, t(N_("Promo batch {prefix} withdrawn."), locale, prefix=batch.prefix)
            )
            return
        promo = await promo_codes.withdraw(staff, words[1], now=now)
        await say(message, t(N_("Promo code {code} withdrawn."), locale, code=promo.code))
    else:
        await say(message, t(USAGE, locale))


def router() -> Router:
    commands = Router(name="staff.promos")
    commands.message.register(on_promo, Command("promo"), flags={"action": Action.PROMOS})
    return commands
