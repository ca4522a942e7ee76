"""The one place the domain asks what time it is; every operation accepts `now` instead."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo


def utcnow() -> datetime:
    return datetime.now(UTC)


def local_day_start(now: datetime, tz: ZoneInfo, days_back: int) -> datetime:
    """The local midnight `days_back` days before today's, in UTC.

    In UTC because every time is stored so, and SQLite compares stored times as text: a
    Tehran midnight written "00:00:00+03:30" sorts after the "20:30:00+00:00" it equals.
    """
    local = datetime.combine(
        now.astimezone(tz).date() - timedelta(days=days_back), time(0), tzinfo=tz
    )
    return local.astimezone(UTC)
