"""Points expire oldest first; spending also takes the oldest points first.

Nothing in the ledger records which credit a debit consumed. Instead the credits are
ordered by expiry and every debit is charged against them in that order, so the
points still alive in each credit can be recomputed from the rows at any time, and
running the expiry twice expires nothing the second time.

Points given back are never a new credit with a new date. Undoing a credit (a refund, an
undo) carries the credit's own expiry, so it nets against that credit. Undoing a debit (a
voucher that lapses or is cancelled, an undo of a correction) is a reversal without an
expiry: it takes the debit out of what was spent, so the points are back in the credits
they came from, with their dates, exactly as if the debit had never been. Points whose
date passed meanwhile come back expired: `expire_due` writes their `expire` row in the
same transaction, so they are never spendable (see `rewards.cancel_voucher`). The one
exception is undoing an expiry, a deliberate gift of points back: those are a new credit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.transactions import in_transaction

from loyalty import ledger
from loyalty.clock import utcnow
from models import EntryKind, LedgerEntry, Member
from models.queries import ledger as ledger_sql


@dataclass(frozen=True)
class Lot:
    """Points credited together that expire together."""

    expires_at: datetime | None
    points: int


def live_lots(credits: dict[datetime | None, int], spent: int) -> list[Lot]:
    """The points still unspent in each credit, soonest to expire first.

    `credits` are the member's rows summed by expiry: every credit, and every credit's own
    reversal (a refund of a purchase carries the credit's expiry and is netted against
    it). `spent` is the sum of every other debit, less the reversals of those debits; it
    consumes the soonest-expiring points first.
    """
    alive: list[Lot] = []
    # Soonest expiry first; points that never expire are spent last.
    for expires_at in sorted(credits, key=lambda at: (at is None, at)):
        points = credits[expires_at]
        used = min(max(points, 0), spent)
        spent -= used
        if points - used > 0:
            alive.append(Lot(expires_at, points - used))
    return alive


async def lots_of(member_id: int) -> list[Lot]:
    credits: dict[datetime | None, int] = {}
    spent = 0
    for row in await ledger_sql.sums_by_expiry(member_id):
        if row.credit:
            credits[row.expires_at] = row.points
        else:
            spent = -row.points
    return live_lots(credits, spent)


def due(lots: list[Lot], at: datetime) -> int:
    return sum(lot.points for lot in lots if lot.expires_at is not None and lot.expires_at <= at)


async def expiring_within(member_id: int, now: datetime, until: datetime) -> list[Lot]:
    """Lots that will expire after `now` and by `until`, for "N points expire on ..."."""
    return [
        lot
        for lot in await lots_of(member_id)
        if lot.expires_at is not None and now < lot.expires_at <= until
    ]


async def expire_points(member_id: int, *, now: datetime | None = None) -> int:
    """Post one `expire` row for everything past its expiry; returns the points expired."""
    now = now or utcnow()
    async with in_transaction():
        # Locking the member serialises expiry with spending on PostgreSQL.
        await Member.select_for_update().filter(id=member_id).first()
        return await expire_due(member_id, now)


async def expire_due(member_id: int, now: datetime, *, returned: LedgerEntry | None = None) -> int:
    """`expire_points` inside the caller's transaction, which holds the member's row.

    `returned`: the reversal that just gave points back, whose expiry is keyed on it: the
    date's own key may already name the expiry of the rest of that credit.
    """
    lots = await lots_of(member_id)
    points = min(due(lots, now), max(await ledger.balance_of(member_id), 0))
    if points <= 0:
        return 0
    last = max(lot.expires_at for lot in lots if lot.expires_at and lot.expires_at <= now)
    key = f"expire:after:{returned.id}" if returned else f"expire:{member_id}:{last.isoformat()}"
    await ledger.post(member_id, EntryKind.EXPIRE, -points, "expired", key, now=now)
    return points


async def members_with_due_points(now: datetime) -> list[int]:
    """Members holding a credit whose expiry has passed (candidates, not all will expire)."""
    return await (
        LedgerEntry.filter(expires_at__lte=now, amount__gt=0)
        .distinct()
        .values_list("member_id", flat=True)
    )
