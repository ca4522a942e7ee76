"""Scheduled work: birthdays, campaigns, lotteries, expiry reminders, the single-runner lease."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from handlers.notifications import render
from jobs import birthdays, expiry, tiers
from loyalty import campaigns, lottery, notify
from loyalty.audiences import gregorian_birthday_today, jalali_birthday_today
from loyalty.members import update_profile
from models import Campaign, Channel, LedgerEntry, Member, OutboxMessage, Reward, Voucher
from tests.conftest import NOW
from tests.helpers import reward, set_rules
from tests.jobs_helpers import make_member

TZ = ZoneInfo("Asia/Tehran")


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=TZ).astimezone(UTC)


def test_esfand_30_on_esfand_29_in_common_years() -> None:
    born = date(2021, 3, 20)  # 1399-12-30 (1399 is leap)
    assert jalali_birthday_today(born, date(2025, 3, 20))  # 1403-12-30: 1403 is leap
    assert not jalali_birthday_today(born, date(2025, 3, 19))  # 1403-12-29
    assert jalali_birthday_today(born, date(2026, 3, 20))  # 1404-12-29: 1404 is common
    assert not jalali_birthday_today(born, date(2026, 3, 19))  # 1404-12-28


def test_february_29_on_february_28_in_common_years() -> None:
    assert gregorian_birthday_today(date(2000, 2, 29), date(2026, 2, 28))
    assert gregorian_birthday_today(date(2000, 2, 29), date(2028, 2, 29))
    assert not gregorian_birthday_today(date(2000, 2, 29), date(2028, 2, 28))


async def test_birthdays_across_a_jalali_leap_year_and_a_restart(db: str) -> None:
    await set_rules(birthday_bonus=25)
    persian = await make_member(NOW, birth_date=date(2021, 3, 20))  # 1399-12-30
    english = await make_member(NOW, locale="en", birth_date=date(1990, 3, 20))
    # 1403 (leap): greeted on Esfand 30 = 2025-03-20, twice run (restart) -> one wish.
    assert await birthdays.run(at(date(2025, 3, 19)), TZ) == 0
    assert await birthdays.run(at(date(2025, 3, 20)), TZ) == 2
    assert await birthdays.run(at(date(2025, 3, 20), 11), TZ) == 2
    # 1404 (common): Esfand 29 = 2026-03-20 for the Persian member; English on 20 March.
    await birthdays.run(at(date(2026, 3, 20)), TZ)
    await birthdays.run(at(date(2026, 3, 20)), TZ)
    keys = sorted(await OutboxMessage.filter(template="birthday").values_list("key", flat=True))
    assert keys == sorted(
        [
            f"birthday:{persian.id}:2025",
            f"birthday:{persian.id}:2026",
            f"birthday:{english.id}:2025",
            f"birthday:{english.id}:2026",
        ]
    )
    bonuses = await LedgerEntry.filter(reason="birthday").count()
    assert bonuses == 4
    row = await OutboxMessage.get(key=f"birthday:{persian.id}:2026")
    assert row.params == {"bonus": 25}


async def test_a_wish_after_a_crash_that_paid_the_bonus_still_mentions_it(db: str) -> None:
    from loyalty.bonuses import birthday_bonus

    await set_rules(birthday_bonus=25)
    member = await make_member(NOW, locale="en", birth_date=date(1990, 3, 20), balance=0)
    day = at(date(2025, 3, 20))
    await birthday_bonus(member.id, 2025, now=day)  # the run that crashed before its wish
    assert await birthdays.run(day, TZ) == 1
    row = await OutboxMessage.get(key=f"birthday:{member.id}:2025")
    assert row.params == {"bonus": 25}
    assert (await Member.get(id=member.id)).balance == 25


@pytest.mark.parametrize(
    ("first", "then", "born", "days"),
    [
        # 1368-12-29: the Jalali anniversary of 2025 (19 March) comes first, then the Gregorian one.
        ("fa", "en", date(1990, 3, 20), [date(2025, 3, 19), date(2025, 3, 20)]),
        # 1358-12-11: in 2026 the Gregorian anniversary (1 March) comes first, then the Jalali one.
        ("en", "fa", date(1980, 3, 1), [date(2026, 3, 1), date(2026, 3, 2)]),
    ],
)
async def test_one_birthday_greeted_once_when_the_language_changes_between_its_two_days(
    db: str, first: str, then: str, born: date, days: list[date]
) -> None:
    await set_rules(birthday_bonus=25)
    member = await make_member(NOW, locale=first, birth_date=born, balance=0)
    assert await birthdays.run(at(days[0]), TZ) == 1
    await update_profile(member.id, locale=then)
    assert await birthdays.run(at(days[1]), TZ) == 1  # its day again, in the new calendar
    keys = await OutboxMessage.filter(template="birthday").values_list("key", flat=True)
    assert keys == [f"birthday:{member.id}:{days[0].year}"]
    assert (await Member.get(id=member.id)).balance == 25


async def test_birthday_voucher_once_per_year_whatever_the_restarts(db: str) -> None:
    cake = await reward(300, name="Cake", stock=5)
    await set_rules(birthday_reward_id=cake.id)
    member = await make_member(NOW, locale="en", birth_date=date(1990, 3, 20), balance=0)
    await birthdays.run(at(date(2025, 3, 20)), TZ)
    await birthdays.run(at(date(2025, 3, 20), 11), TZ)  # restart: run again
    voucher = await Voucher.get(member_id=member.id)
    assert (voucher.cost, voucher.status) == (0, "issued")
    assert (await Reward.get(id=cake.id)).stock == 4
    entry = await LedgerEntry.get(voucher_id=voucher.id)
    assert (entry.amount, entry.reason, entry.idempotency_key) == (
        0,
        "birthday_voucher",
        f"grant:birthday-voucher:{member.id}:2025",
    )
    assert (await Member.get(id=member.id)).balance == 0
    row = await OutboxMessage.get(key=f"birthday:{member.id}:2025")
    assert row.params == {"bonus": 0, "voucher": voucher.code, "reward": "Cake"}
    assert (
        render("birthday", row.params, "en", sms=True, tz=TZ)
        == f"Happy birthday! Gift voucher: {voucher.code}"
    )
    assert render("birthday", row.params, "fa", sms=False, tz=TZ) == (
        "تولدتان مبارک! همه ما در باشگاه سالی شاد برایتان آرزو می‌کنیم."
        f" و یک کوپن هدیه برای Cake: کد {voucher.code} را در صندوق نشان دهید."
    )
    await birthdays.run(at(date(2026, 3, 20)), TZ)  # the next year: a second voucher
    assert await Voucher.filter(member_id=member.id).count() == 2


async def test_no_birthday_voucher_without_a_reward_or_stock(db: str) -> None:
    member = await make_member(NOW, locale="en", birth_date=date(1990, 3, 20))
    await birthdays.run(at(date(2025, 3, 20)), TZ)
    assert await Voucher.all().count() == 0
    gone = await reward(300, name="Cake", stock=0)
    await set_rules(birthday_reward_id=gone.id)
    await birthdays.run(at(date(2026, 3, 20)), TZ)
    assert await Voucher.all().count() == 0
    row = await OutboxMessage.get(key=f"birthday:{member.id}:2026")
    assert row.params == {"bonus": 0}  # the wish still goes out, without a voucher


async def _audience(n: int, **values: object) -> list[int]:
    return [(await make_member(NOW, **values)).id for _ in range(n)]


async def test_campaign_interrupted_halfway_and_resumed(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = await _audience(10)
    await _audience(2, consent_telegram=False)  # withdrew consent: never included
    campaign = await campaigns.create({}, "telegram", "حراج بهاره", now=NOW)
    real = notify.enqueue_many
    monkeypatch.setattr(
        notify, "enqueue_many", lambda *args, **kwargs: real(*args, **kwargs, chunk=5)
    )
    inserts = OutboxMessage.bulk_create
    calls = {"n": 0}

    async def crashing(*args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("process killed")
        return await inserts(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(OutboxMessage, "bulk_create", crashing)
    with pytest.raises(RuntimeError):
        await campaigns.run_due(NOW, TZ)
    assert (await Campaign.get(id=campaign.id)).status == "running"
    assert await OutboxMessage.filter(campaign_id=campaign.id).count() == 5  # the first chunk
    monkeypatch.setattr(OutboxMessage, "bulk_create", inserts)
    assert await campaigns.run_due(NOW + timedelta(minutes=1), TZ) == [campaign.id]
    assert await campaigns.run_due(NOW + timedelta(minutes=2), TZ) == []  # done: not again
    rows = await OutboxMessage.filter(campaign_id=campaign.id).values_list("member_id", flat=True)
    assert sorted(rows) == ids
    done = await Campaign.get(id=campaign.id)
    assert (done.status, done.queued) == ("done", 10)
    assert await campaigns.progress(campaign.id) == {
        "queued": 10,
        "sent": 0,
        "failed": 0,
        "skipped": 0,
        "held": 0,
    }
    rows = await OutboxMessage.filter(campaign_id=campaign.id).order_by("id")
    for row, status in zip(
        rows, ["sent"] * 4 + ["failed", "skipped", "skipped", "sending"], strict=False
    ):
        await OutboxMessage.filter(id=row.id).update(status=status)
    assert await campaigns.progress(campaign.id) == {
        "queued": 3,
        "sent": 4,
        "failed": 1,
        "skipped": 2,
        "held": 0,
    }


async def test_a_campaign_cancelled_after_the_job_found_it_due_is_not_sent(db: str) -> None:
    await _audience(3)
    campaign = await campaigns.create({}, "telegram", "حراج بهاره", now=NOW)
    assert campaign.status == "scheduled"
    due = await Campaign.filter(status="scheduled")  # the job's read, before the cancel
    assert await campaigns.cancel(campaign.id) is True
    assert await campaigns.enqueue(due[0], NOW, TZ) == 0
    assert await OutboxMessage.filter(campaign_id=campaign.id).count() == 0
    assert (await Campaign.get(id=campaign.id)).status == "cancelled"


async def test_a_draft_is_either_confirmed_or_cancelled_not_both_in_turn(db: str) -> None:
    draft = await campaigns.create({}, "telegram", "حراج", now=NOW, status="draft")
    assert await campaigns.cancel(draft.id) is True
    assert (
        await campaigns.confirm(draft.id, send_at=NOW) is False
    )  # the other button, a moment later
    assert (await Campaign.get(id=draft.id)).status == "cancelled"


async def test_campaign_preview_counts_channels_and_sms_parts(db: str) -> None:
    from handlers.sms.text import sms_parts

    await _audience(3)  # Telegram
    await _audience(2, telegram=False, preferred=Channel.SMS)
    await _audience(1, telegram=False, consent_sms=False)
    text = "ت" * 60  # with «\nلغو۱۱» 66 characters: still one part
    p = await campaigns.preview({}, "telegram_sms", text, now=NOW, tz=TZ, sms_parts=sms_parts)
    assert (p.telegram, p.sms, p.sms_parts) == (3, 2, 2)
    p = await campaigns.preview({}, "sms", "ت" * 70, now=NOW, tz=TZ, sms_parts=sms_parts)
    assert (p.telegram, p.sms, p.sms_parts) == (0, 5, 10)


async def test_audience_filters(db: str) -> None:
    young = await make_member(NOW, birth_date=date(2000, 5, 1), gender="female")
    await make_member(NOW, birth_date=date(1970, 5, 1), gender="male")
    await make_member(NOW, gender="female")
    from loyalty.audiences import values

    async def select(audience: dict[str, object], now: datetime) -> list[int]:
        return [member_id for (member_id,) in await values(audience, now, NOW.date(), ("id",))]

    assert await select({"age_min": 18, "age_max": 30}, NOW) == [young.id]
    assert len(await select({"gender": "female"}, NOW)) == 2
    assert await select({"birthday_month": 2, "gender": "female"}, NOW) == [young.id]
    assert len(await select({"inactive_days": 30}, NOW + timedelta(days=31))) == 3


async def test_lottery_reproduced_from_its_seed(db: str) -> None:
    members = [await make_member(NOW, balance=100 * (i + 1)) for i in range(8)]
    await make_member(NOW, balance=900, consent_telegram=False, consent_sms=False)  # not entered
    made = await lottery.create({}, 3, points_per_ticket=100, now=NOW, seed="s33d")
    assert made.seed_hash == lottery.seed_hash("s33d")
    drawn = await lottery.draw(made.id, now=NOW, tz=TZ)
    assert drawn.status == "drawn" and len(drawn.winners) == 3
    assert drawn.entries == [
        [m.id, i + 1] for i, m in enumerate(members)
    ]  # a ticket per 100 points
    assert lottery.verify(drawn)
    assert (
        lottery.pick_winners("s33d", [[m.id, i + 1] for i, m in enumerate(members)], 3)
        == drawn.winners
    )
    again = await lottery.draw(made.id, now=NOW + timedelta(hours=1), tz=TZ)
    assert again.winners == drawn.winners
    assert await OutboxMessage.filter(template="lottery_won").count() == 3
    assert lottery.seed_hash("other") != drawn.seed_hash


async def test_expiry_reminders_30_and_7_days_ahead_once(db: str) -> None:
    m = await make_member(NOW)
    from tortoise.transactions import in_transaction

    from loyalty import ledger
    from models import EntryKind

    async with in_transaction():
        await ledger.post(
            m.id,
            EntryKind.BONUS,
            40,
            "birthday",
            "b1",
            now=NOW,
            expires_at=NOW + timedelta(days=40),
        )
    assert (await expiry.run(NOW))["reminders"] == 0
    await expiry.run(NOW + timedelta(days=10))  # 30 days before
    await expiry.run(NOW + timedelta(days=11))
    await expiry.run(NOW + timedelta(days=33))  # 7 days before
    await expiry.run(NOW + timedelta(days=34))
    keys = (
        await OutboxMessage.filter(template="expiry_reminder")
        .order_by("id")
        .values_list("key", flat=True)
    )
    expires = (NOW + timedelta(days=40)).date().isoformat()
    assert keys == [f"expiry:30:{m.id}:{expires}", f"expiry:7:{m.id}:{expires}"]
    result = await expiry.run(NOW + timedelta(days=41))
    assert result["expired"] == 40


async def test_tier_review_job_twice_changes_nothing_the_second_time(db: str) -> None:
    await make_member(NOW)
    await tiers.run(NOW)
    assert await tiers.run(NOW) == 0


async def test_tier_review_job_moves_exactly_the_members_whose_points_changed(any_db: str) -> None:
    from loyalty import earning
    from models import Member, Tier, TierChange

    stays_bronze = await make_member(NOW)
    stays_silver = await make_member(NOW)
    falls = await make_member(NOW)
    gone = await make_member(NOW)
    await earning.award_purchase(
        stays_silver.id, 6_000_000, receipt="s", now=NOW - timedelta(days=10)
    )
    await earning.award_purchase(falls.id, 6_000_000, receipt="f", now=NOW - timedelta(days=400))
    await earning.award_purchase(gone.id, 6_000_000, receipt="g", now=NOW - timedelta(days=400))
    await Member.filter(id=gone.id).update(deleted_at=NOW)
    silver, bronze = await Tier.get(code="silver"), await Tier.get(code="bronze")
    await Member.filter(id=stays_bronze.id).update(tier_id=bronze.id)
    tiers_before = dict(await Member.all().values_list("id", "tier_id"))
    assert {tiers_before[m.id] for m in (stays_silver, falls, gone)} == {silver.id}

    assert await tiers.run(NOW) == 1
    after = dict(await Member.all().values_list("id", "tier_id"))
    assert (after[stays_bronze.id], after[stays_silver.id], after[falls.id], after[gone.id]) == (
        bronze.id,
        silver.id,
        bronze.id,
        silver.id,
    )
    assert await TierChange.filter(member_id=falls.id, to_tier_id=bronze.id).count() == 1
    assert await OutboxMessage.filter(member_id=falls.id, template="tier_down").count() == 1
    assert await tiers.run(NOW) == 0


async def test_a_process_taking_over_the_lease_runs_the_daily_jobs_once_more(db: str) -> None:
    from datetime import time

    from jobs import daily
    from loyalty import earning
    from models import Tier

    await set_rules(birthday_bonus=25)
    born = await make_member(NOW, locale="en", birth_date=date(1990, 3, 20), balance=0)
    falls = await make_member(NOW)
    await earning.award_purchase(falls.id, 6_000_000, receipt="f", now=NOW - timedelta(days=400))
    morning, noon = at(date(2026, 3, 20), 9), at(date(2026, 3, 20), 12)
    await daily.catch_up(morning, TZ, time(10, 0))  # before the wishes' time: none yet
    assert await OutboxMessage.filter(template="birthday").count() == 0
    assert (await Member.get(id=falls.id)).tier_id == (await Tier.get(code="bronze")).id
    await daily.catch_up(noon, TZ, time(10, 0))
    await daily.catch_up(noon, TZ, time(10, 0))
    keys = await OutboxMessage.filter(template="birthday").values_list("key", flat=True)
    assert keys == [f"birthday:{born.id}:2026"]
    assert (await Member.get(id=born.id)).balance == 25
