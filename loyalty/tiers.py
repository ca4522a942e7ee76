"""Tiers: qualified by purchase points earned in the tier window.

Upgrades happen as soon as a purchase qualifies; downgrades only at the periodic review,
so a refund or a quiet month does not take a member's status away mid-season.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.functions import Sum
from tortoise.transactions import in_transaction

from loyalty import notify
from loyalty.rules import ClubConfig, current_config, get_rules
from loyalty.rules import tiers as tier_ladder
from models import EntryKind, LedgerEntry, Member, Tier, TierChange
from models.queries import ledger as ledger_sql
from models.queries.ledger import TierWindow

# Points from purchases, net of refunds, count towards a tier; bonuses do not.
QUALIFYING_KINDS = (EntryKind.EARN, EntryKind.REFUND)


@dataclass(frozen=True)
class TierProgress:
    tier: Tier
    qualifying_points: int
    next_tier: Tier | None
    points_to_next: int


def window(member_id: int, now: datetime, window_days: int) -> TierWindow:
    """The member's points that count towards a tier as of `now`."""
    return TierWindow(member_id, QUALIFYING_KINDS, now - timedelta(days=window_days))


async def qualifying_points(member_id: int, now: datetime, window_days: int | None = None) -> int:
    days = window_days if window_days is not None else (await get_rules()).tier_window_days
    return await ledger_sql.qualifying_sum(window(member_id, now, days))


def tier_for(points: int, tiers: list[Tier], floor_id: int | None = None) -> Tier:
    """The highest tier whose threshold the points reach (tiers sorted by threshold), and
    never below the member's floor (`floor_id`), the tier staff or an import gave them."""
    best = tiers[0]
    for tier in tiers:
        if points >= tier.threshold or tier.id == floor_id:
            best = tier
    return best


async def progress(member: Member, now: datetime, config: ClubConfig | None = None) -> TierProgress:
    """Where the member stands; `config` is the set-up if the caller read it with the member."""
    config = config or await current_config()
    tiers = config.tiers
    points = await qualifying_points(member.id, now, config.rules.tier_window_days)
    current = next((t for t in tiers if t.id == member.tier_id), None) or tier_for(points, tiers)
    higher = [t for t in tiers if t.threshold > current.threshold]
    next_tier = higher[0] if higher else None
    to_next = max(0, next_tier.threshold - points) if next_tier else 0
    return TierProgress(current, points, next_tier, to_next)


async def review(
    member_id: int,
    now: datetime,
    *,
    allow_downgrade: bool,
    window_days: int | None = None,
    current_tier_id: int | None = None,
    tier_list: list[Tier] | None = None,
    points: int | None = None,
) -> TierChange | None:
    """Move the member to the tier their points qualify for; call inside a transaction.

    A caller that has just read the member inside the same transaction, under its row
    lock as a purchase does, passes its `current_tier_id` and the tiers (sorted by
    threshold), saving two queries, and may pass the qualifying `points` read in that
    transaction, saving a third. Such a caller only moves members up, so the member's
    floor, which only stops a move down, is not needed there. Otherwise the member is read
    under its row lock (PostgreSQL): a purchase at the same moment either commits first
    and counts, or waits.
    """
    floor_id = None
    if tier_list is None:
        locked = await Member.select_for_update().get(id=member_id)
        current_tier_id, floor_id = locked.tier_id, locked.tier_floor_id
    tiers = tier_list if tier_list is not None else await tier_ladder()
    if not tiers:
        return None
    current = next((t for t in tiers if t.id == current_tier_id), None)
    if not allow_downgrade and current is not None and current.id == tiers[-1].id:
        return None  # already at the top: nothing a purchase can change
    if points is None:
        points = await qualifying_points(member_id, now, window_days)
    target = tier_for(points, tiers, floor_id)
    if current is not None and target.id == current.id:
        return None
    if current is not None and target.threshold < current.threshold and not allow_downgrade:
        return None
    await Member.filter(id=member_id).update(tier_id=target.id)
    change = await TierChange.create(
        member_id=member_id, from_tier=current, to_tier=target, created_at=now
    )
    upgrade = current is None or target.threshold > current.threshold
    await notify.enqueue(
        member_id,
        "tier_up" if upgrade else "tier_down",
        f"tier:{change.id}",
        now=now,
        params={"tier": target.code, "tier_name": target.name or ""},
        new_key=True,
    )
    return change


async def review_all(now: datetime) -> int:
    """The periodic review: every member whose points no longer match their tier moves, down
    as well as up; returns how many moved.

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
    for member_id, tier_id, floor_id in (
        await Member.filter(deleted_at=None)
        .order_by("id")
        .values_list("id", "tier_id", "tier_floor_id")
    ):
        if tier_for(int(totals.get(member_id) or 0), tiers, floor_id).id == tier_id:
            continue
        async with in_transaction():
            if await review(member_id, now, allow_downgrade=True) is not None:
                changed += 1
    return changed
