"""The crash suite with `club run --workers 2` (PostgreSQL and Redis): a stop in the middle
of a burst of webhook updates loses and doubles nothing, and a member's hurried sign-up,
its updates spread over both workers, acts in order."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import pytest
from tortoise import Tortoise

from loyalty.members import register_member
from models import Member
from tests.conftest import NOW, _open_postgres
from tests.fakes.bot_api import FakeBotAPI
from tests.test_update_crash import BURST, OWNERS, command, counts, record, wait_for_all
from tests.test_update_order import USER, check_member, sign_up_in_a_hurry
from tests.test_workers import Club

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL")
REDIS_URL = os.environ.get("TEST_REDIS_URL")
pytestmark = pytest.mark.skipif(
    not (POSTGRES_URL and REDIS_URL),
    reason="TEST_POSTGRES_URL and TEST_REDIS_URL are both needed: several workers share "
    "PostgreSQL and Redis",
)


@pytest.fixture
async def fresh() -> None:
    from redis.asyncio import Redis

    redis = Redis.from_url(REDIS_URL)
    try:
        await redis.flushdb()  # TEST_REDIS_URL is the tests' own database
    finally:
        await redis.aclose()
    await _open_postgres()
    yield
    await Tortoise.close_connections()


async def kill_group(club: Club) -> None:
    assert club.process is not None
    os.killpg(club.process.pid, signal.SIGKILL)  # the group this test started
    await club.process.wait()
    await club.http.close()


@pytest.mark.parametrize("stop", ["sigterm", "kill-9"])
async def test_a_stop_of_two_workers_in_a_burst_loses_and_doubles_nothing(
    fresh: None, stop: str, tmp_path: Path
) -> None:
    for n in range(BURST):
        await register_member(f"0912{n:07d}", now=NOW)
    async with FakeBotAPI() as api:
        for owner in OWNERS:
            api.add_user(owner, language_code="en")
        club = Club(api, tmp_path)
        club.env["OWNER_IDS"] = ",".join(map(str, OWNERS))
        again = Club(api, tmp_path)
        again.env["OWNER_IDS"] = club.env["OWNER_IDS"]
        try:
            await club.start()
            statuses = await asyncio.gather(
                *(club.post(api.push_message(owner, command(n))) for n, owner in enumerate(OWNERS))
            )
            answered = statuses.count(200)
            if stop == "sigterm":
                assert await club.stop() == 0
            else:
                await kill_group(club)
            at_stop = (await counts())[0]
            await again.start()
            recorded, credits = await wait_for_all()
        finally:
            await club.stop()
            await again.stop()
    record(
        {
            "mode": "webhook, 2 workers",
            "stop": stop,
            "backend": "postgres",
            "sent": BURST,
            "answered": answered,
            "recorded_at_stop": at_stop,
            "recorded": recorded,
            "lost": BURST - recorded,
            "doubled": credits - recorded,
        }
    )
    assert answered == BURST
    assert (BURST - recorded, credits - recorded) == (0, 0)
    assert set(club.served) == {"1", "2"}  # the burst went to both workers


async def test_a_hurried_sign_up_over_two_workers_acts_in_order(
    fresh: None, tmp_path: Path
) -> None:
    async with FakeBotAPI() as api:
        api.add_user(USER, language_code="en")
        club = Club(api, tmp_path)
        try:
            await club.start()

            async def send(update: dict) -> None:
                assert await club.post(update) == 200

            await sign_up_in_a_hurry(api, send)
        finally:
            await club.stop()
        assert all("message is not modified" in reason for _, _, reason in api.rejected), (
            api.rejected
        )
    assert await Member.filter(telegram_id=USER).count() == 1
    await check_member()
