"""The outbox rate shared through Redis holds for several senders together.

Two limiters with their own Redis connections stand for two worker processes: the
script runs on the server, so what two connections see is what two processes see.
Time is a counter passed to the script (its `now`), so nothing here waits for real
time except the one test of the server's own clock, which only checks a lower bound.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator

import pytest

from bot.rate_limit import RedisRateLimiter

REDIS_URL = os.environ.get("TEST_REDIS_URL")
pytestmark = pytest.mark.skipif(
    not REDIS_URL, reason="TEST_REDIS_URL is not set: no Redis to test on"
)


class Clock:
    def __init__(self) -> None:
        self.micros = 1_000_000_000

    def __call__(self) -> float:
        return self.micros / 1_000_000


@pytest.fixture
async def clients() -> AsyncIterator[tuple[object, object, str]]:
    from redis.asyncio import Redis

    first, second = Redis.from_url(REDIS_URL), Redis.from_url(REDIS_URL)
    key = f"test:rate:{uuid.uuid4().hex}"
    try:
        yield first, second, key
    finally:
        await first.delete(key)
        await first.aclose()
        await second.aclose()


def most_in_a_second(times: list[int]) -> int:
    """The largest number of the times (microseconds) in any window [t, t + 1 s)."""
    times = sorted(times)
    return max(sum(1 for u in times if t <= u < t + 1_000_000) for t in times)


@pytest.mark.parametrize("capacity", [1, 3])
async def test_two_senders_together_stay_under_the_rate(clients, capacity: int) -> None:
    first, second, key = clients
    clock = Clock()
    senders = [
        RedisRateLimiter(first, key, 10, capacity, clock=clock),
        RedisRateLimiter(second, key, 10, capacity, clock=clock),
    ]
    granted: dict[int, list[int]] = {0: [], 1: []}
    start = clock.micros
    # Both try every 5 ms for 5 seconds; which asks first changes out of step with the rate.
    for step in range(1000):
        order = (0, 1) if step % 3 == 0 else (1, 0)
        for which in order:
            if await senders[which].try_take() == 0:
                granted[which].append(clock.micros - start)
        clock.micros += 5_000
    both = granted[0] + granted[1]
    # 10 per second: a burst of `capacity` at first, then one every 100 ms.
    assert most_in_a_second(both) == 10 + capacity - 1
    assert len(both) == 50 + capacity - 1
    assert granted[0] and granted[1]  # each sender got its turns: one shared limit


async def test_a_refused_take_is_told_how_long_to_wait(clients) -> None:
    first, _, key = clients
    clock = Clock()
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.micros += round(seconds * 1_000_000)

    limiter = RedisRateLimiter(first, key, 4, clock=clock, sleep=sleep)
    await limiter.take()
    clock.micros += 50_000
    await limiter.take()
    assert slept == [0.2]  # 250 ms after the first take, 50 ms of them gone already
    assert await limiter.try_take() == 0.25


async def test_the_server_clock_spaces_takes_from_two_senders(clients) -> None:
    import asyncio

    first, second, key = clients
    senders = [RedisRateLimiter(first, key, 200), RedisRateLimiter(second, key, 200)]

    async def server_seconds() -> float:
        seconds, micros = await first.time()
        return seconds + micros / 1_000_000

    began = await server_seconds()
    await asyncio.gather(*(senders[n % 2].take() for n in range(30)))
    ended = await server_seconds()
    assert ended - began >= 29 / 200  # a lower bound: a slow machine cannot fail it
    ttl = await first.pttl(key)  # -2: gone already, after a pause of this test's process
    assert ttl == -2 or 0 < ttl <= 2_000  # the key goes away when unused (-1: it never would)


async def test_two_workers_share_one_flood_limit() -> None:
    """The flood limit holds for a member's messages whichever of two workers takes them."""
    from aiogram.types import Update, User

    from bot.app import build_storage, build_throttle
    from bot.settings import Settings

    settings = Settings(_env_file=None, redis_url=REDIS_URL)
    storages = [build_storage(settings), build_storage(settings)]
    workers = [build_throttle(storage) for storage in storages]
    user = User(id=uuid.uuid4().int % 10**9, is_bot=False, first_name="Sara")
    handled: list[int] = []

    async def handler(event: object, data: dict[str, object]) -> None:
        handled.append(len(handled))

    try:
        for n in range(20):
            # An update is neither a message nor a press: a refusal here is silent.
            await workers[n % 2](handler, Update(update_id=n), {"event_from_user": user})
        assert len(handled) == 15
        ttl = await storages[0].redis.pttl(f"club:flood:0:{user.id}")
        assert 0 < ttl <= 10_000  # the window closes by itself
    finally:
        await storages[0].redis.delete(f"club:flood:0:{user.id}")
        for storage in storages:
            await storage.close()
