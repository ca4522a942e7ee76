"""The one place the domain asks what time it is; every operation accepts `now` instead."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)
