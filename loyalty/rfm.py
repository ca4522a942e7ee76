"""RFM: members scored 1-5 on recency, frequency and monetary value of their purchases.

Scores are quintiles among the members who bought in the window, so they adapt to the
shop; the segment names are codes the channels translate.
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


def _quintile(value: float, ordered: list[float]) -> int:
    """1-5: the fifth of `ordered` (ascending) that `value` falls in."""
    below = sum(1 for v in ordered if v < value)
    return min(5, 1 + below * 5 // max(1, len(ordered)))


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
    recencies = sorted(-s[0] for s in stats.values())  # more recent is better
    frequencies = sorted(s[1] for s in stats.values())
    monetary = sorted(s[2] for s in stats.values())
    return {
        member: Score(_quintile(-s[0], recencies), _quintile(s[1], frequencies), _quintile(s[2], monetary))
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
