"""RFM: members in segments by the recency and frequency of their purchases in the last year.

Recency and frequency are scored 1-5 on fixed steps (days since the last purchase, number
of purchases in the window), so a member who bought today is recent however small the
club. The segment names need only these two scores (monetary value would not move a
member from one to another), and are codes the channels translate. A purchase returned in
full is not counted.

The scores and the segment are one SQL statement (`models.queries.reports`), grouped in
the database: a club of 500,000 members has millions of purchases a year, which must not
be read into Python (the bot would stop answering while it counted).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from models.queries.reports import RfmScores

SEGMENTS = ("champions", "loyal", "new", "at_risk", "hibernating", "needs_attention")
WINDOW_DAYS = 365

RECENCY_DAYS = (30, 60, 120, 240)  # bought within 30 days: 5, ..., over 240 days ago: 1
FREQUENCY_COUNTS = (2, 3, 5, 10)  # 1 purchase: 1, 2: 2, 3-4: 3, 5-9: 4, 10 or more: 5

# The first rule that holds names the segment; its conditions are SQL over r and f.
SEGMENT_RULES = (
    ("champions", "r >= 4 AND f >= 4"),
    ("new", "r >= 4 AND f <= 1"),
    ("loyal", "f >= 4 AND r >= 3"),
    ("at_risk", "f >= 3 AND r <= 2"),
    ("hibernating", "r <= 2"),
    ("needs_attention", "1 = 1"),
)


@dataclass(frozen=True)
class Score:
    recency: int
    frequency: int
    segment: str


_rfm = RfmScores(SEGMENT_RULES, len(RECENCY_DAYS), len(FREQUENCY_COUNTS))


def _bounds(now: datetime) -> tuple[list[datetime], list[int], datetime]:
    """The scores' bounds as of `now`: recency's and frequency's, highest score first, and
    the window's start."""
    recency = [now - timedelta(days=days) for days in RECENCY_DAYS]
    return recency, list(reversed(FREQUENCY_COUNTS)), now - timedelta(days=WINDOW_DAYS)


async def scores(now: datetime) -> dict[int, Score]:
    """Every buyer of the window, scored: for a few members (tests), not for the whole club."""
    rows = await _rfm.scores(*_bounds(now))
    return {row["member_id"]: Score(row["r"], row["f"], row["segment"]) for row in rows}


async def members_of(segment: str, now: datetime) -> list[int]:
    """The ids of the members in `segment`, ascending."""
    return await _rfm.members_of(segment, *_bounds(now))


async def segment_counts(now: datetime) -> dict[str, int]:
    """Members per segment, for /report."""
    counts = dict.fromkeys(SEGMENTS, 0)
    for row in await _rfm.counts(*_bounds(now)):
        counts[row["segment"]] = row["n"]
    return counts
