"""Every minute: the campaigns whose time has come (or that a crash left running) are queued."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from loyalty.campaigns import run_due


async def run(now: datetime, tz: ZoneInfo) -> list[int]:
    return await run_due(now, tz)
