"""kill -9 of `club run` in the middle of a 2,000-recipient campaign: after a restart every
recipient has the message exactly once.

The campaign is made through the domain (`campaigns.create`, then `campaigns.run_due` as
the scheduler's job does); `club run` sends it through the fake Bot API or the fake
Kavenegar, in this process, and is killed with SIGKILL at a deterministic point:

- Telegram: when the fake has received the 700th sendMessage, before it answers (so that
  message was not delivered). Every earlier message was marked sent before the next one
  went out, so nothing is sent again. What this cannot cover, and no test can make
  exactly-once: a message Telegram delivered whose answer, or whose row's UPDATE, the
  crash cut off is sent again (bot/outbox.py); the window is that one message.
- SMS: after the fake has carried out the 4th sendarray (200 SMS went out) and before its
  answer arrives. Those rows are still claimed, so they are sent again after the restart,
  with the same localids: the fake, like Kavenegar, sends none of them a second time.

Between the kill and the restart, time is moved on instead of waited for: the dead
process's jobs lease and its outbox claims are made to lapse, as they would after one
and ten minutes.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from tortoise import Tortoise

from bot.db import close_db, open_db
from loyalty import campaigns
from loyalty.clock import utcnow
from models import JobLease, Member, OutboxMessage, OutboxStatus, Tier
from tests.club_runner import Club, open_fresh
from tests.conftest import _backends
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.kavenegar import FakeKavenegar
from tests.waiting import eventually

RECIPIENTS = 2_000
KILL_AT_MESSAGE = 700
ARRAYS_BEFORE_KILL = 3  # the 4th sendarray is carried out, its answer never arrives
FIRST_CHAT = 8_000_000


def phone(n: int) -> str:
    return f"0912{n:07d}"


async def prepare(backend: str, tmp_path: Path, channel: str) -> str:
    url = await open_fresh(backend, tmp_path)
    now = utcnow() - timedelta(seconds=1)
    lowest = await Tier.all().order_by("threshold").first()  # as register_member joins them
    await Member.bulk_create([
        Member(phone=f"+98{phone(n)[1:]}", telegram_id=FIRST_CHAT + n if channel == "telegram" else None,
               referral_code=f"C{n:08d}", joined_at=now, tier=lowest)
        for n in range(RECIPIENTS)
    ])
    campaign = await campaigns.create({}, channel, "حراج آخر هفته", now=now)
    await campaigns.run_due(now, ZoneInfo("Asia/Tehran"))
    assert await OutboxMessage.filter(campaign_id=campaign.id).count() == RECIPIENTS
    await close_db()
    return url


async def lapse_the_dead_process(url: str, backend: str) -> None:
    """What a minute (the lease) and ten minutes (the claims) would do."""
    await open_db(url, run_migrations=False)
    now = utcnow()
    await JobLease.all().update(expires_at=now - timedelta(seconds=1))
    claimed = await OutboxMessage.filter(status=OutboxStatus.SENDING).update(next_attempt_at=now)
    assert claimed > 0  # killed with rows in hand
    await close_db()
    if backend == "postgres":
        await Tortoise.close_connections()


async def statuses(url: str) -> Counter[str]:
    await open_db(url, run_migrations=False)
    try:
        return Counter(await OutboxMessage.all().values_list("status", flat=True))
    finally:
        await close_db()


async def all_marked_sent(club: Club, url: str) -> None:
    """Wait until the running club has marked every row sent."""
    async def every_row_sent() -> bool:
        return (await statuses(url))["sent"] == RECIPIENTS

    await eventually(every_row_sent, lambda: f"every row marked sent\n{club.log()}", every=0.5)


def club_for(api: FakeBotAPI, url: str, tmp_path: Path, kave: FakeKavenegar) -> Club:
    club = Club(api, url, tmp_path)
    club.env |= {
        "KAVENEGAR_API_KEY": kave.api_key, "KAVENEGAR_SENDER": "10008663", "KAVENEGAR_API_BASE": kave.base_url,
        "TELEGRAM_RATE": "1000", "SMS_QUIET_START": "00:00", "SMS_QUIET_END": "00:00",
    }
    return club


@pytest.mark.parametrize("backend", _backends())
async def test_kill_9_during_a_telegram_campaign(backend: str, tmp_path: Path) -> None:
    url = await prepare(backend, tmp_path, "telegram")
    chats = [FIRST_CHAT + n for n in range(RECIPIENTS)]
    async with FakeBotAPI() as api, FakeKavenegar() as kave:
        api.add_users(chats)
        api.hang_call("sendMessage", KILL_AT_MESSAGE)
        club = club_for(api, url, tmp_path, kave)
        try:
            await club.start()
            await club.until(lambda: bool(api.hung), f"message {KILL_AT_MESSAGE}")
            await club.kill()
            assert len(api.deliveries) == KILL_AT_MESSAGE - 1
            done = await statuses(url)
            assert done["sent"] == KILL_AT_MESSAGE - 1  # each marked before the next went out

            await lapse_the_dead_process(url, backend)
            await club.start()
            await club.until(lambda: len(api.deliveries) >= RECIPIENTS, "every recipient")
            await all_marked_sent(club, url)
        finally:
            await club.kill()
    per_chat = Counter(chat for _, chat in api.deliveries)
    assert sorted(per_chat) == chats and set(per_chat.values()) == {1}
    assert api.rejected == []


@pytest.mark.parametrize("backend", _backends())
async def test_kill_9_during_an_sms_campaign_after_kavenegar_took_an_array(backend: str, tmp_path: Path) -> None:
    url = await prepare(backend, tmp_path, "sms")
    async with FakeBotAPI() as api, FakeKavenegar() as kave:
        kave.hang_next(after_processing=True, method="sms/sendarray", after=ARRAYS_BEFORE_KILL)
        club = club_for(api, url, tmp_path, kave)
        try:
            await club.start()
            await club.until(lambda: kave.hanging == 1, f"sendarray {ARRAYS_BEFORE_KILL + 1}")
            await club.kill()
            assert len(kave.delivered) == 200 * (ARRAYS_BEFORE_KILL + 1)  # the last array went out
            assert (await statuses(url))["sent"] == 200 * ARRAYS_BEFORE_KILL  # but is not marked

            await lapse_the_dead_process(url, backend)
            await club.start()
            await club.until(
                lambda: kave.calls["sms/sendarray"] >= RECIPIENTS // 200 + 1, "every array")
            await all_marked_sent(club, url)
        finally:
            await club.kill()
    per_number = Counter(receptor for receptor, _, _ in kave.delivered)
    assert sorted(per_number) == [phone(n) for n in range(RECIPIENTS)] and set(per_number.values()) == {1}
    assert kave.calls["sms/sendarray"] == RECIPIENTS // 200 + 1  # the unanswered array once more
