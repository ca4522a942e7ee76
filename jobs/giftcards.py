"""Daily: an `expire` row for each gift card past its date that still holds money."""

from __future__ import annotations

from datetime import datetime

from loyalty import giftcards


async def run(now: datetime) -> dict[str, int]:
    return {"expired": await giftcards.expire_due(now=now)}
