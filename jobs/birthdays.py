"""Daily: a birthday wish (and the optional bonus) for each member whose birthday is today."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from loyalty import notify
from loyalty.audiences import birthday_year, birthdays_on
from loyalty.bonuses import birthday_bonus
from models import LedgerEntry


async def run(now: datetime, tz: ZoneInfo, *, bonus: bool = True) -> int:
    """Enqueue today's wishes; returns how many members were greeted (again: idempotent)."""
    today = now.astimezone(tz).date()
    members = await birthdays_on(today)
    for member in members:
        year = birthday_year(member, today)
        points = 0
        if bonus:
            await birthday_bonus(member.id, year, now=now)
            # Read the amount back, so a rerun after a crash still mentions the gift.
            entry = await LedgerEntry.get_or_none(idempotency_key=f"birthday:{member.id}:{year}")
            points = entry.amount if entry else 0
        await notify.enqueue(
            member.id, "birthday", f"birthday:{member.id}:{year}", now=now, params={"bonus": points}
        )
    return len(members)
