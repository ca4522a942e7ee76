"""The club's figures for a period, for the whole club or one branch."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from tortoise.expressions import Subquery
from tortoise.functions import Count, Sum

from loyalty.audiences import born_by
from models import Branch, EntryKind, LedgerEntry, Member, Purchase, Tier, Voucher
from models.queries import reports as reports_sql

# Age groups as marketing people count them; "unknown" when no birthday was given.
AGE_GROUPS = (
    (0, 17, "under_18"),
    (18, 24, "18_24"),
    (25, 34, "25_34"),
    (35, 44, "35_44"),
    (45, 54, "45_54"),
    (55, 200, "55_plus"),
)
ISSUED_KINDS = (EntryKind.EARN, EntryKind.BONUS, EntryKind.ADJUST)


@dataclass(frozen=True)
class Period:
    """Members who joined, and who left (deleted their data), from the local day `start` on."""

    start: date
    joined: int = 0
    left: int = 0


@dataclass
class Report:
    start: datetime
    end: datetime
    branch_id: int | None
    members_total: int = 0
    members_new: int = 0  # joined in the period, those who left since included
    members_left: int = 0  # deleted their data in the period
    members_churned: int = 0  # joined on Telegram and now unreachable there (blocked the bot)
    timeline: list[Period] = field(default_factory=list)
    tiers: dict[str, str | None] = field(
        default_factory=dict
    )  # code: the owner's name, lowest first
    by_tier: dict[str, int] = field(default_factory=dict)
    by_gender: dict[str, int] = field(default_factory=dict)
    by_age: dict[str, int] = field(default_factory=dict)
    by_customer_type: dict[str, int] = field(default_factory=dict)
    by_branch: dict[str, int] = field(default_factory=dict)
    points_issued: int = 0
    points_redeemed: int = 0
    points_expired: int = 0
    top_rewards: list[tuple[str, int]] = field(default_factory=list)
    purchases_by_branch: dict[str, tuple[int, int]] = field(default_factory=dict)  # count, amount


def _age_bounds(today: date) -> list[tuple[str, date]]:
    """Each age group and the first birth date too young for it: born after today is
    unknown, then each group's upper age (the age rule of `audiences.born_by`)."""
    return [("unknown", today)] + [(name, born_by(today, high + 1)) for _, high, name in AGE_GROUPS]


async def build(
    start: datetime, end: datetime, *, tz: tzinfo, branch_id: int | None = None, top: int = 5
) -> Report:
    """Members as of `end` and what happened from `start` to `end`, both included; `start`
    is a local midnight of `tz`, the days of the timeline are `tz`'s."""
    report = Report(start, end, branch_id)
    rows = await reports_sql.member_figures(_age_bounds(end.date()), end, branch_id)
    all_tiers = await Tier.all().order_by("threshold")
    report.tiers = {t.code: t.name for t in all_tiers}
    tiers = {t.id: t.code for t in all_tiers}
    branches = {b.id: b.name for b in await Branch.all()}
    report.members_total = sum(int(r["n"]) for r in rows)
    report.members_churned = sum(int(r["churned"]) for r in rows)
    report.by_tier = _count((tiers.get(r["tier_id"], "none"), r["n"]) for r in rows)
    report.by_gender = _count((str(r["gender"]), r["n"]) for r in rows)
    report.by_age = _count((r["age"], r["n"]) for r in rows)
    report.by_customer_type = _count((str(r["customer_type"]), r["n"]) for r in rows)
    report.by_branch = _count((branches.get(r["branch_id"], "-"), r["n"]) for r in rows)
    report.timeline = await _timeline(report, tz)
    report.members_new = sum(p.joined for p in report.timeline)
    report.members_left = sum(p.left for p in report.timeline)
    await _points(report)
    await _rewards(report, top)
    await _purchases(report, branches)
    return report


def _count(counted: Iterable[tuple[str, int]]) -> dict[str, int]:
    """Counts summed by name, the largest first (then by name)."""
    totals: Counter[str] = Counter()
    for name, n in counted:
        totals[name] += int(n)
    return dict(sorted(totals.items(), key=lambda kv: (-kv[1], kv[0])))


def step_days(days: int) -> int:
    """The timeline's step: a day for a month or less, a week up to a year, then 30 days."""
    return 1 if days <= 31 else 7 if days <= 366 else 30


def _periods(report: Report, tz: tzinfo) -> tuple[list[date], list[datetime]]:
    """The timeline's periods: each one's first local day, and their edges (the report's
    start, each next period's start, the report's end)."""
    first, last = report.start.astimezone(tz).date(), report.end.astimezone(tz).date()
    step = step_days((last - first).days + 1)
    starts = [first + timedelta(days=n) for n in range(0, (last - first).days + 1, step)]
    # Bounds in UTC, as every time is stored: SQLite compares stored times as text.
    bounds = [datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC) for day in starts[1:]]
    return starts, [report.start, *bounds, report.end]


async def _timeline(report: Report, tz: tzinfo) -> list[Period]:
    """Joins and leaves per day (or week, or 30 days) from the report's start to its end."""
    starts, edges = _periods(report, tz)
    joined = [0] * len(starts)
    left = [0] * len(starts)
    for row in await reports_sql.joined_and_left(edges, report.branch_id):
        if row["joined"] is not None:
            joined[int(row["joined"])] += int(row["n"])
        if row["gone"] is not None:
            left[int(row["gone"])] += int(row["n"])
    return [Period(day, j, g) for day, j, g in zip(starts, joined, left, strict=True)]


@dataclass(frozen=True)
class Activity:
    """One period of the timeline: members who bought, and points by what became of them
    (counted as the report's totals count them)."""

    start: date
    active: int = 0  # members who bought in the period
    issued: int = 0
    redeemed: int = 0
    expired: int = 0


async def activity(report: Report, tz: tzinfo) -> list[Activity]:
    """The report's timeline periods with their buyers and points, for the owner's charts."""
    starts, edges = _periods(report, tz)
    active = [0] * len(starts)
    for row in await reports_sql.buyers_by_period(edges, report.branch_id):
        if row["period"] is not None:
            active[int(row["period"])] += int(row["n"])
    issued, redeemed, expired = [0] * len(starts), [0] * len(starts), [0] * len(starts)
    for row in await reports_sql.points_by_period(edges, report.branch_id):
        if row["period"] is None:
            continue
        n, kind = int(row["period"]), row["kind"]
        gained, total = int(row["gained"] or 0), int(row["total"] or 0)
        if kind in ISSUED_KINDS:
            issued[n] += gained
        elif kind == EntryKind.REDEEM:
            redeemed[n] -= total
        elif kind == EntryKind.REVERSE and int(row["voucher"]):
            redeemed[n] -= total  # a voucher cancelled or expired gives its points back
        elif kind == EntryKind.EXPIRE:
            expired[n] -= total
    return [
        Activity(day, *figures)
        for day, *figures in zip(starts, active, issued, redeemed, expired, strict=True)
    ]


def _entries(report: Report):  # type: ignore[no-untyped-def]
    query = LedgerEntry.filter(created_at__gte=report.start, created_at__lte=report.end)
    if report.branch_id is not None:
        # A subquery, not a join: Tortoise groups a joined SUM by every column of the row.
        query = query.filter(
            member_id__in=Subquery(Member.filter(branch_id=report.branch_id).values("id"))
        )
    return query


async def _total(query) -> int:  # type: ignore[no-untyped-def]
    rows = await query.annotate(total=Sum("amount")).values("total")
    return int(rows[0]["total"] or 0) if rows else 0


async def _points(report: Report) -> None:
    report.points_issued = await _total(
        _entries(report).filter(kind__in=ISSUED_KINDS, amount__gt=0)
    )
    # Redeemed net of vouchers cancelled or expired, which give the points back.
    redeemed = -await _total(_entries(report).filter(kind=EntryKind.REDEEM))
    returned = await _total(
        _entries(report).filter(kind=EntryKind.REVERSE, voucher_id__not_isnull=True)
    )
    report.points_redeemed = redeemed - returned
    report.points_expired = -await _total(_entries(report).filter(kind=EntryKind.EXPIRE))


async def _rewards(report: Report, top: int) -> None:
    query = Voucher.filter(issued_at__gte=report.start, issued_at__lte=report.end)
    if report.branch_id is not None:
        query = query.filter(
            member_id__in=Subquery(Member.filter(branch_id=report.branch_id).values("id"))
        )
    rows = await query.annotate(n=Count("id")).group_by("reward__name").values("reward__name", "n")
    ranked = sorted(
        ((r["reward__name"], int(r["n"])) for r in rows), key=lambda kv: (-kv[1], kv[0])
    )
    report.top_rewards = ranked[:top]


async def _purchases(report: Report, branches: dict[int, str]) -> None:
    query = Purchase.filter(created_at__gte=report.start, created_at__lte=report.end)
    if report.branch_id is not None:
        query = query.filter(branch_id=report.branch_id)
    rows = (
        await query.annotate(n=Count("id"), total=Sum("amount"))
        .group_by("branch_id")
        .values("branch_id", "n", "total")
    )
    report.purchases_by_branch = {
        branches.get(r["branch_id"], "-"): (int(r["n"]), int(r["total"] or 0))
        for r in sorted(rows, key=lambda r: r["branch_id"])
    }


@dataclass(frozen=True)
class MemberRow:
    id: int
    phone: str
    first_name: str
    last_name: str
    card: str
    birth_date: date | None
    gender: str  # a Gender value
    customer_type: str  # a CustomerType value
    branch: str
    tier: str  # the tier's code, "" without one
    tier_name: str | None  # the owner's name for it
    balance: int
    joined_at: datetime


# Small pages: each is read on the event loop (SQLite runs there), so the bot answers
# others between them.
EXPORT_PAGE = 1_000


def _moment(stored: datetime | str) -> datetime:
    """A stored time: SQLite hands back the ISO text it keeps, always with its UTC offset."""
    return stored if isinstance(stored, datetime) else datetime.fromisoformat(stored)


def _day(stored: date | str | None) -> date | None:
    """A stored date: SQLite hands back its ISO text."""
    return date.fromisoformat(stored) if isinstance(stored, str) else stored


async def member_pages(
    branch_id: int | None = None, *, page: int = EXPORT_PAGE
) -> AsyncIterator[list[MemberRow]]:
    """Members and balances for an export, `page` at a time in order of id: a club of
    500,000 is never in memory at once."""
    tiers = {t.id: (t.code, t.name) for t in await Tier.all()}
    branches = {b.id: b.name for b in await Branch.all()}
    after = 0
    while True:
        rows = await reports_sql.member_page(after, branch_id, page)
        if not rows:
            return
        first, last = rows[0]["id"], rows[-1]["id"]
        cards = await reports_sql.active_cards(first, last)
        yield [
            MemberRow(
                r["id"],
                r["phone"] or "",
                r["first_name"],
                r["last_name"],
                cards.get(r["id"], ""),
                _day(r["birth_date"]),
                r["gender"],
                r["customer_type"],
                branches.get(r["branch_id"], ""),
                *tiers.get(r["tier_id"], ("", None)),
                int(r["balance"]),
                _moment(r["joined_at"]),
            )
            for r in rows
        ]
        after = last
