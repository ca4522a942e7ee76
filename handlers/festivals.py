"""Festivals as staff and members read them, in every door (chat, command line)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from handlers.format import moment, persian_digits
from handlers.i18n import N_, t
from handlers.texts import tier_name
from loyalty.festivals import shown_multiplier
from models import Festival

ANNOUNCEMENT = N_(
    "🎉 {name}: every purchase earns ×{multiplier} points{scope}, until {until}. See you soon!"
)


def times(festival: Festival, locale: str) -> str:
    """×3 in the reader's digits."""
    text = shown_multiplier(festival)
    return persian_digits(text) if locale == "fa" else text


def scope_text(festival: Festival, locale: str) -> str:
    """For whom it runs: `branch Main, group Coffee, tier Gold`, or every purchase."""
    parts = []
    if festival.branch_id is not None:  # type: ignore[attr-defined]
        parts.append(t(N_("branch {name}"), locale, name=festival.branch.name))
    if festival.product_group_id is not None:  # type: ignore[attr-defined]
        parts.append(t(N_("group {name}"), locale, name=festival.product_group.name))
    if festival.tier_id is not None:  # type: ignore[attr-defined]
        name = tier_name(festival.tier.code, festival.tier.name, locale)
        parts.append(t(N_("tier {name}"), locale, name=name))
    if not parts:
        return t(N_("every purchase"), locale)
    return ("، " if locale == "fa" else ", ").join(parts)


def staff_line(festival: Festival, locale: str, tz: ZoneInfo, now: datetime) -> str:
    """One festival in /festival and `club festival list`."""
    if festival.ended_at is not None or festival.ends_at <= now:
        state = N_("over")
    elif festival.starts_at <= now:
        state = N_("on now")
    else:
        state = N_("to come")
    return t(
        N_("#{id} {name} ×{multiplier}: {start} to {end}, {scope} ({state})"),
        locale,
        id=persian_digits(str(festival.id)) if locale == "fa" else festival.id,
        name=festival.name,
        multiplier=times(festival, locale),
        start=moment(festival.starts_at, locale, tz),
        end=moment(festival.ends_at, locale, tz),
        scope=scope_text(festival, locale),
        state=t(state, locale),
    )


def member_line(festival: Festival, locale: str, tz: ZoneInfo) -> str:
    """A running festival in the member's main menu."""
    return t(
        N_("🎉 {name}: points ×{multiplier} ({scope}) until {end}"),
        locale,
        name=festival.name,
        multiplier=times(festival, locale),
        scope=scope_text(festival, locale),
        end=moment(festival.ends_at, locale, tz),
    )


def announcement(festival: Festival, locale: str, tz: ZoneInfo) -> str:
    """A campaign's text announcing the festival, in the owner's language."""
    scoped = festival.branch_id or festival.product_group_id or festival.tier_id  # type: ignore[attr-defined]
    scope = f" ({scope_text(festival, locale)})" if scoped else ""
    return t(
        ANNOUNCEMENT,
        locale,
        name=festival.name,
        multiplier=times(festival, locale),
        scope=scope,
        until=moment(festival.ends_at, locale, tz),
    )
