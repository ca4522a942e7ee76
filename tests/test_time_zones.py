"""A `now` in another zone is the same instant: every answer is the one UTC gives.

SQLite keeps times as text and compares them as text, where "2026-03-01 12:00:00+03:30"
sorts after "2026-03-01 09:00:00+00:00" though it is half an hour earlier. Rows written
with one zone and asked about with another (a door that works in the club's local time,
a job in UTC) must still agree.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from loyalty import campaigns, earning, reports, rewards
from models import Purchase
from tests.conftest import NOW
from tests.helpers import member, reward

HOUR = timedelta(hours=1)
ZONES = {"utc": UTC, "tehran": ZoneInfo("Asia/Tehran")}


@pytest.mark.parametrize(
    ("written", "asked"),
    [("utc", "utc"), ("utc", "tehran"), ("tehran", "utc"), ("tehran", "tehran")],
)
async def test_the_same_instant_in_tehran_gives_the_same_answers(
    any_db: str, written: str, asked: str
) -> None:
    def w(at: datetime) -> datetime:
        return at.astimezone(ZONES[written])

    def a(at: datetime) -> datetime:
        return at.astimezone(ZONES[asked])

    m = await member(w(NOW))
    await earning.award_purchase(m.id, 500_000, receipt="r1", now=w(NOW))
    voucher = (await rewards.redeem_reward(m.id, (await reward(10)).id, now=w(NOW))).voucher
    campaign = await campaigns.create({}, "telegram", "Nowruz sale", now=w(NOW), status="draft")
    assert await campaigns.confirm(campaign.id, send_at=w(NOW + 5 * HOUR))
    stored = await Purchase.get(receipt="r1")
    assert stored.created_at == NOW and stored.created_at.utcoffset() == timedelta(0)

    # An hour before: the voucher is valid, the campaign not due, the purchase not yet made.
    assert await rewards.expire_vouchers(now=a(voucher.expires_at - HOUR)) == 0
    assert await campaigns.run_due(a(NOW + 4 * HOUR)) == []
    before = await reports.build(a(NOW - 24 * HOUR), a(NOW - HOUR), tz=ZONES[asked])
    assert (before.members_new, before.purchases_by_branch) == (0, {})

    # An hour after: all three.
    after = await reports.build(a(NOW - HOUR), a(NOW + HOUR), tz=ZONES[asked])
    assert after.members_new == 1
    assert [count for count, _ in after.purchases_by_branch.values()] == [1]
    assert await campaigns.run_due(a(NOW + 6 * HOUR)) == [campaign.id]
    assert await rewards.expire_vouchers(now=a(voucher.expires_at + HOUR)) == 1
