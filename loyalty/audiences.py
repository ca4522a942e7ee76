"""Who is due for a scheduled message: birthdays, expiring points, campaign audiences."""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta
from typing import Any

import jdatetime

from models import LedgerEntry, Member


def jalali_birthday_today(birth: date, today: date) -> bool:
    """The Jalali month and day match; Esfand 30 is celebrated on Esfand 29 in common years."""
    born = jdatetime.date.fromgregorian(date=birth)
    now = jdatetime.date.fromgregorian(date=today)
    if (born.month, born.day) == (now.month, now.day):
        return True
    return (born.month, born.day) == (12, 30) and (now.month, now.day) == (12, 29) and not now.isleap()


def gregorian_birthday_today(birth: date, today: date) -> bool:
    """Month and day match; 29 February is celebrated on 28 February in common years."""
    if (birth.month, birth.day) == (today.month, today.day):
        return True
    return (birth.month, birth.day) == (2, 29) and (today.month, today.day) == (2, 28) and not calendar.isleap(today.year)


def birthday_year(member: Member, today: date) -> int:
    """The year of the wish, in the calendar the member celebrates by."""
    return jdatetime.date.fromgregorian(date=today).year if member.locale == "fa" else today.year


async def birthdays_on(today: date) -> list[Member]:
    """Members whose birthday is `today` (local date): Jalali for Persian, Gregorian otherwise."""
    members = await Member.filter(deleted_at=None, birth_date__not_isnull=True).order_by("id")
    return [
        m for m in members
        if (jalali_birthday_today if m.locale == "fa" else gregorian_birthday_today)(m.birth_date, today)
    ]


async def members_with_points_expiring(now: datetime, within: timedelta) -> list[int]:
    return await (
        LedgerEntry.filter(expires_at__gt=now, expires_at__lte=now + within, amount__gt=0)
        .distinct().order_by("member_id").values_list("member_id", flat=True)
    )


async def active_member_ids() -> list[int]:
    return await Member.filter(deleted_at=None).order_by("id").values_list("id", flat=True)


def age_on(birth: date, today: date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


async def select(audience: dict[str, Any], now: datetime, today: date) -> list[Member]:
    """Members matching a campaign or lottery audience (every key narrows; {} is everyone).

    Keys: tier (code), branch_id, gender, age_min, age_max, customer_type, interests
    (product group ids, any of them), birthday_month (Jalali month), inactive_days,
    rfm (segment name). Deleted members are never included; consent is checked per channel
    by the caller.
    """
    query = Member.filter(deleted_at=None)
    if audience.get("tier"):
        query = query.filter(tier__code=audience["tier"])
    if audience.get("branch_id"):
        query = query.filter(branch_id=int(audience["branch_id"]))
    if audience.get("gender"):
        query = query.filter(gender=audience["gender"])
    if audience.get("customer_type"):
        query = query.filter(customer_type=audience["customer_type"])
    if audience.get("interests"):
        query = query.filter(interests__id__in=[int(i) for i in audience["interests"]])
    members = await query.distinct().order_by("id")
    if audience.get("inactive_days"):
        # No purchase for N days; a member who never bought counts from joining.
        since = now - timedelta(days=int(audience["inactive_days"]))
        members = [m for m in members if (m.last_purchase_at or m.joined_at) < since]
    if "age_min" in audience or "age_max" in audience:
        low, high = int(audience.get("age_min", 0)), int(audience.get("age_max", 200))
        members = [m for m in members if m.birth_date and low <= age_on(m.birth_date, today) <= high]
    if audience.get("birthday_month"):
        month = int(audience["birthday_month"])
        members = [
            m for m in members
            if m.birth_date and jdatetime.date.fromgregorian(date=m.birth_date).month == month
        ]
    if audience.get("rfm"):
        from loyalty.rfm import segments

        chosen = await segments(now)
        members = [m for m in members if chosen.get(m.id) == audience["rfm"]]
    return members

