"""RFM: members scored 1-5 on recency, frequency and monetary value of their purchases.

Recency and frequency are scored on fixed steps (days since the last purchase, number of
purchases in the window), so a member who bought today is recent however small the club;
monetary value is a quintile among the buyers in the window, so it adapts to the shop.
Ties share the higher quintile. The segment names are codes the channels translate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from models import Purchase

SEGMENTS = ("champions", "loyal", "new", "at_risk", "hibernating", "needs_attention")
WINDOW_DAYS = 365


@dataclass(frozen=True)
class Score:
    recency: int
    frequency: int
    monetary: int


RECENCY_DAYS = (30, 60, 120, 240)  # within 30 days: 5, ..., over 240 days: 1
FREQUENCY_COUNTS = (2, 3, 5, 10)  # 1 purchase: 1, 2: 2, 3-4: 3, 5-9: 4, 10 or more: 5


def _recency(days: float) -> int:
    return 5 - sum(1 for limit in RECENCY_DAYS if days > limit)


def _frequency(count: int) -> int:
    return 1 + sum(1 for limit in FREQUENCY_COUNTS if count >= limit)


def _quintile(value: float, ordered: list[float]) -> int:
    """1-5: the fifth of `ordered` (ascending) that `value` falls in; ties share the higher."""
    at_or_below = sum(1 for v in ordered if v <= value)
    return max(1, -(-at_or_below * 5 // max(1, len(ordered))))


def segment_of(score: Score) -> str:
    r, f = score.recency, score.frequency
    if r >= 4 and f >= 4:
        return "champions"
    if r >= 4 and f <= 1:
        return "new"
    if f >= 4:
        return "loyal" if r >= 3 else "at_risk"
    if r <= 2 and f >= 3:
        return "at_risk"
    if r <= 2:
        return "hibernating"
    return "needs_attention"


async def scores(now: datetime) -> dict[int, Score]:
    rows = await Purchase.filter(created_at__gt=now - timedelta(days=WINDOW_DAYS)).values(
        "member_id", "amount", "created_at"
    )
    stats: dict[int, list[float]] = {}
    for row in rows:
        days = (now - row["created_at"]).total_seconds() / 86400
        last, count, total = stats.get(row["member_id"], [float("inf"), 0, 0])
        stats[row["member_id"]] = [min(last, days), count + 1, total + row["amount"]]
    monetary = sorted(s[2] for s in stats.values())
    return {
        member: Score(_recency(s[0]), _frequency(int(s[1])), _quintile(s[2], monetary))
        for member, s in stats.items()
    }


async def segments(now: datetime) -> dict[int, str]:
    return {member: segment_of(score) for member, score in (await scores(now)).items()}


async def segment_counts(now: datetime) -> dict[str, int]:
    """Members per segment, for /report."""
    counts = dict.fromkeys(SEGMENTS, 0)
    for name in (await segments(now)).values():
        counts[name] += 1
    return counts
