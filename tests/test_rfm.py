"""RFM segments from purchases, grouped in the database (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

from loyalty.audiences import count, values
from loyalty.erasure import delete_member_data
from loyalty.rfm import Score, members_of, scores, segment_counts
from loyalty.rules import default_branch
from models import Member, Purchase
from tests.conftest import NOW
from tests.jobs_helpers import make_member


async def buyer(*days_ago: float, amount: int = 100_000, refunded: int = 0) -> Member:
    """A member with one purchase per entry of `days_ago`."""
    member = await make_member(NOW)
    branch = await default_branch()
    for n, days in enumerate(days_ago):
        await Purchase.create(
            branch=branch,
            receipt=f"{member.id}-{n}",
            member=member,
            amount=amount,
            refunded_amount=refunded,
            points=10,
            created_at=NOW - timedelta(days=days),
        )
    return member


async def test_scores_on_their_steps_and_every_segment(any_db: str) -> None:
    champion = await buyer(31, 40, 50, 55, 59)  # last within 60 days (4), five purchases (4)
    new = await buyer(30)  # within 30 days (5), one purchase (1)
    loyal = await buyer(
        61, 70, 80, 90, 100, 110, 119, 120, 121, 200
    )  # within 120 days (3), ten (5)
    at_risk = await buyer(121, 200, 239)  # within 240 days (2), three (3)
    hibernating = await buyer(241, 364)  # older (1), two (2)
    attention = await buyer(100, 110)  # within 120 days (3), two (2)
    assert await scores(NOW) == {
        champion.id: Score(4, 4, "champions"),
        new.id: Score(5, 1, "new"),
        loyal.id: Score(3, 5, "loyal"),
        at_risk.id: Score(2, 3, "at_risk"),
        hibernating.id: Score(1, 2, "hibernating"),
        attention.id: Score(3, 2, "needs_attention"),
    }
    assert await segment_counts(NOW) == {
        "champions": 1,
        "loyal": 1,
        "new": 1,
        "at_risk": 1,
        "hibernating": 1,
        "needs_attention": 1,
    }


async def test_only_the_last_year_of_real_purchases_of_present_members_counts(any_db: str) -> None:
    returned = await buyer(5, 6, 7, 8, 9, refunded=100_000)  # all returned in full
    partly = await buyer(5, 6, 7, 8, 9, refunded=50_000)  # half returned: still bought
    old = await buyer(366, 400)  # before the window
    gone = await buyer(1, 2, 3, 4, 5)
    await delete_member_data(gone.id, now=NOW)
    scored = await scores(NOW)
    assert scored == {partly.id: Score(5, 4, "champions")}
    assert returned.id not in scored and old.id not in scored
    assert await segment_counts(NOW) == {
        "champions": 1,
        "loyal": 0,
        "new": 0,
        "at_risk": 0,
        "hibernating": 0,
        "needs_attention": 0,
    }


async def test_a_segment_as_a_campaign_audience(any_db: str) -> None:
    first = await buyer(1)
    await buyer(1, 2, 3, 4, 5)
    second = await buyer(2)
    await make_member(NOW)  # never bought: in no segment
    assert await members_of("new", NOW) == [first.id, second.id]
    assert await values({"rfm": "new"}, NOW, NOW.date(), ("id",)) == [(first.id,), (second.id,)]
    assert await count({"rfm": "new"}, NOW, NOW.date()) == 2
    assert await members_of("at_risk", NOW) == []
