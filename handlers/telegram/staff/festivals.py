"""/festival: the owner's time-bound earning multipliers (Nowruz ×2, Yalda ×3): add one,
list them, end one early, announce one as a campaign draft."""

from __future__ import annotations

from datetime import datetime

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from handlers.festivals import announcement, staff_line
from handlers.format import number
from handlers.i18n import N_, t
from handlers.telegram.staff.campaigns import _confirm_keyboard
from handlers.telegram.staff.common import request_of, say
from handlers.telegram.workflow import Settings
from handlers.texts import tier_names
from loyalty import campaigns, festivals
from loyalty.numbers import parse_id
from loyalty.staff.permissions import Action, require
from loyalty.text import to_ascii_digits
from models import Festival, Staff, Tier

USAGE = N_(
    "Usage:\n/festival — the festivals running or to come\n"
    "/festival add <name> <multiplier> <first day> <last day> [branch=<number>] "
    "[group=<number or name>] [tier=<tier>]\n"
    "/festival end <number>\n/festival announce <number>\n"
    "Days as 1405/10/01 or 2026-12-22, a time as 1405/10/01T18:00."
)
NONE = N_("No festivals running or to come. Add one: /festival add Yalda 3 1405/09/30 1405/10/01")
# The filters of /festival add, English and Persian.
FILTERS = {
    "branch": "branch",
    "شعبه": "branch",
    "group": "group",
    "گروه": "group",
    "tier": "tier",
    "سطح": "tier",
}


async def on_festival(
    message: Message,
    command: CommandObject,
    staff: Staff,
    locale: str,
    settings: Settings,
    now: datetime,
) -> None:
    words = (command.args or "").split()
    verb = words[0].lower() if words else "list"
    if verb in ("list", "فهرست") and len(words) <= 1:
        shown = [staff_line(f, locale, settings.tz, now) for f in await festivals.listed(now)]
        await say(message, "\n".join(shown) or t(NONE, locale))
    elif verb in ("add", "افزودن") and len(words) >= 5:
        await _add(message, words[1:], staff, locale, settings, now)
    elif verb in ("end", "پایان") and len(words) == 2:
        ended = await festivals.end_festival(parse_id(words[1]), staff_id=staff.id, now=now)
        await say(
            message,
            t(N_("Festival ended:"), locale) + "\n" + staff_line(ended, locale, settings.tz, now),
        )
    elif verb in ("announce", "اعلام") and len(words) == 2:
        await _announce(message, parse_id(words[1]), staff, locale, settings, now)
    else:
        await say(message, t(USAGE, locale))


async def _add(
    message: Message,
    words: list[str],
    staff: Staff,
    locale: str,
    settings: Settings,
    now: datetime,
) -> None:
    """`<name> <multiplier> <first day> <last day> [filters]`: every value is read and
    checked before anything is written."""
    filters: dict[str, str] = {}
    while words and "=" in words[-1]:
        key, _, value = words.pop().partition("=")
        if FILTERS.get(key.lower()) is None or not value or FILTERS[key.lower()] in filters:
            await say(message, t(USAGE, locale))
            return
        filters[FILTERS[key.lower()]] = value
    if len(words) < 4:
        await say(message, t(USAGE, locale))
        return
    *name, raw_multiplier, first, last = words
    multiplier = festivals.read_multiplier(to_ascii_digits(raw_multiplier).lstrip("x×X"))
    starts_at = festivals.read_day(first, settings.tz, end=False, now=now)
    ends_at = festivals.read_day(last, settings.tz, end=True, now=now)
    names = tier_names([(tier.code, tier.name) for tier in await Tier.all()])
    festival = await festivals.add_festival(
        " ".join(name),
        multiplier,
        starts_at,
        ends_at,
        branch_id=await festivals.find_branch(filters["branch"]) if "branch" in filters else None,
        group_id=await festivals.find_group(filters["group"]) if "group" in filters else None,
        tier_id=await festivals.find_tier(filters["tier"], names) if "tier" in filters else None,
        staff_id=staff.id,
        key=request_of(message),
        now=now,
    )
    await say(
        message,
        t(N_("Festival added:"), locale) + "\n" + staff_line(festival, locale, settings.tz, now),
    )


async def _announce(
    message: Message,
    festival_id: int,
    staff: Staff,
    locale: str,
    settings: Settings,
    now: datetime,
) -> None:
    """A campaign draft by Telegram to the festival's members, with its Send button."""
    require(staff, Action.CAMPAIGN)
    festival: Festival = await festivals.get_festival(festival_id)
    audience: dict[str, object] = {}
    if festival.tier_id is not None:  # type: ignore[attr-defined]
        audience["tier"] = festival.tier.code
    if festival.branch_id is not None:  # type: ignore[attr-defined]
        audience["branch_id"] = festival.branch_id  # type: ignore[attr-defined]
    campaign = await campaigns.create(
        audience,
        "telegram",
        announcement(festival, locale, settings.tz),
        send_at=now,
        staff_id=staff.id,
        now=now,
        status="draft",
        key=request_of(message),
    )
    await message.answer(
        t(
            N_("Campaign #{id} (a draft) announces the festival:\n{text}\nSend it?"),
            locale,
            id=number(campaign.id, locale),
            text=campaign.text,
        ),
        parse_mode=None,
        reply_markup=_confirm_keyboard(campaign.id, locale),
    )


def router() -> Router:
    commands = Router(name="staff.festivals")
    commands.message.register(on_festival, Command("festival"), flags={"action": Action.FESTIVALS})
    return commands
