"""Daily: every member moves to the tier their points qualify for, down as well as up."""

from __future__ import annotations

from datetime import datetime

from tortoise.transactions import in_transaction

from loyalty.audiences import active_member_ids
from loyalty.tiers import review


async def run(now: datetime) -> int:
    changed = 0
    for member_id in await active_member_ids():
        async with in_transaction():
            if await review(member_id, now, allow_downgrade=True) is not None:
                changed += 1
    return changed
