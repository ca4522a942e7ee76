"""A send rate shared by every worker process, kept in Redis.

Telegram limits a bot, not a process: with several workers the outbox rate (TELEGRAM_RATE)
must hold for all of them together. The limiter is GCRA (the generic cell rate algorithm):
one Redis key holds the theoretical arrival time (TAT) of the next send, and one Lua
script, atomic on the server, decides and moves it. The script reads Redis's own clock
(TIME), so the clocks of the workers do not matter, only the server's.

It has the interface of `bot.outbox.TokenBucket` (`await take()`), and the same burst
rule: `capacity` sends at once at most, then one every 1/rate seconds.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from redis.asyncio import Redis

# KEYS[1]: the TAT key. ARGV: interval and tolerance in microseconds; ARGV[3], when given,
# the time in microseconds (tests); otherwise the server's clock.
# Returns 0 when a send may go now, else the microseconds to wait before asking again.
# string.format('%d'): Lua 5.1 writes numbers with 14 significant digits, too few for
# microseconds since 1970.
GCRA = """
local now
if ARGV[3] then
  now = tonumber(ARGV[3])
else
  local clock = redis.call('TIME')
  now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
end
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then
  tat = now
end
local wait = tat - tolerance - now
if wait > 0 then
  return wait
end
tat = tat + interval
redis.call('SET', KEYS[1], string.format('%d', tat), 'PX', math.ceil((tat - now) / 1000) + 1000)
return 0
"""


class Limiter(Protocol):
    async def take(self) -> None: ...


class RedisRateLimiter:
    """At most `rate` takes per second across every process sharing `key` on one Redis.

    `clock` (seconds) is for tests only: without it the Redis server's clock decides.
    """

    def __init__(
        self,
        redis: Redis,
        key: str,
        rate: float,
        capacity: int = 1,
        *,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        if rate <= 0 or capacity < 1:
            raise ValueError("rate must be positive and capacity at least 1")
        self.key = key
        # Rounded up: a limit slightly under the rate rather than slightly over it.
        self.interval = math.ceil(1_000_000 / rate)
        self.tolerance = (capacity - 1) * self.interval
        self._script = redis.register_script(GCRA)
        self._clock, self._sleep = clock, sleep

    async def try_take(self) -> float:
        """0 when taken; otherwise the seconds to wait before trying again."""
        args: list[int] = [self.interval, self.tolerance]
        if self._clock is not None:
            args.append(round(self._clock() * 1_000_000))
        wait = await self._script(keys=[self.key], args=args)
        return int(wait) / 1_000_000

    async def take(self) -> None:
        while (wait := await self.try_take()) > 0:
            # Another worker may take the slot meanwhile: then this one asks again.
            await self._sleep(wait)


def telegram_key(bot_id: int) -> str:
    """Telegram's limit is per bot: workers of one bot share the key, other bots do not."""
    return f"club:rate:telegram:{bot_id}"


# KEYS[1]: a sender's flood key; ARGV[1]: the window in milliseconds. The window opens with
# the first event and its expiry is set in the same atomic step, so a worker dying between
# the two can never leave a sender throttled for good.
FLOOD_HIT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return count
"""


class RedisFloodCounter:
    """The flood windows of `handlers.telegram.middlewares.ThrottleMiddleware`, shared by
    every worker: a member's messages count against one limit whichever worker takes them."""

    def __init__(self, redis: Redis, period: float, prefix: str = "club:flood:") -> None:
        self.window_ms = max(1, round(period * 1000))
        self.prefix = prefix
        self._script = redis.register_script(FLOOD_HIT)

    async def hit(self, key: str) -> int:
        return int(await self._script(keys=[self.prefix + key], args=[self.window_ms]))


class RedisKeyLimiter:
    """The API's requests per second per key (`handlers.api.limits`), for all workers."""

    def __init__(self, redis: Redis, rate: float, capacity: int) -> None:
        self.redis, self.rate, self.capacity = redis, rate, capacity
        self._limiters: dict[int, RedisRateLimiter] = {}

    async def try_take(self, key_id: int) -> float:
        limiter = self._limiters.get(key_id)
        if limiter is None:
            limiter = RedisRateLimiter(
                self.redis, f"club:rate:api:{key_id}", self.rate, self.capacity
            )
            self._limiters[key_id] = limiter
        return await limiter.try_take()
