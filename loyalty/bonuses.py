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


async def _bonus_once(member_id: int, points: int, reason: str, key: str, now: datetime) -> int:
    """Credit `points` once per key; returns what was credited now (0 when already paid)."""
    if points <= 0:
        return 0

    async def record() -> LedgerEntry:
        posted = await ledger.post(
            member_id,
            EntryKind.BONUS,
            points,
            reason,
            key,
            now=now,
            expires_at=await credit_expiry(now),
        )
        return posted.entry

    entry, replayed = await ledger.once(
        record, lambda: LedgerEntry.get_or_none(idempotency_key=key)
    )
    return 0 if replayed else entry.amount


async def birthday_bonus(member_id: int, year: int, *, now: datetime | None = None) -> int:
    """The birthday bonus, at most once per member per (calendar) year."""
    points = (await get_rules()).birthday_bonus
    return await _bonus_once(
        member_id, points, "birthday", f"birthday:{member_id}:{year}", now or utcnow()
    )


async def feedback_bonus(member_id: int, day: date, *, now: datetime | None = None) -> int:
    """A thank-you for feedback, at most once per member per day."""
    points = (await get_rules()).feedback_bonus
    key = f"feedback:{member_id}:{day.isoformat()}"
    return await _bonus_once(member_id, points, "feedback", key, now or utcnow())
