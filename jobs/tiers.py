"""Daily: every member moves to the tier their points qualify for, down as well as up."""

from __future__ import annotations

from datetime import datetime, timedelta

from tortoise.functions import Sum
from tortoise.transactions import in_transaction

from loyalty.rules import get_rules
from loyalty.rules import tiers as tier_ladder
from loyalty.tiers import QUALIFYING_KINDS, review, tier_for
from models import LedgerEntry, Member


async def run(now: datetime) -> int:
    """Review the members whose points no longer match their tier.

    One grouped SUM over the window finds them, so a club of 500,000 members pays one scan
    and a transaction per member who moves, not a transaction per member; `review` then
    decides again inside its own transaction, where a purchase at the same moment counts.
    """
    tiers = await tier_ladder()
    if not tiers:
        return 0
    since = now - timedelta(days=(await get_rules()).tier_window_days)
    totals = dict(
        await LedgerEntry.filter(kind__in=QUALIFYING_KINDS, created_at__gt=since)
        .group_by("member_id")
        .annotate(total=Sum("amount"))
        .values_list("member_id", "total")
    )
    changed = 0
    for member_id, tier_id in (
        await Member.filter(deleted_at=None).order_by("id").values_list("id", "tier_id")
    ):
        if tier_for(int(totals.get(member_id) or 0), tiers).id == tier_id:
            continue
        async with in_transaction():
            if await review(member_id, now, allow_downgrade=True) is not None:
                changed += 1
    return changed
