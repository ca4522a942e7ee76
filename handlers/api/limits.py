"""Requests per second per API key: a till in a loop must not crowd out the others.

The rule is GCRA, as in `bot.rate_limit`: `capacity` requests at once, then one every
1/rate seconds. This one lives in the process; with Redis the bot passes one kept there
(`bot.rate_limit.RedisKeyLimiter`), shared by every worker.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol


class KeyLimiter(Protocol):
    async def try_take(self, key_id: int) -> float:
        """0 when the request may go now; else the seconds until it may."""


class MemoryKeyLimiter:
    def __init__(
        self, rate: float, capacity: int, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if rate <= 0 or capacity < 1:
            raise ValueError("rate must be positive and capacity at least 1")
        self.interval = 1 / rate
        self.tolerance = (capacity - 1) * self.interval
        self.clock = clock
        self._due: dict[int, float] = {}  # key id → theoretical arrival time of the next

    async def try_take(self, key_id: int) -> float:
        now = self.clock()
        due = max(self._due.get(key_id, now), now)
        wait = due - self.tolerance - now
        if wait > 0:
            return wait
        self._due[key_id] = due + self.interval
        return 0.0
