"""kill -9 of `club run` in the middle of a 2,000-recipient campaign and 400 notifications:
after a restart every message goes out exactly once, without waiting for any claim to lapse.

The notifications (points earned, by `earning.award_purchase` as a purchase records them)
are queued first, then the campaign is made through the domain (`campaigns.create`, then
`campaigns.run_due` as the scheduler's job does); `club run` sends them through the fake
Bot API or the fake Kavenegar, in this process, and is killed with SIGKILL at a
deterministic point, with a round of 1,000 rows (notifications among them) in hand:

- Telegram: when the fake has received the 300th sendMessage, before it answers (so that
  message was not delivered). Every earlier message was marked sent before the next one
  went out, so nothing is sent again. What this cannot cover, and no test can make
  exactly-once: a message Telegram delivered whose answer, or whose row's UPDATE, the
  crash cut off is sent again (bot/outbox.py); the window is that one message.
- SMS: after the fake has carried out the first sendarray (200 notifications went out)
  and before its answer arrives. Those rows are still claimed, so they are sent again after
  the restart, with the same localids: the fake, like Kavenegar, sends none of them twice.

The dead process's claims and its jobs lease would hold for ten minutes and one; the
process started next finds its pid gone and resumes at once. The time limit (WAIT, the
tests' deadline of two minutes) fails a restart that waits for a claim to lapse.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from tortoise import Tortoise

from bot.db import close_db, open_db
from loyalty import campaigns, earning
from loyalty.clock import utcnow
from models import JobLease, Member, OutboxMessage, OutboxStatus, Tier
from tests.club_runner import Club, open_fresh
from tests.conftest import _backends
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.kavenegar import FakeKavenegar
from tests.waiting import DEADLINE as WAIT
from tests.waiting import eventually

RECIPIENTS = 2_000
NOTIFIED = 400  # the first members, who earned points before the campaign
MESSAGES = RECIPIENTS + NOTIFIED
KILL_AT_MESSAGE = 300  # a notification: the round in hand holds notifications and campaign rows
ARRAYS_BEFORE_KILL = 0  # the 1st sendarray is carried out, its answer never arrives
FIRST_CHAT = 8_000_000


def phone(n: int) -> str:
    return f"0912{n:07d}"


async def prepare(backend: str, tmp_path: Path, channel: str) -> str:
    url = await open_fresh(backend, tmp_path)
    now = utcnow() - timedelta(seconds=1)
    lowest = await Tier.all().order_by("threshold").first()  # as register_member joins them
    await Member.bulk_create(
        [
            Member(
                phone=f"+98{phone(n)[1:]}",
                telegram_id=FIRST_CHAT + n if channel == "telegram" else None,
                referral_code=f"C{n:08d}",
                joined_at=now,
                tier=lowest,
            )
            for n in range(RECIPIENTS)
        ]
    )
    for member_id in await Member.all().order_by("id").limit(NOTIFIED).values_list("id", flat=True):
        await earning.award_purchase(member_id, 100_000, receipt=f"r{member_id}", now=now)
    campaign = await campaigns.create({}, channel, "حراج آخر هفته", now=now)
    await campaigns.run_due(now, ZoneInfo("Asia/Tehran"))
    assert await OutboxMessage.filter(campaign_id=campaign.id).count() == RECIPIENTS
    assert await OutboxMessage.all().count() == MESSAGES
    await close_db()
    return url


async def held_by_the_dead(url: str, backend: str) -> None:
    """The killed process holds rows of both kinds and the lease, for longer than WAIT."""
    await open_db(url, run_migrations=False)
    try:
        beyond = utcnow() + timedelta(seconds=WAIT)
        held = OutboxMessage.filter(status=OutboxStatus.SENDING, next_attempt_at__gt=beyond)
        assert await held.filter(campaign_id__isnull=True).exists()  # notifications
        assert await held.filter(campaign_id__isnull=False).exists()  # campaign rows
        assert await JobLease.filter(expires_at__gt=utcnow()).exists()
    finally:
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
        return (await statuses(url))["sent"] == MESSAGES

    await eventually(every_row_sent, lambda: f"every row marked sent\n{club.log()}", every=0.5)


def club_for(api: FakeBotAPI, url: str, tmp_path: Path, kave: FakeKavenegar) -> Club:
    club = Club(api, url, tmp_path)
    club.env |= {
        "KAVENEGAR_API_KEY": kave.api_key,
        "KAVENEGAR_SENDER": "10008663",
        "KAVENEGAR_API_BASE": kave.base_url,
        "TELEGRAM_RATE": "1000",
        "SMS_QUIET_START": "00:00",
        "SMS_QUIET_END": "00:00",
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
            await held_by_the_dead(url, backend)

            await club.start()
            await club.until(lambda: len(api.deliveries) >= MESSAGES, "every message")
            await all_marked_sent(club, url)
        finally:
            await club.kill()
    per_chat = Counter(chat for _, chat in api.deliveries)
    assert sorted(per_chat) == chats
    assert [per_chat[chat] for chat in chats] == [2] * NOTIFIED + [1] * (RECIPIENTS - NOTIFIED)
    assert api.rejected == []


@pytest.mark.parametrize("backend", _backends())
async def test_kill_9_during_an_sms_campaign_after_kavenegar_took_an_array(
    backend: str, tmp_path: Path
) -> None:
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
            await held_by_the_dead(url, backend)

            await club.start()
            await club.until(
                lambda: kave.calls["sms/sendarray"] >= MESSAGES // 200 + 1, "every array"
            )
            await all_marked_sent(club, url)
        finally:
            await club.kill()
    per_number = Counter(receptor for receptor, _, _ in kave.delivered)
    numbers = [phone(n) for n in range(RECIPIENTS)]
    assert sorted(per_number) == numbers
    assert [per_number[n] for n in numbers] == [2] * NOTIFIED + [1] * (RECIPIENTS - NOTIFIED)
    assert sorted(Counter(localid for _, _, localid in kave.delivered).values()) == [1] * MESSAGES
    assert kave.calls["sms/sendarray"] == MESSAGES // 200 + 1  # the unanswered array once more
