"""Festivals: time-bound earning multipliers (Nowruz ×2, Yalda ×3) the owner sets, for
every purchase or for one branch, product group or tier.

The rule: a purchase earns under the festivals running at its time that match its branch,
its product group and the member's tier; when several do, the highest multiplier applies
(they never compound), and of equal ones the oldest festival names the purchase. The
festival's multiplier comes on top of the group's and the tier's, in the one points rule
(`loyalty.earning.purchase_points`), and the purchase's ledger row names it.

Festivals are part of the club's set-up that every process keeps a copy of
(`loyalty.rules.club_config`): a trigger renews the set-up's token on any change of their
table (migration 0014), so a purchase never reads a festival table of its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal

from loyalty import audit
from loyalty.dates import LocalTime, read_local_time
from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.numbers import parse_decimal, parse_id
from loyalty.text import clean_name, to_ascii_digits
from models import Branch, Festival, ProductGroup, Tier

# A multiplier above this is a typo (×20 for ×2), and the ledger's 64-bit columns hold the
# largest purchase's points under it (earning.MAX_AMOUNT).
MAX_MULTIPLIER = Decimal(10)
NO_FESTIVAL = Decimal(1)


def matches(
    festival: Festival,
    now: datetime,
    branch_id: int | None,
    group_id: int | None,
    tier_id: int | None,
) -> bool:
    """Whether the festival runs at `now` for a purchase of this branch, group and tier."""
    return (
        festival.starts_at <= now < festival.ends_at
        and festival.branch_id in (None, branch_id)  # type: ignore[attr-defined]
        and festival.product_group_id in (None, group_id)  # type: ignore[attr-defined]
        and festival.tier_id in (None, tier_id)  # type: ignore[attr-defined]
    )


def applying(
    festivals: Iterable[Festival],
    now: datetime,
    branch_id: int | None,
    group_id: int | None,
    tier_id: int | None,
) -> Festival | None:
    """The festival a purchase earns under: of those that match, the highest multiplier;
    of equal ones, the oldest."""
    found = [f for f in festivals if matches(f, now, branch_id, group_id, tier_id)]
    return max(found, key=lambda f: (f.multiplier, -f.id), default=None)


def multiplier_of(festival: Festival | None) -> Decimal:
    return Decimal(festival.multiplier) if festival is not None else NO_FESTIVAL


def shown_multiplier(festival: Festival) -> str:
    """3 for 3.00, 1.5 for 1.50: as the owner typed it."""
    return format(Decimal(festival.multiplier).normalize(), "f")


def ledger_note(festival: Festival | None) -> str:
    """What the purchase's ledger row says besides "purchase": `Yalda ×3`."""
    if festival is None:
        return ""
    return f"{festival.name} ×{shown_multiplier(festival)}"


async def every() -> list[Festival]:
    """All the festivals, for the set-up's copy: a few a year, and a purchase recorded late
    (`now` in the past) earns under those of its own time. With their branch, group and
    tier, so that the member's menu names them without a query of its own."""
    return (
        await Festival.all()
        .order_by("starts_at", "id")
        .prefetch_related("branch", "product_group", "tier")
    )


async def listed(now: datetime) -> list[Festival]:
    """The festivals running or to come, with their branch, group and tier, to be shown."""
    return (
        await Festival.filter(ends_at__gt=now)
        .order_by("starts_at", "id")
        .prefetch_related("branch", "product_group", "tier")
    )


def running(every: Iterable[Festival], now: datetime, tier_id: int | None) -> list[Festival]:
    """Of `every` festival (the set-up's copy), those running now for a member of `tier_id`
    (those for any tier too)."""
    return [
        f
        for f in every
        if f.starts_at <= now < f.ends_at and f.tier_id in (None, tier_id)  # type: ignore[attr-defined]
    ]


def read_multiplier(text: str) -> Decimal:
    """A multiplier as typed (`2`, `1.5`, `۱٫۵`): above 0, at most MAX_MULTIPLIER, two decimals."""
    try:
        value = parse_decimal(text)
    except LoyaltyError:
        raise LoyaltyError(ErrorCode.INVALID_MULTIPLIER, max=int(MAX_MULTIPLIER)) from None
    if value <= 0 or value > MAX_MULTIPLIER or value != value.quantize(Decimal("0.01")):
        raise LoyaltyError(ErrorCode.INVALID_MULTIPLIER, max=int(MAX_MULTIPLIER))
    return value


def read_day(text: str, tz: tzinfo, *, end: bool, now: datetime) -> datetime:
    """A festival's first or last day as typed, Jalali (`۱۴۰۵/۰۱/۰۱`) or Gregorian
    (`2026-03-21`), a time optional (`1405/01/01 18:00`), in the club's zone, as UTC.
    A day alone starts at its midnight; as the last day, it ends at the next midnight."""
    try:
        typed = read_local_time(text)
    except ValueError:
        raise LoyaltyError(ErrorCode.FESTIVAL_DATE, text=text) from None
    if typed.day is None:  # a time alone names no day
        raise LoyaltyError(ErrorCode.FESTIVAL_DATE, text=text)
    day_alone = ":" not in to_ascii_digits(text)
    if day_alone:
        typed = LocalTime(typed.day, 0, 0)
    try:
        moment = typed.at(now, tz)
    except ValueError:
        raise LoyaltyError(ErrorCode.FESTIVAL_DATE, text=text) from None
    if day_alone and end:
        moment = datetime.combine(moment.date() + timedelta(days=1), moment.time(), tzinfo=tz)
    return moment.astimezone(UTC)


async def find_branch(text: str) -> int:
    branch = await Branch.get_or_none(id=parse_id(text), active=True)
    if branch is None:
        raise LoyaltyError(ErrorCode.BRANCH_NOT_FOUND, branch=text)
    return branch.id


async def find_group(text: str) -> int:
    """A product group by number or name."""
    digits = to_ascii_digits(text).strip().lstrip("#")
    groups = ProductGroup.filter(active=True)
    group = await (
        groups.get_or_none(id=int(digits))
        if digits.isdecimal() and len(digits) < 10
        else groups.get_or_none(name=text.strip())
    )
    if group is None:
        raise LoyaltyError(ErrorCode.GROUP_NOT_FOUND, group=text)
    return group.id


async def find_tier(text: str, names: dict[str, str] | None = None) -> int:
    """A tier by code (`gold`), by a name the door knows it by (`names`: name to code, as
    «طلایی» or Gold), or by the owner's own name for it."""
    wanted = text.strip().casefold()
    for tier in await Tier.all():
        known = {tier.code.casefold(), (tier.name or "").casefold()}
        known |= {name.casefold() for name, code in (names or {}).items() if code == tier.code}
        if wanted in known - {""}:
            return tier.id
    raise LoyaltyError(ErrorCode.TIER_NOT_FOUND, tier=text)


async def add_festival(
    name: str,
    multiplier: Decimal,
    starts_at: datetime,
    ends_at: datetime,
    *,
    branch_id: int | None = None,
    group_id: int | None = None,
    tier_id: int | None = None,
    staff_id: int | None = None,
    actor: str = "",
    key: str | None = None,
    now: datetime,
) -> Festival:
    """A new festival; its values checked by the `read_*` and `find_*` functions above.
    With `key`, the one added under that key before, if any."""
    name = clean_name(name)
    if not Decimal(0) < multiplier <= MAX_MULTIPLIER:
        raise LoyaltyError(ErrorCode.INVALID_MULTIPLIER, max=int(MAX_MULTIPLIER))
    if ends_at <= starts_at:
        raise LoyaltyError(ErrorCode.FESTIVAL_ENDS_FIRST)
    if key is not None and (earlier := await Festival.get_or_none(request_key=key)) is not None:
        return await get_festival(earlier.id)
    festival = await Festival.create(
        name=name,
        multiplier=multiplier,
        starts_at=starts_at,
        ends_at=ends_at,
        branch_id=branch_id,
        product_group_id=group_id,
        tier_id=tier_id,
        created_at=now,
        request_key=key,
    )
    await audit.record(
        "festival_added",
        staff_id=staff_id,
        actor=actor,
        now=now,
        festival=festival.id,
        name=name,
        multiplier=str(multiplier),
    )
    return await get_festival(festival.id)


async def end_festival(
    festival_id: int, *, staff_id: int | None = None, actor: str = "", now: datetime
) -> Festival:
    """End a festival now: its end is brought forward, so purchases before now keep it.
    One already over is left as it is."""
    festival = await get_festival(festival_id)
    ended = await Festival.filter(id=festival_id, ends_at__gt=now).update(ends_at=now, ended_at=now)
    if ended:
        await audit.record(
            "festival_ended", staff_id=staff_id, actor=actor, now=now, festival=festival_id
        )
    return await get_festival(festival.id)


async def get_festival(festival_id: int) -> Festival:
    """A festival with its branch, group and tier; FESTIVAL_NOT_FOUND when there is none."""
    festival = await Festival.get_or_none(id=festival_id).prefetch_related(
        "branch", "product_group", "tier"
    )
    if festival is None:
        raise LoyaltyError(ErrorCode.FESTIVAL_NOT_FOUND, festival=festival_id)
    return festival


__all__ = [
    "MAX_MULTIPLIER",
    "add_festival",
    "applying",
    "end_festival",
    "find_branch",
    "find_group",
    "find_tier",
    "get_festival",
    "ledger_note",
    "listed",
    "multiplier_of",
    "read_day",
    "read_multiplier",
    "running",
    "shown_multiplier",
    "every",
]
