"""Who is due for a scheduled message: birthdays, expiring points, campaign audiences."""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta
from typing import Any

import jdatetime
from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet

from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.rfm import SEGMENTS
from models import (
    Branch,
    CustomerType,
    Gender,
    LedgerEntry,
    Member,
    ProductGroup,
    Staff,
    StaffRole,
    Tier,
)


def jalali_birthday_today(birth: date, today: date) -> bool:
    """The Jalali month and day match; Esfand 30 is celebrated on Esfand 29 in common years."""
    born = jdatetime.date.fromgregorian(date=birth)
    now = jdatetime.date.fromgregorian(date=today)
    if (born.month, born.day) == (now.month, now.day):
        return True
    return (
        (born.month, born.day) == (12, 30) and (now.month, now.day) == (12, 29) and not now.isleap()
    )


def gregorian_birthday_today(birth: date, today: date) -> bool:
    """Month and day match; 29 February is celebrated on 28 February in common years."""
    if (birth.month, birth.day) == (today.month, today.day):
        return True
    return (
        (birth.month, birth.day) == (2, 29)
        and (today.month, today.day) == (2, 28)
        and not calendar.isleap(today.year)
    )


def birthday_year(member: Member, today: date) -> int:
    """Which birthday today's is, named by the Gregorian year of the age it marks.

    The age is counted in the calendar the member celebrates by, so the name is the same in
    both: a member who switches language between their Jalali and Gregorian anniversaries
    (a day or two apart) is not greeted, nor given the bonus, twice for one birthday.
    """
    born = member.birth_date
    assert born is not None, "only members with a birthday are greeted"
    if member.locale == "fa":
        age = (
            jdatetime.date.fromgregorian(date=today).year
            - jdatetime.date.fromgregorian(date=born).year
        )
    else:
        age = today.year - born.year
    return born.year + age


def jalali_birthday_keys(today: date) -> list[int]:
    """The Jalali birthday keys (month * 100 + day) celebrated on `today`."""
    now = jdatetime.date.fromgregorian(date=today)
    keys = [now.month * 100 + now.day]
    if (now.month, now.day) == (12, 29) and not now.isleap():
        keys.append(1230)
    return keys


def gregorian_birthday_keys(today: date) -> list[int]:
    """The Gregorian birthday keys (month * 100 + day) celebrated on `today`."""
    keys = [today.month * 100 + today.day]
    if (today.month, today.day) == (2, 28) and not calendar.isleap(today.year):
        keys.append(229)
    return keys


async def birthdays_on(today: date) -> list[Member]:
    """Members whose birthday is `today` (local date): Jalali for Persian, Gregorian otherwise.

    The same rules as jalali_birthday_today and gregorian_birthday_today, asked of the
    indexed birthday keys that Member.save keeps, so only today's members are read. Only
    `id`, `locale` and `birth_date` are loaded (all the birthday job needs): building
    whole members took most of the time in a large club.
    """
    # Two queries, not one with OR: each is certain to use its index, whatever the planner
    # estimates (SQLite scanned the whole table for the OR, to read it in id order).
    persian = Member.filter(
        deleted_at=None, locale="fa", birthday_jalali__in=jalali_birthday_keys(today)
    )
    others = Member.filter(
        ~Q(locale="fa"), deleted_at=None, birthday_gregorian__in=gregorian_birthday_keys(today)
    )
    found = await persian.only("id", "locale", "birth_date") + await others.only(
        "id", "locale", "birth_date"
    )
    return sorted(found, key=lambda m: m.id)


async def members_with_points_expiring(now: datetime, within: timedelta) -> list[int]:
    return await (
        LedgerEntry.filter(expires_at__gt=now, expires_at__lte=now + within, amount__gt=0)
        .distinct()
        .order_by("member_id")
        .values_list("member_id", flat=True)
    )


def age_on(birth: date, today: date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def born_by(today: date, years: int) -> date:
    """The last birth date of someone at least `years` old on `today` (age_on's rule)."""
    year = max(1, today.year - years)
    return date(year, today.month, min(today.day, calendar.monthrange(year, today.month)[1]))


async def _choices(key: str) -> list[str] | None:
    """The values an audience key may take, or None when any number in its range will do."""
    if key == "tier":
        return list(await Tier.all().order_by("threshold").values_list("code", flat=True))
    if key == "branch_id":
        ids = await Branch.filter(active=True).order_by("id").values_list("id", flat=True)
        return [str(i) for i in ids]
    if key == "interests":
        ids = await ProductGroup.filter(active=True).order_by("id").values_list("id", flat=True)
        return [str(i) for i in ids]
    if key == "gender":
        return [g.value for g in Gender]
    if key == "customer_type":
        return [c.value for c in CustomerType]
    if key == "rfm":
        return list(SEGMENTS)
    if key == "birthday_month":
        return [str(m) for m in range(1, 13)]
    return None


KEYS = (
    "tier",
    "branch_id",
    "gender",
    "customer_type",
    "interests",
    "age_min",
    "age_max",
    "birthday_month",
    "inactive_days",
    "rfm",
)


async def branch_of(staff_id: int | None) -> int | None:
    """The branch a manager of one branch is limited to; None: no limit (the owner, a manager
    of every branch, or no staff row: an owner named in the settings)."""
    if staff_id is None:
        return None
    staff = await Staff.get_or_none(id=staff_id)
    if staff is None or staff.role is not StaffRole.MANAGER:
        return None
    return staff.branch_id


async def scoped(audience: dict[str, Any], staff_id: int | None) -> dict[str, Any]:
    """The audience intersected with the branch of a manager of one branch: a filter naming
    another branch is refused (OTHER_BRANCH), none gets theirs."""
    branch = await branch_of(staff_id)
    if branch is None:
        return audience
    if audience.get("branch_id") not in (None, branch):
        raise LoyaltyError(ErrorCode.OTHER_BRANCH, branch=branch)
    return {**audience, "branch_id": branch}


async def check(audience: dict[str, Any]) -> None:
    """Every filter names a value that exists: LoyaltyError(INVALID_FILTER) with the valid
    values otherwise. An audience that can never match would publish a lottery that cannot
    be drawn, or leave a campaign to no one."""
    for key, value in audience.items():
        if key not in KEYS:
            raise LoyaltyError(ErrorCode.INVALID_FILTER, filter=key, value=str(value), valid=[])
        choices = await _choices(key)
        given = [str(v) for v in value] if isinstance(value, list) else [str(value)]
        if choices is not None and any(v not in choices for v in given):
            bad = next(v for v in given if v not in choices)
            raise LoyaltyError(ErrorCode.INVALID_FILTER, filter=key, value=bad, valid=choices)
        if choices is None and any(not v.isdigit() for v in given):
            raise LoyaltyError(ErrorCode.INVALID_FILTER, filter=key, value=given[0], valid=[])


# The members of an RFM segment are matched in slices, because SQLite accepts at most
# 32766 values bound to one statement.
RFM_SLICE = 10_000


async def _queries(audience: dict[str, Any], now: datetime, today: date) -> list[QuerySet[Member]]:
    """The audience as queries; its members are the union of theirs, in this order by id.

    One query, or one per slice of the members of the RFM segment when it names one.
    """
    query = Member.filter(deleted_at=None)
    if audience.get("tier"):
        # The tier's id, not a join or a subquery: with it the planner uses the index
        # (tier_id, last_purchase_at) for "tier X, inactive N days".
        tier = await Tier.get_or_none(code=audience["tier"])
        if tier is None:
            return []
        query = query.filter(tier_id=tier.id)
    if audience.get("branch_id"):
        query = query.filter(branch_id=int(audience["branch_id"]))
    if audience.get("gender"):
        query = query.filter(gender=audience["gender"])
    if audience.get("customer_type"):
        query = query.filter(customer_type=audience["customer_type"])
    if audience.get("interests"):
        ids = [int(i) for i in audience["interests"]]
        query = query.filter(id__in=Subquery(Member.filter(interests__id__in=ids).values("id")))
    if audience.get("inactive_days"):
        # No purchase for N days; a member who never bought counts from joining.
        since = now - timedelta(days=int(audience["inactive_days"]))
        query = query.filter(
            Q(last_purchase_at__lt=since) | Q(last_purchase_at=None, joined_at__lt=since)
        )
    if "age_min" in audience or "age_max" in audience:
        low, high = int(audience.get("age_min", 0)), int(audience.get("age_max", 200))
        query = query.filter(
            birth_date__lte=born_by(today, low), birth_date__gt=born_by(today, high + 1)
        )
    if audience.get("birthday_month"):
        month = int(audience["birthday_month"])
        query = query.filter(
            birthday_jalali__gte=month * 100, birthday_jalali__lt=(month + 1) * 100
        )
    if not audience.get("rfm"):
        return [query]
    from loyalty.rfm import members_of

    chosen = await members_of(audience["rfm"], now)
    return [
        query.filter(id__in=chosen[i : i + RFM_SLICE]) for i in range(0, len(chosen), RFM_SLICE)
    ]


async def values(
    audience: dict[str, Any], now: datetime, today: date, fields: tuple[str, ...], *where: Q
) -> list[tuple[Any, ...]]:
    """`fields` of the members of a campaign or lottery audience that also meet every
    condition of `where`, by id ({} is everyone; every key narrows).

    Keys: tier (code), branch_id, gender, age_min, age_max, customer_type, interests
    (product group ids, any of them), birthday_month (Jalali month), inactive_days,
    rfm (segment name). Deleted members are never included. Only the fields asked for
    are read: whole members for a large club's campaign filled memory and held the bot.
    """
    found: list[tuple[Any, ...]] = []
    for query in await _queries(audience, now, today):
        found += await query.filter(*where).order_by("id").values_list(*fields)
    return found


async def count(audience: dict[str, Any], now: datetime, today: date, *where: Q) -> int:
    """How many members `values` would return that also meet every condition of `where`."""
    return sum(
        [await query.filter(*where).count() for query in await _queries(audience, now, today)]
    )
