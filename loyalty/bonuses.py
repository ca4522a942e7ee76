"""Bonuses that are not for a purchase: birthdays and feedback.

Sign-up and referral bonuses are paid where those happen (`members`, `earning`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from loyalty import ledger
from loyalty.clock import utcnow
from loyalty.members import credit_expiry
from loyalty.rules import get_rules
from models import ClubRules, EntryKind, LedgerEntry


@dataclass(frozen=True)
class Bonus:
    """What one keyed bonus paid: now, or on an earlier run (a repeat pays nothing more)."""

    points: int  # 0: the rules give none
    replayed: bool

    @property
    def paid_now(self) -> int:
        return 0 if self.replayed else self.points


async def _bonus_once(member_id: int, points: int, reason: str, key: str, now: datetime) -> Bonus:
    """Credit `points` once per key."""
    if points <= 0:
        return Bonus(0, replayed=False)

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
    return Bonus(entry.amount, replayed)


def birthday_gift_offered(rules: ClubRules) -> bool:
    """Whether the club gives anything on a birthday (points, or a voucher): only then may
    a door promise a gift for it."""
    return rules.birthday_bonus > 0 or rules.birthday_reward_id is not None


async def birthday_bonus(member_id: int, year: int, *, now: datetime | None = None) -> Bonus:
    """The birthday bonus, at most once per member per (calendar) year; a run again after a
    crash is told the bonus paid the first time, so the wish still mentions it."""
    points = (await get_rules()).birthday_bonus
    return await _bonus_once(
        member_id, points, "birthday", f"birthday:{member_id}:{year}", now or utcnow()
    )


async def feedback_bonus(member_id: int, day: date, *, now: datetime | None = None) -> int:
    """A thank-you for feedback, at most once per member per day."""
    points = (await get_rules()).feedback_bonus
    key = f"feedback:{member_id}:{day.isoformat()}"
    return (await _bonus_once(member_id, points, "feedback", key, now or utcnow())).paid_now
