"""Charity: causes the owner sets up, and points members give to them.

A gift is one ledger row (kind GIVE, a debit with `require_funds`, so gifts sent at once
never overdraw: the check and the debit are one conditional UPDATE) and one `CharityGift`
row naming the cause, written in the same transaction. A cause's total is the sum of its
gifts, which equals the sum of those ledger rows. Every check is made before anything
is written, so refused input never reaches the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.functions import Sum

from loyalty import audit, ledger
from loyalty.clock import utcnow
from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.members import get_member
from loyalty.numbers import INT_MAX, parse_int
from loyalty.rules import get_rules
from loyalty.text import clean_name
from models import Cause, CharityGift, EntryKind, LedgerEntry

MAX_DESCRIPTION = 300
MAX_POINT_VALUE = 1_000_000_000  # money per point: a typo of extra zeros is refused
REASON = "charity"


@dataclass(frozen=True)
class Standing:
    """A cause with the points the club's members have given it, and their money value."""

    cause: Cause
    points: int
    money: int


@dataclass(frozen=True)
class Given:
    """A gift made (or found again: `replayed`), the giver's balance and the cause's total."""

    cause: Cause
    points: int
    balance: int
    total: int
    replayed: bool


# --- the owner's causes ------------------------------------------------------------------


def read_point_value(raw: str) -> int:
    """The money one point is worth for a cause: a whole number above zero."""
    value = parse_int(raw, maximum=MAX_POINT_VALUE)
    if value <= 0:
        raise LoyaltyError(ErrorCode.INVALID_AMOUNT, amount=raw)
    return value


def read_target(raw: str) -> int:
    """A cause's target in points: a whole number above zero."""
    value = parse_int(raw, maximum=INT_MAX)
    if value <= 0:
        raise LoyaltyError(ErrorCode.INVALID_AMOUNT, amount=raw)
    return value


async def add_cause(
    name: str,
    point_value: int,
    *,
    description: str = "",
    target: int | None = None,
    staff_id: int | None = None,
    actor: str = "",
    key: str | None = None,
    now: datetime | None = None,
) -> Cause:
    """A new active cause; with `key`, the one added under that key before, if any."""
    now = now or utcnow()
    name = clean_name(name)
    description = " ".join(description.split())
    if len(description) > MAX_DESCRIPTION:
        raise LoyaltyError(ErrorCode.TEXT_TOO_LONG, max=MAX_DESCRIPTION)
    if not 0 < point_value <= MAX_POINT_VALUE:
        raise LoyaltyError(ErrorCode.INVALID_AMOUNT, amount=point_value)
    if target is not None and not 0 < target <= INT_MAX:
        raise LoyaltyError(ErrorCode.INVALID_AMOUNT, amount=target)
    if key is not None and (earlier := await Cause.get_or_none(request_key=key)) is not None:
        return earlier
    cause = await Cause.create(
        name=name,
        description=description,
        point_value=point_value,
        target=target,
        created_at=now,
        request_key=key,
    )
    await audit.record(
        "cause_added",
        staff_id=staff_id,
        actor=actor,
        now=now,
        cause=cause.id,
        name=name,
        point_value=point_value,
    )
    return cause


async def end_cause(
    cause_id: int, *, staff_id: int | None = None, actor: str = "", now: datetime | None = None
) -> Cause:
    """Take a cause off the list: it takes no more gifts; what it was given stays."""
    cause = await get_cause(cause_id)
    if await Cause.filter(id=cause_id, active=True).update(active=False):
        await audit.record(
            "cause_ended", staff_id=staff_id, actor=actor, now=now or utcnow(), cause=cause_id
        )
        cause.active = False
    return cause


async def get_cause(cause_id: int) -> Cause:
    cause = await Cause.get_or_none(id=cause_id)
    if cause is None:
        raise LoyaltyError(ErrorCode.CAUSE_NOT_FOUND, cause=cause_id)
    return cause


async def standings(*, active_only: bool = True) -> list[Standing]:
    """The causes (the active ones, or all), oldest first, with their totals."""
    causes = Cause.filter(active=True) if active_only else Cause.all()
    given = await _sums(CharityGift.all())
    return [Standing(cause, *given.get(cause.id, (0, 0))) for cause in await causes.order_by("id")]


async def given_between(start: datetime, end: datetime) -> list[Standing]:
    """Per cause, what was given from `start` until `end` (both included, as the report's
    other figures); causes given nothing then are left out."""
    given = await _sums(CharityGift.filter(created_at__gte=start, created_at__lte=end))
    causes = await Cause.filter(id__in=list(given)).order_by("id")
    return [Standing(cause, *given[cause.id]) for cause in causes]


async def _sums(gifts) -> dict[int, tuple[int, int]]:  # type: ignore[no-untyped-def]
    rows = (
        await gifts.group_by("cause_id")
        .annotate(points_sum=Sum("points"), money_sum=Sum("money"))
        .values("cause_id", "points_sum", "money_sum")
    )
    return {
        row["cause_id"]: (int(row["points_sum"] or 0), int(row["money_sum"] or 0)) for row in rows
    }


async def total_of(cause_id: int) -> int:
    rows = (
        await CharityGift.filter(cause_id=cause_id)
        .annotate(total=Sum("points"))
        .values_list("total", flat=True)
    )
    return int(rows[0] or 0) if rows else 0


# --- members give ----------------------------------------------------------------------


async def read_points(raw: str) -> int:
    """Points a member typed to give: a whole number, at least the club's minimum."""
    points = parse_int(raw, maximum=INT_MAX)
    return await check_points(points)


async def check_points(points: int) -> int:
    minimum = (await get_rules()).charity_min
    if points <= 0:
        raise LoyaltyError(ErrorCode.INVALID_AMOUNT, amount=points)
    if points < minimum:
        raise LoyaltyError(ErrorCode.CHARITY_BELOW_MINIMUM, minimum=minimum)
    return points


async def pick_cause(number: int | None) -> Cause:
    """The cause a member means: the one numbered, or the only active one. CAUSE_NOT_FOUND
    for a number of no active cause, CHOOSE_CAUSE when several are active and none was
    named, NO_CAUSES when none is."""
    if number is not None:
        cause = await Cause.get_or_none(id=number, active=True)
        if cause is None:
            raise LoyaltyError(ErrorCode.CAUSE_NOT_FOUND, cause=number)
        return cause
    active = await Cause.filter(active=True).order_by("id").limit(2)
    if not active:
        raise LoyaltyError(ErrorCode.NO_CAUSES)
    if len(active) > 1:
        raise LoyaltyError(ErrorCode.CHOOSE_CAUSE)
    return active[0]


async def give(
    member_id: int, cause_id: int, points: int, *, key: str, now: datetime | None = None
) -> Given:
    """Give `points` of a member's balance to an active cause, once per `key` (the chat
    message, button press or SMS that asked), never more than the member holds."""
    now = now or utcnow()
    key = f"give:{key}"
    member = await get_member(member_id)
    earlier = await _replay(key)
    if earlier is not None:
        return earlier
    cause = await pick_cause(cause_id)
    await check_points(points)
    if points > member.balance:
        raise LoyaltyError(ErrorCode.NOT_ENOUGH_POINTS, balance=member.balance, needed=points)

    async def action() -> Given:
        posted = await ledger.post(
            member_id,
            EntryKind.GIVE,
            -points,
            REASON,
            key,
            now=now,
            note=cause.name,
            require_funds=True,
        )
        await CharityGift.create(
            cause_id=cause.id,
            member_id=member_id,
            entry_id=posted.entry.id,
            points=points,
            money=points * cause.point_value,
            created_at=now,
        )
        return Given(cause, points, posted.balance, await total_of(cause.id), False)

    try:
        result, _ = await ledger.once(action, lambda: _replay(key), look_first=False)
    except LoyaltyError as refusal:
        # The same request sent twice at once: the one that paid emptied the balance, so
        # this one finds no funds; it gets the first answer, as a repeat does.
        earlier = await _replay(key) if refusal.code is ErrorCode.NOT_ENOUGH_POINTS else None
        if earlier is None:
            raise
        return earlier
    return result


async def _replay(key: str) -> Given | None:
    entry = await LedgerEntry.get_or_none(idempotency_key=key)
    if entry is None:
        return None
    gift = await CharityGift.get(entry_id=entry.id).prefetch_related("cause")
    return Given(
        gift.cause,
        gift.points,
        await ledger.balance_of(entry.member_id),  # type: ignore[attr-defined]
        await total_of(gift.cause.id),
        True,
    )
