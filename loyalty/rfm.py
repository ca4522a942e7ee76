"""RFM: members in segments by the recency and frequency of their purchases in the last year.

Recency and frequency are scored 1-5 on fixed steps (days since the last purchase, number
of purchases in the window), so a member who bought today is recent however small the
club. The segment names need only these two scores (monetary value would not move a
member from one to another), and are codes the channels translate. A purchase returned in
full is not counted.

The scores and the segment are one SQL statement, grouped in the database: a club of
500,000 members has millions of purchases a year, which must not be read into Python
(the bot would stop answering while it counted).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from models import Purchase
from models.statements import Statement, db_value

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


def _steps(column: str, op: str, count: int) -> str:
    """5 when `column op ?` holds for the first of `count` parameters, 4 for the next, ...,
    else 1."""
    whens = " ".join(f"WHEN {column} {op} ? THEN {5 - n}" for n in range(count))
    return f"CASE {whens} ELSE 1 END"


_recency = _steps("last_at", ">=", len(RECENCY_DAYS))
_frequency = _steps("n", ">=", len(FREQUENCY_COUNTS))
_segment = "CASE " + " ".join(f"WHEN {rule} THEN '{name}'" for name, rule in SEGMENT_RULES) + " END"
_SCORED = f"""
    SELECT member_id, r, f, {_segment} AS segment FROM (
        SELECT member_id, {_recency} AS r, {_frequency} AS f FROM (
            SELECT p.member_id, MAX(p.created_at) AS last_at, COUNT(*) AS n
            FROM purchase p JOIN member m ON m.id = p.member_id AND m.deleted_at IS NULL
            WHERE p.created_at > ? AND p.refunded_amount < p.amount
            GROUP BY p.member_id
        ) buyers
    ) scored
"""
_scored = Statement(Purchase, _SCORED)
_counts = Statement(Purchase, f"SELECT segment, COUNT(*) AS n FROM ({_SCORED}) s GROUP BY segment")
_members_of = Statement(
    Purchase, f"SELECT member_id FROM ({_SCORED}) s WHERE segment = ? ORDER BY member_id"
)


def _params(now: datetime) -> list[object]:
    """The parameters of `_SCORED`, in the order its `?` appear."""
    at = [db_value(Purchase, "created_at", now - timedelta(days=days)) for days in RECENCY_DAYS]
    since = db_value(Purchase, "created_at", now - timedelta(days=WINDOW_DAYS))
    return [*at, *reversed(FREQUENCY_COUNTS), since]


async def scores(now: datetime) -> dict[int, Score]:
    """Every buyer of the window, scored: for a few members (tests), not for the whole club."""
    rows = await _scored.rows(*_params(now))
    return {row["member_id"]: Score(row["r"], row["f"], row["segment"]) for row in rows}


async def members_of(segment: str, now: datetime) -> list[int]:
    """The ids of the members in `segment`, ascending."""
    return [row["member_id"] for row in await _members_of.rows(*_params(now), segment)]


async def segment_counts(now: datetime) -> dict[str, int]:
    """Members per segment, for /report."""
    counts = dict.fromkeys(SEGMENTS, 0)
    for row in await _counts.rows(*_params(now)):
        counts[row["segment"]] = row["n"]
    return counts
