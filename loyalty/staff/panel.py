"""The owner's web panel: one-time sign-in links, the member list, the week's figures.

`/panel` in the bot gives a link good for `LINK_LIFETIME` and for one opening; only the
token's SHA-256 is stored. Each page asks the permission table for its own action; a
manager of one branch sees that branch's members only (as `/member` in the bot).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import AsyncIterator, Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet

from loyalty import audit, reports
from loyalty.clock import utcnow
from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.members import find_member
from loyalty.staff import figures
from loyalty.staff.access import check_member_scope, identify, own_branch
from loyalty.staff.permissions import Action, require
from loyalty.text import to_ascii_digits
from models import Branch, CustomerType, Member, PanelLink, Staff, Tier
from models.queries import reports as reports_sql

LINK_LIFETIME = timedelta(minutes=5)
PAGE_SIZE = 50
SORTS = {  # the list's orders: the newest members, the highest balances; id breaks ties
    "joined": ("-joined_at", "-id"),
    "balance": ("-balance", "-id"),
}
MAX_QUERY = 64
# Counted up to this many: beyond it the page says "more than 1,000" and lists that many
# (20 pages; a search narrows further). Among 1,000,000 members a full count cost half a
# second, the last of 200 pages 0.7 s (bench/pages.py).
COUNT_LIMIT = 1_000
FIGURES_FOR = timedelta(minutes=1)  # the dashboard's figures are computed at most this often


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue_link(staff: Staff, *, now: datetime | None = None) -> str:
    """A new sign-in token for `staff`, good once within LINK_LIFETIME; audited."""
    now = now or utcnow()
    require(staff, Action.PANEL)
    token = secrets.token_urlsafe(24)
    link = await PanelLink.create(
        token_hash=_hash(token), staff=staff, created_at=now, expires_at=now + LINK_LIFETIME
    )
    await audit.record("panel_link", staff_id=staff.id, now=now, link=link.id)
    return token


async def redeem_link(
    token: str, owner_ids: Iterable[int], *, now: datetime | None = None
) -> Staff:
    """The staff member a link signs in, once: a used, expired or unknown token is refused
    (INVITE_NOT_FOUND), and so is one whose staff member may no longer open the panel."""
    now = now or utcnow()
    if not isinstance(token, str) or not 10 <= len(token) <= 100:
        raise LoyaltyError(ErrorCode.INVITE_NOT_FOUND)
    hashed = _hash(token)
    # One conditional update: of two openings at once, one finds the link unused.
    taken = await PanelLink.filter(token_hash=hashed, used_at=None, expires_at__gt=now).update(
        used_at=now
    )
    if not taken:
        raise LoyaltyError(ErrorCode.INVITE_NOT_FOUND)
    link = await PanelLink.get(token_hash=hashed)
    staff = await panel_staff(link.staff_id, owner_ids)
    if staff is None:
        raise LoyaltyError(ErrorCode.NOT_ALLOWED)
    await audit.record("panel_signin", staff_id=staff.id, now=now, link=link.id)
    return staff


async def sign_in_by_telegram(
    telegram_id: int, owner_ids: Iterable[int], *, name: str = "", now: datetime | None = None
) -> Staff:
    """The staff member a Telegram account is, signing in from the panel's Mini App (the
    door checked Telegram's signature); NOT_ALLOWED for anyone who may not open the panel."""
    now = now or utcnow()
    found = await identify(telegram_id, owner_ids, name=name, now=now)
    staff = await panel_staff(found.id, owner_ids) if found is not None else None
    if staff is None:
        raise LoyaltyError(ErrorCode.NOT_ALLOWED)
    await audit.record("panel_app_signin", staff_id=staff.id, now=now)
    return staff


async def panel_staff(staff_id: int, owner_ids: Iterable[int]) -> Staff | None:
    """The staff member a session names, while they are staff who may open the panel (an
    owner only while in OWNER_IDS; a revoked member of staff is nobody)."""
    row = await Staff.get_or_none(id=staff_id, active=True)
    if row is None:
        return None
    staff = await identify(row.telegram_id, owner_ids)
    if staff is None or staff.id != row.id:
        return None
    try:
        return require(staff, Action.PANEL)
    except LoyaltyError:
        return None


# Activity by the last purchase (its own index): bought within the days, or not.
ACTIVITIES = {"active_30": (30, True), "active_90": (90, True), "inactive_90": (90, False)}


@dataclass(frozen=True)
class MemberFilter:
    """What the member list is narrowed to; a value that names nothing known is ignored."""

    query: str = ""
    tier_id: int | None = None
    branch_id: int | None = None
    customer_type: str | None = None  # a CustomerType value
    interest_id: int | None = None  # a product group the member said they like
    activity: str | None = None  # a key of ACTIVITIES


@dataclass(frozen=True)
class MemberPage:
    members: list[Member]
    page: int  # from 0
    pages: int  # at least 1
    total: int  # at most COUNT_LIMIT
    more: bool = False  # more than COUNT_LIMIT found: only the first COUNT_LIMIT are listed


async def _filtered(staff: Staff, wanted: MemberFilter, now: datetime) -> QuerySet[Member] | None:
    """The members `wanted` names that `staff` may see, unordered; None when a phone or
    card number in the query finds nobody."""
    scope = own_branch(staff)
    branch_id = scope if scope is not None else wanted.branch_id
    query = " ".join((wanted.query or "").split())[:MAX_QUERY]
    members = Member.filter(deleted_at=None)
    if wanted.tier_id is not None:
        members = members.filter(tier_id=wanted.tier_id)
    if branch_id is not None:
        members = members.filter(branch_id=branch_id)
    if wanted.customer_type in set(CustomerType):
        members = members.filter(customer_type=CustomerType(wanted.customer_type))
    if wanted.interest_id is not None:
        members = members.filter(
            # As a campaign's audience picks by interest: a subquery, no duplicate rows.
            id__in=Subquery(Member.filter(interests__id=wanted.interest_id).values("id"))
        )
    if wanted.activity in ACTIVITIES:
        days, active = ACTIVITIES[wanted.activity]
        since = now - timedelta(days=days)
        members = members.filter(
            Q(last_purchase_at__gte=since)
            if active
            else Q(last_purchase_at=None) | Q(last_purchase_at__lt=since)
        )
    if query:
        plain = to_ascii_digits(query).replace(" ", "").replace("-", "")
        if plain.lstrip("+#").isdigit():
            try:
                found = await find_member(query)
            except LoyaltyError:
                return None
            members = members.filter(id=found.id)
        else:
            members = members.filter(name_matches(query))
    return members


async def list_members(
    staff: Staff,
    wanted: MemberFilter = MemberFilter(),
    *,
    sort: str = "joined",
    page: int = 0,
    now: datetime | None = None,
) -> MemberPage:
    """Members a page of PAGE_SIZE at a time. A query that is a phone number (any format,
    any digits) or a card number finds that one member, as in the bot; other text, members
    whose first or last name contains it (on PostgreSQL from trigram indexes, migration
    0029). A manager of one branch sees only its members. Found are counted up to
    COUNT_LIMIT, and only so many are listed."""
    require(staff, Action.PANEL_MEMBERS)
    if sort not in SORTS:
        sort = "joined"
    members = await _filtered(staff, wanted, now or utcnow())
    if members is None:
        return MemberPage([], 0, 1, 0)
    # Ids, not COUNT(*) of a subquery: the ORM has no such count, and 1,001 ids take a ms.
    counted = len(await members.limit(COUNT_LIMIT + 1).values_list("id", flat=True))
    total, more = min(counted, COUNT_LIMIT), counted > COUNT_LIMIT
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(0, page), pages - 1)
    rows = (
        await members.order_by(*SORTS[sort])
        .offset(page * PAGE_SIZE)
        .limit(min(PAGE_SIZE, total - page * PAGE_SIZE) if more else PAGE_SIZE)
        .prefetch_related("tier", "branch")
    )
    return MemberPage(list(rows), page, pages, total, more)


def name_matches(text: str) -> Q:
    """Members whose first or last name contains `text`, in any case. On PostgreSQL the
    statement is what the trigram indexes of migration 0029 are built on: keep them in step
    (tests/test_member_search.py)."""
    return Q(first_name__icontains=text) | Q(last_name__icontains=text)


def export_members(
    staff: Staff, wanted: MemberFilter, *, now: datetime | None = None
) -> AsyncIterator[list[reports.MemberRow]]:
    """The listed members as `/export` gives them, a page at a time by id; audited once all
    are read, with the filter. Refused here and now, so a refused export starts nothing."""
    require(staff, Action.PANEL_MEMBERS)
    require(staff, Action.EXPORT)
    return _export(staff, wanted, now or utcnow())


async def _export(
    staff: Staff, wanted: MemberFilter, now: datetime
) -> AsyncIterator[list[reports.MemberRow]]:
    members = await _filtered(staff, wanted, now)
    tiers = {t.id: (t.code, t.name) for t in await Tier.all()}
    branches = {b.id: b.name for b in await Branch.all()}
    count, after = 0, 0
    while members is not None:
        rows = await members.filter(id__gt=after).order_by("id").limit(reports.EXPORT_PAGE)
        if not rows:
            break
        cards = await reports_sql.active_cards(rows[0].id, rows[-1].id)
        yield [
            reports.MemberRow(
                m.id,
                m.phone or "",
                m.first_name,
                m.last_name,
                cards.get(m.id, ""),
                m.birth_date,
                m.gender,
                m.customer_type,
                branches.get(m.branch_id, "") if m.branch_id else "",
                *tiers.get(m.tier_id or 0, ("", None)),
                m.balance,
                m.joined_at,
            )
            for m in rows
        ]
        count += len(rows)
        after = rows[-1].id
    await audit.record(
        "export",
        staff_id=staff.id,
        now=now,
        branch=own_branch(staff),
        rows=count,
        **{k: v for k, v in asdict(wanted).items() if v not in (None, "")},
    )


async def member_for(staff: Staff, member_id: int) -> Member:
    """A member the panel may show this staff member, or MEMBER_NOT_FOUND / NOT_ALLOWED."""
    require(staff, Action.PANEL_MEMBERS)
    member = await Member.get_or_none(id=member_id, deleted_at=None)
    if member is None:
        raise LoyaltyError(ErrorCode.MEMBER_NOT_FOUND, reference=f"#{member_id}")
    check_member_scope(staff, member.branch_id)
    return member


WEEKS = 12  # the dashboard's charts: this many weeks, the last one ending now


@dataclass(frozen=True)
class Dashboard:
    """The week's figures and the charts' data: WEEKS weeks, the last of them the week's."""

    members: int
    joined: int  # in the last 7 local days, today included
    issued: int
    redeemed: int
    report: reports.Report  # of WEEKS weeks: members by group, joins and leaves per week
    weeks: list[reports.Activity]  # buyers and points per week, in step with report.timeline


_figures: dict[int | None, tuple[datetime, Dashboard]] = {}


async def dashboard(staff: Staff, *, tz: ZoneInfo, now: datetime | None = None) -> Dashboard:
    """The figures of `/report` for WEEKS weeks (the same function, its permission and
    audit), week by week, kept for FIGURES_FOR per branch scope so that reloading the
    page is cheap."""
    now = now or utcnow()
    require(staff, Action.REPORT)
    scope = own_branch(staff)
    kept = _figures.get(scope)
    if kept is not None and kept[0] <= now < kept[0] + FIGURES_FOR:
        return kept[1]
    report: reports.Report = await figures.report(staff, WEEKS * 7, tz=tz, now=now)
    weeks = await reports.activity(report, tz)
    shown = Dashboard(
        report.members_total,
        report.timeline[-1].joined,
        weeks[-1].issued,
        weeks[-1].redeemed,
        report,
        weeks,
    )
    _figures[scope] = (now, shown)
    return shown


def forget_figures() -> None:
    """For tests and after a restore: the next dashboard computes its figures afresh."""
    _figures.clear()
