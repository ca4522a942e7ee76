"""The daily jobs once more, for a process that has just taken over the jobs lease: the one
that died may have held it at their time. Each is idempotent, so a repeat is harmless."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from jobs import birthdays, expiry, giftcards, tiers


async def catch_up(now: datetime, tz: ZoneInfo, birthday_time: time) -> None:
    if now.astimezone(tz).time() >= birthday_time:
        await birthdays.run(now, tz)
    await expiry.run(now)
    await giftcards.run(now)
    await tiers.run(now)
