"""The owner's web panel: one-time sign-in links, the member list, the week's figures.

`/panel` in the bot gives a link good for `LINK_LIFETIME` and for one opening; only the
token's SHA-256 is stored. Each page asks the permission table for its own action; a
manager of one branch sees that branch's members only (as `/member` in the bot).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tortoise.expressions import Q

from loyalty import audit, reports
from loyalty.clock import utcnow
from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.members import find_member
from loyalty.staff import figures
from loyalty.staff.access import check_member_scope, identify, own_branch
from loyalty.staff.permissions import Action, require
from loyalty.text import to_ascii_digits
from models import Member, PanelLink, Staff

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


@dataclass(frozen=True)
class MemberPage:
    members: list[Member]
    page: int  # from 0
    pages: int  # at least 1
    total: int  # at most COUNT_LIMIT
    more: bool = False  # more than COUNT_LIMIT found: only the first COUNT_LIMIT are listed


async def list_members(
    staff: Staff,
    *,
    query: str = "",
    tier_id: int | None = None,
    branch_id: int | None = None,
    sort: str = "joined",
    page: int = 0,
) -> MemberPage:
    """Members a page of PAGE_SIZE at a time. `query`: a phone number (any format, any
    digits) or a card number finds that one member, as in the bot; other text, members
    whose first or last name contains it (on PostgreSQL from trigram indexes, migration
    0028). A manager of one branch sees only its members. Found are counted up to
    COUNT_LIMIT, and only so many are listed."""
    require(staff, Action.PANEL_MEMBERS)
    scope = own_branch(staff)
    if scope is not None:
        branch_id = scope
    if sort not in SORTS:
        sort = "joined"
    query = " ".join((query or "").split())[:MAX_QUERY]
    members = Member.filter(deleted_at=None)
    if tier_id is not None:
        members = members.filter(tier_id=tier_id)
    if branch_id is not None:
        members = members.filter(branch_id=branch_id)
    if query:
        plain = to_ascii_digits(query).replace(" ", "").replace("-", "")
        if plain.lstrip("+#").isdigit():
            try:
                found = await find_member(query)
            except LoyaltyError:
                return MemberPage([], 0, 1, 0)
            members = members.filter(id=found.id)
        else:
            members = members.filter(name_matches(query))
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
    statement is what the trigram indexes of migration 0028 are built on: keep them in step
    (tests/test_member_search.py)."""
    return Q(first_name__icontains=text) | Q(last_name__icontains=text)


async def member_for(staff: Staff, member_id: int) -> Member:
    """A member the panel may show this staff member, or MEMBER_NOT_FOUND / NOT_ALLOWED."""
    require(staff, Action.PANEL_MEMBERS)
    member = await Member.get_or_none(id=member_id, deleted_at=None)
    if member is None:
        raise LoyaltyError(ErrorCode.MEMBER_NOT_FOUND, reference=f"#{member_id}")
    check_member_scope(staff, member.branch_id)
    return member


@dataclass(frozen=True)
class Dashboard:
    members: int
    joined: int  # in the last 7 local days, today included
    issued: int
    redeemed: int


_figures: dict[int | None, tuple[datetime, Dashboard]] = {}


async def dashboard(staff: Staff, *, tz: ZoneInfo, now: datetime | None = None) -> Dashboard:
    """The week's figures from `/report 7` (the same function, its permission and audit),
    kept for FIGURES_FOR per branch scope so that reloading the page is cheap."""
    now = now or utcnow()
    require(staff, Action.REPORT)
    scope = own_branch(staff)
    kept = _figures.get(scope)
    if kept is not None and kept[0] <= now < kept[0] + FIGURES_FOR:
        return kept[1]
    report: reports.Report = await figures.report(staff, 7, tz=tz, now=now)
    shown = Dashboard(
        report.members_total, report.members_new, report.points_issued, report.points_redeemed
    )
    _figures[scope] = (now, shown)
    return shown


def forget_figures() -> None:
    """For tests and after a restore: the next dashboard computes its figures afresh."""
    _figures.clear()
