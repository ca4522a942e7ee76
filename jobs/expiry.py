"""Daily: expire points past their date, remind members 30 and 7 days ahead, close old vouchers."""

from __future__ import annotations

from datetime import datetime, timedelta

from loyalty import notify
from loyalty.audiences import members_with_points_expiring
from loyalty.expiry import expire_points, expiring_within, members_with_due_points
from loyalty.rewards import expire_vouchers

REMINDER_DAYS = (30, 7)


async def run(now: datetime) -> dict[str, int]:
    expired = 0
    for member_id in await members_with_due_points(now):
        expired += await expire_points(member_id, now=now)
    reminders = await remind(now)
    vouchers = await expire_vouchers(now=now)
    return {"expired": expired, "reminders": reminders, "vouchers": vouchers}


async def remind(now: datetime) -> int:
    """One reminder per lot for each horizon; the 30-day one is skipped inside 7 days."""
    sent = 0
    for member_id in await members_with_points_expiring(now, timedelta(days=max(REMINDER_DAYS))):
        for lot in await expiring_within(member_id, now, now + timedelta(days=max(REMINDER_DAYS))):
            assert lot.expires_at is not None
            left = lot.expires_at - now
            horizon = min(d for d in REMINDER_DAYS if left <= timedelta(days=d))
            key = f"expiry:{horizon}:{member_id}:{lot.expires_at.date().isoformat()}"
            await notify.enqueue(
                member_id,
                "expiry_reminder",
                key,
                now=now,
                params={"points": lot.points, "date": lot.expires_at.date().isoformat()},
            )
            sent += 1
    return sent
