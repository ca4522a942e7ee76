"""Daily: every member moves to the tier their points qualify for, down as well as up."""

from __future__ import annotations

from datetime import datetime

from loyalty.tiers import review_all


async def run(now: datetime) -> int:
    return await review_all(now)
