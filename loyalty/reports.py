"""The club's figures for a period, for the whole club or one branch."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from tortoise.expressions import Subquery
from tortoise.functions import Count, Sum

from loyalty.audiences import born_by
from models import Branch, Card, EntryKind, LedgerEntry, Member, Purchase, Tier, Voucher
from models.statements import Statement, db_value

# Age groups as marketing people count them; "unknown" when no birthday was given.
AGE_GROUPS = ((0, 17, "under_18"), (18, 24, "18_24"), (25, 34, "25_34"), (35, 44, "35_44"),
              (45, 54, "45_54"), (55, 200, "55_plus"))
ISSUED_KINDS = (EntryKind.EARN, EntryKind.BONUS, EntryKind.ADJUST)


@dataclass
class Report:
    start: datetime
    end: datetime
    branch_id: int | None
    members_total: int = 0
    members_new: int = 0
    members_churned: int = 0  # joined on Telegram and now unreachable there (blocked the bot)
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


# The members' figures are counted in the database, one scan of the member table grouped
# by every dimension at once: reading every row into Python grew with the club (a few hundred
# groups come back instead).
def _member_figures(branch: bool) -> Statement:
    age = " ".join(
        f"WHEN birth_date > ? THEN '{name}'" for name in ("unknown", *(name for _, _, name in AGE_GROUPS))
    )
    return Statement(Member, f"""
        SELECT tier_id, gender, customer_type, branch_id, CASE WHEN birth_date IS NULL THEN 'unknown' {age}
               ELSE 'unknown' END AS age, COUNT(*) AS n,
               SUM(CASE WHEN joined_at >= ? THEN 1 ELSE 0 END) AS new,
               SUM(CASE WHEN telegram_id IS NOT NULL AND reachable_telegram = ? THEN 1 ELSE 0 END) AS churned
        FROM member WHERE deleted_at IS NULL AND joined_at <= ? {"AND branch_id = ?" if branch else ""}
        GROUP BY tier_id, gender, customer_type, branch_id, age
    """)


_figures = {branch: _member_figures(branch) for branch in (False, True)}


def _age_bounds(today: date) -> list[object]:
    """The `?` of the age CASE: born after today (unknown), then the first birth date too
    young for each group's upper age (the age rule of `audiences.born_by`)."""
    bounds = [today] + [born_by(today, high + 1) for _, high, _ in AGE_GROUPS]
    return [db_value(Member, "birth_date", bound) for bound in bounds]


async def build(start: datetime, end: datetime, *, branch_id: int | None = None, top: int = 5) -> Report:
    """Members as of `end` and what happened from `start` to `end`, both included."""
    report = Report(start, end, branch_id)
    params = [*_age_bounds(end.date()), db_value(Member, "joined_at", start),
              db_value(Member, "reachable_telegram", False), db_value(Member, "joined_at", end)]
    if branch_id is not None:
        params.append(branch_id)
    rows = await _figures[branch_id is not None].rows(*params)
    tiers = {t.id: t.code for t in await Tier.all()}
    branches = {b.id: b.name for b in await Branch.all()}
    report.members_total = sum(int(r["n"]) for r in rows)
    report.members_new = sum(int(r["new"]) for r in rows)
    report.members_churned = sum(int(r["churned"]) for r in rows)
    report.by_tier = _count((tiers.get(r["tier_id"], "none"), r["n"]) for r in rows)
    report.by_gender = _count((str(r["gender"]), r["n"]) for r in rows)
    report.by_age = _count((r["age"], r["n"]) for r in rows)
    report.by_customer_type = _count((str(r["customer_type"]), r["n"]) for r in rows)
    report.by_branch = _count((branches.get(r["branch_id"], "-"), r["n"]) for r in rows)
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


def _entries(report: Report):  # type: ignore[no-untyped-def]
    query = LedgerEntry.filter(created_at__gte=report.start, created_at__lte=report.end)
    if report.branch_id is not None:
        # A subquery, not a join: Tortoise groups a joined SUM by every column of the row.
        query = query.filter(member_id__in=Subquery(Member.filter(branch_id=report.branch_id).values("id")))
    return query


async def _total(query) -> int:  # type: ignore[no-untyped-def]
    rows = await query.annotate(total=Sum("amount")).values("total")
    return int(rows[0]["total"] or 0) if rows else 0


async def _points(report: Report) -> None:
    report.points_issued = await _total(_entries(report).filter(kind__in=ISSUED_KINDS, amount__gt=0))
    # Redeemed net of vouchers cancelled or expired, which give the points back.
    redeemed = -await _total(_entries(report).filter(kind=EntryKind.REDEEM))
    returned = await _total(_entries(report).filter(kind=EntryKind.REVERSE, voucher_id__not_isnull=True))
    report.points_redeemed = redeemed - returned
    report.points_expired = -await _total(_entries(report).filter(kind=EntryKind.EXPIRE))


async def _rewards(report: Report, top: int) -> None:
    query = Voucher.filter(issued_at__gte=report.start, issued_at__lte=report.end)
    if report.branch_id is not None:
        query = query.filter(member_id__in=Subquery(Member.filter(branch_id=report.branch_id).values("id")))
    rows = await query.annotate(n=Count("id")).group_by("reward__name").values("reward__name", "n")
    ranked = sorted(((r["reward__name"], int(r["n"])) for r in rows), key=lambda kv: (-kv[1], kv[0]))
    report.top_rewards = ranked[:top]


async def _purchases(report: Report, branches: dict[int, str]) -> None:
    query = Purchase.filter(created_at__gte=report.start, created_at__lte=report.end)
    if report.branch_id is not None:
        query = query.filter(branch_id=report.branch_id)
    rows = await query.annotate(n=Count("id"), total=Sum("amount")).group_by("branch_id").values("branch_id", "n", "total")
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
    tier: str
    balance: int
    branch: str
    joined_at: datetime


# Small pages: each is read on the event loop (SQLite runs there), so the bot answers
# others between them.
EXPORT_PAGE = 1_000


async def member_pages(branch_id: int | None = None, *, page: int = EXPORT_PAGE) -> AsyncIterator[list[MemberRow]]:
    """Members and balances for an export, `page` at a time in order of id: a club of
    500,000 is never in memory at once."""
    tiers = {t.id: t.code for t in await Tier.all()}
    branches = {b.id: b.name for b in await Branch.all()}
    after = 0
    while True:
        query = Member.filter(deleted_at=None, id__gt=after)
        if branch_id is not None:
            query = query.filter(branch_id=branch_id)
        rows = await query.order_by("id").limit(page).values_list(
            "id", "phone", "first_name", "last_name", "tier_id", "balance", "branch_id", "joined_at"
        )
        if not rows:
            return
        ids = [row[0] for row in rows]
        cards = dict(await Card.filter(member_id__in=ids, active=True).values_list("member_id", "number"))
        yield [
            MemberRow(id_, phone or "", first, last, cards.get(id_, ""), tiers.get(tier_id, ""), balance,
                      branches.get(branch, ""), joined)
            for id_, phone, first, last, tier_id, balance, branch, joined in rows
        ]
        after = ids[-1]
