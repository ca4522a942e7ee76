"""Birthdays and campaign audiences asked of the database agree with the rules written in Python."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import jdatetime

from handlers.sms.text import sms_parts
from loyalty import campaigns
from loyalty.audiences import (
    age_on,
    birthdays_on,
    count,
    gregorian_birthday_today,
    jalali_birthday_today,
    values,
)
from loyalty.erasure import delete_member_data
from loyalty.importing import ImportRecord, import_records
from loyalty.members import update_profile
from models import Channel, Gender, Member, ProductGroup, Tier
from tests.conftest import NOW
from tests.jobs_helpers import make_member

TZ = ZoneInfo("Asia/Tehran")

# Leap days of both calendars and their neighbours, and a few ordinary days.
BIRTHS = [
    date(2021, 3, 20),  # 1399-12-30: Esfand 30 of a Jalali leap year
    date(2021, 3, 19),  # 1399-12-29
    date(2020, 3, 19),  # 1398-12-29 (1398 common)
    date(2000, 2, 29),
    date(2001, 2, 28),
    date(1999, 3, 1),
    date(1991, 8, 3),
    date(1985, 12, 31),
    date(1990, 1, 1),
]


def _celebrates(member: Member, today: date) -> bool:
    rule = jalali_birthday_today if member.locale == "fa" else gregorian_birthday_today
    return rule(member.birth_date, today)


async def test_birthdays_on_every_day_of_two_years_match_the_calendar_rules(any_db: str) -> None:
    members = [
        await make_member(NOW, locale=locale, birth_date=born)
        for born in BIRTHS
        for locale in ("fa", "en")
    ]
    await make_member(NOW, locale="fa")  # no birthday given: never greeted
    gone = await make_member(NOW, locale="en", birth_date=date(1990, 3, 20))
    await delete_member_data(gone.id, now=NOW)
    # Jalali 1404 (common: Esfand 29 is 2026-03-20) and Gregorian 2026 (common), then 2028 (leap).
    days = [date(2025, 3, 21) + timedelta(days=n) for n in range(651)]
    days += [date(2028, 2, 28), date(2028, 2, 29), date(2028, 3, 1)]
    greeted: dict[date, list[int]] = {}
    for today in days:
        greeted[today] = [m.id for m in await birthdays_on(today)]
        assert greeted[today] == [m.id for m in members if _celebrates(m, today)], today
    # Once in each calendar's year, whatever the leap days.
    for m in members:
        year = [
            d
            for d in days
            if (
                jdatetime.date.fromgregorian(date=d).year == 1404
                if m.locale == "fa"
                else d.year == 2026
            )
        ]
        assert sum(m.id in greeted[d] for d in year) == 1, m.birth_date


async def test_esfand_30_and_february_29_on_the_last_day_of_common_years(db: str) -> None:
    esfand = await make_member(NOW, locale="fa", birth_date=date(2021, 3, 20))  # 1399-12-30
    leap = await make_member(NOW, locale="en", birth_date=date(2000, 2, 29))
    assert [m.id for m in await birthdays_on(date(2026, 3, 20))] == [
        esfand.id
    ]  # 1404-12-29, common
    assert await birthdays_on(date(2026, 3, 19)) == []
    assert [m.id for m in await birthdays_on(date(2025, 3, 20))] == [esfand.id]  # 1403-12-30, leap
    assert await birthdays_on(date(2025, 3, 19)) == []  # 1403-12-29: not in a leap year
    assert [m.id for m in await birthdays_on(date(2026, 2, 28))] == [leap.id]
    assert await birthdays_on(date(2028, 2, 28)) == []
    assert [m.id for m in await birthdays_on(date(2028, 2, 29))] == [leap.id]


async def test_a_change_of_language_changes_the_calendar_of_the_birthday(db: str) -> None:
    member = await make_member(NOW, locale="fa", birth_date=date(1991, 8, 3))  # 1370-05-12
    # In 2024 the two calendars part: 1403-05-12 is 2 August.
    assert [m.id for m in await birthdays_on(date(2024, 8, 2))] == [member.id]
    assert await birthdays_on(date(2024, 8, 3)) == []
    await update_profile(member.id, locale="en", now=NOW)
    assert await birthdays_on(date(2024, 8, 2)) == []
    assert [m.id for m in await birthdays_on(date(2024, 8, 3))] == [member.id]
    await update_profile(member.id, locale="fa", now=NOW)
    assert [m.id for m in await birthdays_on(date(2024, 8, 2))] == [member.id]


async def test_birthday_keys_follow_every_write_of_the_birth_date(db: str) -> None:
    member = await make_member(NOW, birth_date=date(2021, 3, 20))
    assert (member.birthday_jalali, member.birthday_gregorian) == (1230, 320)
    await update_profile(member.id, birth_date=date(2000, 2, 29), now=NOW)
    stored = await Member.get(id=member.id)
    assert (stored.birthday_jalali, stored.birthday_gregorian) == (1210, 229)  # 1378-12-10
    stored.first_name = "Sara"
    await stored.save(update_fields=["first_name"])  # no birth date written: keys untouched
    stored.birth_date = date(1991, 8, 3)
    await stored.save(update_fields=["birth_date"])
    again = await Member.get(id=member.id)
    assert (again.first_name, again.birthday_jalali, again.birthday_gregorian) == ("Sara", 512, 803)
    await delete_member_data(member.id, now=NOW)
    gone = await Member.get(id=member.id)
    assert (gone.birth_date, gone.birthday_jalali, gone.birthday_gregorian) == (None, None, None)
    record = ImportRecord(
        line=2,
        phone="+989121110000",
        first_name="Ali",
        last_name="",
        birth_date=date(1990, 1, 1),
        gender=Gender.MALE,
        balance=0,
        tier_code=None,
    )
    await import_records([record], now=NOW)
    imported = await Member.get(phone="+989121110000")
    assert (imported.birthday_jalali, imported.birthday_gregorian) == (1011, 101)  # 1368-10-11


def _reference(
    members: list[Member],
    audience: dict,
    now: datetime,
    today: date,
    tiers: dict[int, str],
    interests: dict[int, set[int]],
) -> list[int]:
    """The audience rules as the club wrote them first: every member read and filtered in Python."""
    chosen = []
    for m in members:
        if m.deleted_at is not None:
            continue
        if audience.get("tier") and tiers.get(m.tier_id) != audience["tier"]:
            continue
        if audience.get("gender") and m.gender != audience["gender"]:
            continue
        if audience.get("interests") and not interests.get(m.id, set()) & set(
            audience["interests"]
        ):
            continue
        if audience.get("inactive_days") and (m.last_purchase_at or m.joined_at) >= now - timedelta(
            days=audience["inactive_days"]
        ):
            continue
        if "age_min" in audience and not (
            m.birth_date
            and audience["age_min"] <= age_on(m.birth_date, today) <= audience["age_max"]
        ):
            continue
        if audience.get("birthday_month") and not (
            m.birth_date
            and jdatetime.date.fromgregorian(date=m.birth_date).month == audience["birthday_month"]
        ):
            continue
        chosen.append(m.id)
    return chosen


def _route(member: Member, channel: str) -> Channel | None:
    """The campaign's channel rule, member by member: Telegram when the bot can reach the
    member there with consent, else SMS to a phone with consent, as the channel allows."""
    telegram = bool(member.telegram_id) and member.reachable_telegram and member.consent_telegram
    sms = bool(member.phone) and member.reachable_sms and member.consent_sms
    if channel in ("telegram", "telegram_sms") and telegram:
        return Channel.TELEGRAM
    if channel in ("sms", "telegram_sms") and sms:
        return Channel.SMS
    return None


AUDIENCES = [
    {},
    {"tier": "silver"},
    {"tier": "platinum"},  # no such tier: nobody
    {"tier": "silver", "inactive_days": 60},
    {"inactive_days": 60},
    {"gender": "female", "age_min": 18, "age_max": 25},
    {"age_min": 26, "age_max": 26},
    {"birthday_month": 12},
    {"interests": [1]},
    {"interests": [1, 2], "tier": "bronze"},
]


async def test_audiences_and_their_reach_match_the_rules_member_by_member(any_db: str) -> None:
    now = datetime(2026, 2, 28, 9, 0, tzinfo=NOW.tzinfo)  # a common year's 28 February
    today = now.astimezone(TZ).date()
    tiers = {t.id: t.code for t in await Tier.all()}
    tier_of = {code: tid for tid, code in tiers.items()}
    coffee, cakes = (
        await ProductGroup.create(name="Coffee"),
        await ProductGroup.create(name="Cakes"),
    )
    births = [
        None,
        date(2000, 2, 29),
        date(2000, 3, 1),
        date(2000, 2, 28),
        date(2008, 2, 28),
        date(2008, 2, 29),
        date(2001, 2, 28),
        date(2021, 3, 20),
        date(1970, 6, 1),
    ]
    purchases = [
        None,
        now - timedelta(days=59),
        now - timedelta(days=60),
        now - timedelta(days=61),
        now - timedelta(days=400),
    ]
    members = []
    for n in range(45):
        member = await make_member(
            now - timedelta(days=30 * (n % 4)),
            telegram=n % 3 != 0,
            locale="fa" if n % 2 else "en",
            birth_date=births[n % len(births)],
            gender=("female", "male")[n % 2 if n % 5 else 0],
            tier_id=tier_of[("bronze", "silver", "gold")[n % 3 if n % 7 else 1]],
            last_purchase_at=purchases[n % len(purchases)],
            consent_sms=n % 4 != 1,
            consent_telegram=n % 6 != 2,
        )
        if n % 4 == 0:
            await member.interests.add(coffee)
        if n % 5 == 0:
            await member.interests.add(cakes)
        members.append(member)
    for n in (3, 8):
        await delete_member_data(members[n].id, now=now)
    members = await Member.all().order_by("id")
    interests = {m.id: {g.id for g in await m.interests.all()} for m in members}
    for audience in AUDIENCES:
        audience = {
            k: ([coffee.id, cakes.id][: len(v)] if k == "interests" else v)
            for k, v in audience.items()
        }
        expected = _reference(members, audience, now, today, tiers, interests)
        assert [row[0] for row in await values(audience, now, today, ("id",))] == expected, audience
        assert await count(audience, now, today) == len(expected), audience
        by_id = {m.id: m for m in members}
        for channel in campaigns.CHANNELS:
            routed = await campaigns.recipients(audience, channel, now, TZ)
            assert routed == [
                (i, via) for i in expected if (via := _route(by_id[i], channel)) is not None
            ], (audience, channel)
            p = await campaigns.preview(
                audience, channel, "hello", now=now, tz=TZ, sms_parts=sms_parts
            )
            assert (p.telegram, p.sms) == (
                sum(1 for _, c in routed if c is Channel.TELEGRAM),
                sum(1 for _, c in routed if c is Channel.SMS),
            ), (audience, channel)
    # Every audience but everyone and the unknown tier is a true part of the club.
    sizes = [len(_reference(members, a, now, today, tiers, interests)) for a in AUDIENCES]
    assert (
        sizes[0] == 43 and sizes[2] == 0 and all(0 < size < 43 for size in sizes[1:2] + sizes[3:])
    ), sizes
