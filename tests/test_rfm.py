"""RFM segments from purchases."""

from __future__ import annotations

from datetime import timedelta

from loyalty.rfm import Score, segment_counts, segment_of, segments
from models import Purchase
from loyalty.rules import default_branch
from tests.conftest import NOW
from tests.jobs_helpers import make_member


def test_segment_names() -> None:
    assert segment_of(Score(5, 5, 5)) == "champions"
    assert segment_of(Score(5, 1, 1)) == "new"
    assert segment_of(Score(3, 4, 3)) == "loyal"
    assert segment_of(Score(1, 4, 4)) == "at_risk"
    assert segment_of(Score(1, 1, 1)) == "hibernating"
    assert segment_of(Score(3, 2, 2)) == "needs_attention"


async def test_frequent_recent_buyer_is_a_champion(db: str) -> None:
    branch = await default_branch()
    members = [await make_member(NOW) for _ in range(5)]
    for index, member in enumerate(members):
        # member 0: bought once, a year ago; member 4: bought often, yesterday
        for n in range(index + 1):
            await Purchase.create(branch=branch, receipt=f"{index}-{n}", member=member, amount=100_000 * (index + 1),
                                  points=10, created_at=NOW - timedelta(days=300 - 70 * index + n))
    chosen = await segments(NOW)
    assert chosen[members[4].id] == "champions"
    assert chosen[members[0].id] == "hibernating"
    assert sum((await segment_counts(NOW)).values()) == 5
