"""Bonuses that are not for a purchase: birthdays and feedback.

Sign-up and referral bonuses are paid where those happen (`members`, `earning`).
"""

from __future__ import annotations

from datetime import date, datetime

from loyalty import ledger
from loyalty.clock import utcnow
from loyalty.members import credit_expiry
from loyalty.rules import get_rules
from models import EntryKind, LedgerEntry


async def birthday_bonus(member_id: int, year: int, *, now: datetime | None = None) -> int:
    """The birthday bonus, at most once per member per (calendar) year."""
    now = now or utcnow()
    points = (await get_rules()).birthday_bonus
    if points <= 0:
        return 0
    key = f"birthday:{member_id}:{year}"

    async def record() -> LedgerEntry:
        return await ledger.post(
            member_id, EntryKind.BONUS, points, "birthday", key, now=now,
            expires_at=await credit_expiry(now),
        )

    entry, replayed = await ledger.once(record, lambda: LedgerEntry.get_or_none(idempotency_key=key))
    return 0 if replayed else entry.amount


async def feedback_bonus(member_id: int, day: date, *, now: datetime | None = None) -> int:
    """A thank-you for feedback, at most once per member per day."""
    now = now or utcnow()
    points = (await get_rules()).feedback_bonus
    if points <= 0:
        return 0
    key = f"feedback:{member_id}:{day.isoformat()}"

    async def record() -> LedgerEntry:
        return await ledger.post(
            member_id, EntryKind.BONUS, points, "feedback", key, now=now,
            expires_at=await credit_expiry(now),
        )

    entry, replayed = await ledger.once(record, lambda: LedgerEntry.get_or_none(idempotency_key=key))
    return 0 if replayed else entry.amount
