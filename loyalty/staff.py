"""Who runs the club and what each of them may do; every staff action leaves an audit row.

Roles: the owner (the Telegram ids in OWNER_IDS, passed in by the caller), a manager of
one branch or of all, a cashier of one branch. Counter actions (purchases, refunds,
vouchers) go through here so that the role check, the cashier daily cap and the audit
record are decided once, whatever door the request came through.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import NoReturn
from zoneinfo import ZoneInfo

from tortoise.transactions import in_transaction

from loyalty import audit, corrections, earning, notify, reports, rewards
from loyalty.clock import utcnow
from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.inbox import open_items
from loyalty.ledger import history
from loyalty.members import active_card
from loyalty.rules import ClubConfig, current_config, default_branch, get_rules
from loyalty.text import clean_name, to_ascii_digits
from models import (
    AuditEntry,
    Branch,
    Channel,
    EntryKind,
    InboxItem,
    LedgerEntry,
    Member,
    PendingApproval,
    ProductGroup,
    Reward,
    RewardKind,
    Staff,
    StaffInvite,
    StaffRole,
    Tier,
    Voucher,
)
from models import statements as sql

INVITE_PREFIX = "staff_"
MANAGERS = (StaffRole.OWNER, StaffRole.MANAGER)
# Kinds of rows a cashier issues points with; the daily cap counts them.
CAPPED_KINDS = (EntryKind.EARN, EntryKind.ADJUST)


# ---- who is staff -------------------------------------------------------------------------


async def identify(
    telegram_id: int, owner_ids: Iterable[int], *, name: str = "", now: datetime | None = None
) -> Staff | None:
    """The active staff member behind a Telegram account, or None for everyone else.

    An owner gets a Staff row the first time, so that their actions carry a staff id too.
    """
    if telegram_id in set(owner_ids):
        staff = await Staff.get_or_none(telegram_id=telegram_id)
        if staff is None:
            return await Staff.create(
                telegram_id=telegram_id,
                name=name[:100],
                role=StaffRole.OWNER,
                created_at=now or utcnow(),
            )
        if staff.role is not StaffRole.OWNER or not staff.active:
            staff.role, staff.active, staff.branch_id = StaffRole.OWNER, True, None
            await staff.save(update_fields=["role", "active", "branch_id"])
        return staff
    staff = await sql.active_staff_by_telegram.first(telegram_id, True)
    if staff is not None and staff.role is StaffRole.OWNER:
        return None  # removed from OWNER_IDS: no longer an owner
    return staff


def is_manager(staff: Staff) -> bool:
    return staff.role in MANAGERS


def require(staff: Staff | None, *roles: StaffRole) -> Staff:
    if staff is None or not staff.active or (roles and staff.role not in roles):
        raise LoyaltyError(ErrorCode.NOT_ALLOWED)
    return staff


def sees_all_branches(staff: Staff) -> bool:
    return staff.role is StaffRole.OWNER or (
        staff.role is StaffRole.MANAGER and staff.branch_id is None
    )


def report_branch(staff: Staff) -> int | None:
    """The branch a staff member's figures are limited to; None: the whole club."""
    require(staff, *MANAGERS)
    return None if sees_all_branches(staff) else staff.branch_id


async def counter_branch(staff: Staff) -> int:
    """Where this staff member rings purchases up: their own branch, else the first one."""
    return staff.branch_id if staff.branch_id is not None else (await default_branch()).id


def _check_branch_scope(staff: Staff, branch_id: int | None) -> None:
    if not sees_all_branches(staff) and branch_id != staff.branch_id:
        raise LoyaltyError(ErrorCode.NOT_ALLOWED)


# ---- invites, roles -----------------------------------------------------------------------


async def create_invite(
    creator: Staff, role: StaffRole, branch_id: int | None, *, now: datetime | None = None
) -> StaffInvite:
    """A one-time invitation; the deep link payload is `staff_<token>`.

    The owner invites anyone but another owner; a manager invites cashiers of a branch
    they manage. Cashiers are always tied to one branch.
    """
    now = now or utcnow()
    require(creator, *MANAGERS)
    if role is StaffRole.OWNER or (
        role is StaffRole.MANAGER and creator.role is not StaffRole.OWNER
    ):
        raise LoyaltyError(ErrorCode.NOT_ALLOWED)
    branch_id = await _valid_branch(role, branch_id, creator)
    invite = await StaffInvite.create(
        token=secrets.token_urlsafe(12),
        role=role,
        branch_id=branch_id,
        created_by=creator,
        created_at=now,
    )
    await audit.record(
        "staff_invite",
        staff_id=creator.id,
        now=now,
        role=role.value,
        branch=branch_id,
        invite=invite.id,
    )
    return invite


async def _valid_branch(role: StaffRole, branch_id: int | None, creator: Staff) -> int | None:
    if role is StaffRole.CASHIER and branch_id is None:
        branch_id = (
            creator.branch_id if creator.branch_id is not None else (await default_branch()).id
        )
    if branch_id is not None and not await Branch.exists(id=branch_id, active=True):
        raise LoyaltyError(ErrorCode.BRANCH_NOT_FOUND, branch=branch_id)
    _check_branch_scope(creator, branch_id)
    return branch_id


def invite_payload(invite: StaffInvite) -> str:
    return f"{INVITE_PREFIX}{invite.token}"


async def accept_invite(
    payload: str, telegram_id: int, *, name: str = "", now: datetime | None = None
) -> Staff:
    """Use an invitation once: the opener becomes staff with its role and branch."""
    now = now or utcnow()
    token = payload.removeprefix(INVITE_PREFIX)
    invite = await StaffInvite.get_or_none(token=token, used_at=None)
    if invite is None:
        raise LoyaltyError(ErrorCode.INVITE_NOT_FOUND)
    # The conditional update makes a link that two people open at once work for one.
    if await StaffInvite.filter(id=invite.id, used_at=None).update(used_at=now) == 0:
        raise LoyaltyError(ErrorCode.INVITE_NOT_FOUND)
    staff = await Staff.get_or_none(telegram_id=telegram_id)
    if staff is None:
        staff = await Staff.create(
            telegram_id=telegram_id,
            name=name[:100],
            role=invite.role,
            branch_id=invite.branch_id,
            created_at=now,
        )
    else:
        staff.role, staff.branch_id, staff.active = invite.role, invite.branch_id, True
        staff.name = name[:100] or staff.name
        await staff.save(update_fields=["role", "branch_id", "active", "name"])
    await StaffInvite.filter(id=invite.id).update(used_by_id=staff.id)
    await audit.record(
        "staff_joined", staff_id=staff.id, now=now, role=invite.role.value, branch=invite.branch_id
    )
    return staff


async def _subordinate(actor: Staff, staff_id: int) -> Staff:
    require(actor, *MANAGERS)
    target = await Staff.get_or_none(id=staff_id)
    if target is None:
        raise LoyaltyError(ErrorCode.STAFF_NOT_FOUND, staff=staff_id)
    if target.role is StaffRole.OWNER or target.id == actor.id:
        raise LoyaltyError(ErrorCode.NOT_ALLOWED)
    if actor.role is StaffRole.MANAGER:
        if target.role is not StaffRole.CASHIER:
            raise LoyaltyError(ErrorCode.NOT_ALLOWED)
        _check_branch_scope(actor, target.branch_id)
    return target


async def change_role(
    actor: Staff,
    staff_id: int,
    role: StaffRole,
    branch_id: int | None,
    *,
    now: datetime | None = None,
) -> Staff:
    now = now or utcnow()
    target = await _subordinate(actor, staff_id)
    if role is StaffRole.OWNER or (role is StaffRole.MANAGER and actor.role is not StaffRole.OWNER):
        raise LoyaltyError(ErrorCode.NOT_ALLOWED)
    target.branch_id = await _valid_branch(role, branch_id, actor)
    target.role, target.active = role, True
    await target.save(update_fields=["role", "branch_id", "active"])
    await audit.record(
        "staff_role",
        staff_id=actor.id,
        now=now,
        target=target.id,
        role=role.value,
        branch=target.branch_id,
    )
    return target


async def revoke(actor: Staff, staff_id: int, *, now: datetime | None = None) -> Staff:
    now = now or utcnow()
    target = await _subordinate(actor, staff_id)
    target.active = False
    await target.save(update_fields=["active"])
    await audit.record("staff_revoke", staff_id=actor.id, now=now, target=target.id)
    return target


async def staff_list(actor: Staff) -> list[Staff]:
    require(actor, *MANAGERS)
    query = Staff.filter(active=True)
    if not sees_all_branches(actor):
        query = query.filter(branch_id=actor.branch_id)
    return await query.order_by("id")


async def approvers(branch_id: int | None, owner_ids: Iterable[int]) -> list[int]:
    """Telegram ids of those who may approve an action at a branch: managers and owners."""
    ids = list(dict.fromkeys(owner_ids))
    for manager in await Staff.filter(active=True, role=StaffRole.MANAGER).order_by("id"):
        if manager.branch_id is None or manager.branch_id == branch_id:
            ids.append(manager.telegram_id)
    return list(dict.fromkeys(ids))


# ---- at the counter -----------------------------------------------------------------------


@dataclass(frozen=True)
class EarnOutcome:
    result: earning.PurchaseResult | None
    pending: PendingApproval | None  # set when the purchase waits for a manager
    new_request: bool = False  # False: the same receipt was already waiting


async def issued_today(staff_id: int, tz: ZoneInfo, now: datetime) -> int:
    """Points a staff member issued since the start of the local day."""
    since = sql.db_value(LedgerEntry, "created_at", local_day_start(now, tz, 0))
    rows = await sql.issued_since.rows(staff_id, *(kind.value for kind in CAPPED_KINDS), since)
    return int(rows[0]["total"])


def expected_points(member: Member, amount: int, branch_id: int, config: ClubConfig) -> int:
    rule = earning.earning_rule(config.rules, config.branch(branch_id), member)
    tier = next((tier for tier in config.tiers if tier.id == member.tier_id), None)
    return earning.points_for(amount, rule, tier_multiplier=tier.multiplier if tier else Decimal(1))


async def earn(
    staff: Staff,
    member: Member,
    amount: int,
    receipt: str | None,
    *,
    tz: ZoneInfo,
    now: datetime | None = None,
) -> EarnOutcome:
    """Record a purchase at the staff member's branch, or hold it over a cashier's cap.

    A cashier's purchases are checked against the cap one at a time: the check and the
    purchase are one transaction that first takes the cashier's row lock (on SQLite the
    transaction is the one writer's), so purchases sent at once cannot pass it together.
    """
    now = now or utcnow()
    require(staff)
    branch_id = await counter_branch(staff)
    receipt = (receipt or "").strip()[:64] or None
    if staff.role is not StaffRole.CASHIER or await _recorded(branch_id, receipt):
        return await _award(staff, member.id, amount, receipt, branch_id, now)
    async with in_transaction():
        await sql.lock_staff.rows(staff.id)
        config = await current_config()
        earning.check_amount(amount, config.rules)  # a held request is a purchase too
        points = expected_points(member, amount, branch_id, config)
        if (
            points > 0
            and await issued_today(staff.id, tz, now) + points > config.rules.cashier_daily_cap
        ):
            held, created = await _hold(staff, branch_id, member.id, amount, receipt, points, now)
            return EarnOutcome(None, held, created)
        return await _award(staff, member.id, amount, receipt, branch_id, now)


async def _award(
    staff: Staff, member_id: int, amount: int, receipt: str | None, branch_id: int, now: datetime
) -> EarnOutcome:
    result = await earning.award_purchase(
        member_id, amount, receipt=receipt, branch_id=branch_id, staff_id=staff.id, now=now
    )
    if not result.replayed:
        await audit.record(
            "earn",
            staff_id=staff.id,
            now=now,
            member=member_id,
            amount=amount,
            receipt=result.purchase.receipt,
            points=result.points,
            branch=branch_id,
        )
    return EarnOutcome(result, None)


async def _recorded(branch_id: int, receipt: str | None) -> bool:
    return receipt is not None and bool(await sql.receipt_recorded.rows(branch_id, receipt))


async def _hold(
    staff: Staff,
    branch_id: int,
    member_id: int,
    amount: int,
    receipt: str | None,
    points: int,
    now: datetime,
) -> tuple[PendingApproval, bool]:
    payload = {"member": member_id, "amount": amount, "receipt": receipt}
    if receipt is not None:
        # JSON lookups differ between SQLite and PostgreSQL, so held receipts are compared here.
        for earlier in await PendingApproval.filter(
            kind="earn", status="pending", branch_id=branch_id
        ):
            if earlier.payload.get("receipt") == receipt:
                return earlier, False
    held = await PendingApproval.create(
        kind="earn",
        payload=payload,
        points=points,
        staff=staff,
        branch_id=branch_id,
        created_at=now,
    )
    await audit.record(
        "approval_requested", staff_id=staff.id, now=now, approval=held.id, points=points, **payload
    )
    return held, True


async def approval(approval_id: int) -> PendingApproval:
    held = await PendingApproval.get_or_none(id=approval_id).prefetch_related("staff")
    if held is None:
        raise LoyaltyError(ErrorCode.APPROVAL_NOT_FOUND, approval=approval_id)
    return held


async def decide(
    manager: Staff, approval_id: int, approve: bool, *, now: datetime | None = None
) -> tuple[PendingApproval, earning.PurchaseResult | None]:
    """A manager approves (the purchase is recorded in the cashier's name) or rejects.

    The decision and the purchase are one transaction: a purchase the rules refuse leaves
    the request pending (APPROVAL_REFUSED, with the purchase's own refusal as `reason`).
    The decision is a conditional update of the pending row, so of two pressed at once
    one decides and the other is told what was decided (on PostgreSQL it waits for the
    first one's commit, on SQLite for its transaction).
    """
    now = now or utcnow()
    require(manager, *MANAGERS)
    held = await approval(approval_id)
    _check_branch_scope(manager, held.branch_id)
    status = "approved" if approve else "rejected"
    result = None
    async with in_transaction():
        taken = await PendingApproval.filter(id=held.id, status="pending").update(
            status=status, decided_by_id=manager.id, decided_at=now
        )
        if taken == 0:
            await _already_decided(held.id)
        if approve:
            p = held.payload
            try:
                result = await earning.award_purchase(
                    p["member"],
                    p["amount"],
                    receipt=p.get("receipt"),
                    branch_id=held.branch_id,
                    staff_id=held.staff_id,
                    now=now,
                )
            except LoyaltyError as refusal:
                raise LoyaltyError(
                    ErrorCode.APPROVAL_REFUSED, approval=held.id, reason=refusal
                ) from refusal
        await audit.record(f"approval_{status}", staff_id=manager.id, now=now, approval=held.id)
    await held.refresh_from_db()
    return held, result


async def _already_decided(approval_id: int) -> NoReturn:
    held = await PendingApproval.get_or_none(id=approval_id)
    codes = {"approved": ErrorCode.ALREADY_APPROVED, "rejected": ErrorCode.ALREADY_REJECTED}
    status = held.status if held else ""
    raise LoyaltyError(codes.get(status, ErrorCode.APPROVAL_NOT_FOUND), approval=approval_id)


async def refund(
    staff: Staff,
    receipt: str,
    amount: int | None,
    *,
    request: str | None = None,
    now: datetime | None = None,
) -> earning.RefundResult:
    """`request`: the door's name for this request; the same request again refunds nothing more."""
    now = now or utcnow()
    require(staff)
    branch_id = await counter_branch(staff)
    key = f"refund:{request}" if request else None
    result = await earning.refund_purchase(
        receipt, amount, branch_id=branch_id, staff_id=staff.id, key=key, now=now
    )
    if not result.replayed:
        await audit.record(
            "refund",
            staff_id=staff.id,
            now=now,
            receipt=receipt,
            amount=amount,
            points=result.points_reversed,
        )
    return result


async def adjust(
    staff: Staff,
    member_id: int,
    points: int,
    note: str,
    *,
    request: str | None = None,
    now: datetime | None = None,
) -> LedgerEntry:
    """`request`: the door's name for this request; the same request again corrects nothing more."""
    now = now or utcnow()
    require(staff, *MANAGERS)
    entry, replayed = await corrections.adjust(
        member_id, points, note, staff_id=staff.id, branch_id=staff.branch_id, key=request, now=now
    )
    if not replayed:
        await audit.record(
            "adjust",
            staff_id=staff.id,
            now=now,
            member=member_id,
            points=points,
            note=note,
            entry=entry.id,
        )
    return entry


async def undo(staff: Staff, entry_id: int, *, now: datetime | None = None) -> LedgerEntry:
    now = now or utcnow()
    require(staff, *MANAGERS)
    entry = await corrections.undo(entry_id, staff_id=staff.id, now=now)
    await audit.record("undo", staff_id=staff.id, now=now, entry=entry_id, reversal=entry.id)
    return entry


async def use_voucher(staff: Staff, code: str, *, now: datetime | None = None) -> Voucher:
    now = now or utcnow()
    require(staff)
    voucher = await rewards.use_voucher(
        code, staff_id=staff.id, branch_id=await counter_branch(staff), now=now
    )
    await audit.record(
        "voucher_use", staff_id=staff.id, now=now, voucher=voucher.code, member=voucher.member_id
    )
    return voucher


# ---- member profile -----------------------------------------------------------------------


@dataclass(frozen=True)
class Profile:
    member: Member
    card: str
    tier: Tier | None
    birth_date: date | None  # None for cashiers, who may not see it
    gender: str | None
    history: list[LedgerEntry]


async def profile(staff: Staff, member: Member, *, now: datetime | None = None) -> Profile:
    require(staff)
    private = is_manager(staff)
    card = await active_card(member.id)
    tier = await Tier.get_or_none(id=member.tier_id) if member.tier_id else None
    await audit.record("member_view", staff_id=staff.id, now=now or utcnow(), member=member.id)
    return Profile(
        member,
        card.number,
        tier,
        member.birth_date if private else None,
        member.gender.value if private else None,
        await history(member.id, limit=5),
    )


# ---- inbox --------------------------------------------------------------------------------


async def inbox(staff: Staff, limit: int = 10) -> list[InboxItem]:
    require(staff)
    return await open_items(limit)


async def answer(
    staff: Staff, item_id: int, text: str, *, now: datetime | None = None
) -> InboxItem:
    """Answer a member: by Telegram if they can be reached there, otherwise by SMS."""
    now = now or utcnow()
    require(staff)
    text = (text or "").strip()
    if not text:
        raise LoyaltyError(ErrorCode.EMPTY_TEXT)
    if len(text) > 2000:
        raise LoyaltyError(ErrorCode.TEXT_TOO_LONG, max=2000)
    item = await InboxItem.get_or_none(id=item_id).prefetch_related("member")
    if item is None:
        raise LoyaltyError(ErrorCode.INBOX_NOT_FOUND, item=item_id)
    taken = await InboxItem.filter(id=item_id, answered_at=None).update(
        answered_at=now, answered_by_id=staff.id, answer=text
    )
    if taken == 0:
        raise LoyaltyError(ErrorCode.ALREADY_ANSWERED, item=item_id)
    member = item.member
    telegram = member.telegram_id is not None and member.reachable_telegram
    await notify.enqueue(
        member.id,
        "staff_reply",
        f"inbox_reply:{item_id}",
        now=now,
        params={"text": text},
        channel=Channel.TELEGRAM if telegram else Channel.SMS,
    )
    await audit.record("inbox_answer", staff_id=staff.id, now=now, item=item_id, member=member.id)
    await item.refresh_from_db()
    return item


# ---- club settings ------------------------------------------------------------------------

# What `/settings <key> <value>` may change, with the type of the value.
SETTINGS: dict[str, type] = {
    "name": str,
    "points_name": str,
    "earn_rate": Decimal,
    "currency_unit": int,
    "min_purchase": int,
    "signup_bonus": int,
    "birthday_bonus": int,
    "referral_bonus_referrer": int,
    "referral_bonus_referred": int,
    "feedback_bonus": int,
    "expiry_days": int,
    "voucher_valid_days": int,
    "tier_window_days": int,
    "cashier_daily_cap": int,
    "max_purchase": int,
}
INT_COLUMN_MAX = 2**31 - 1
# The numbers a rule may be set to (amounts in the shop's currency, the rest within their
# columns); a value outside is refused with these bounds in the error.
RULE_LIMITS: dict[str, tuple[int, int]] = {
    "currency_unit": (1, earning.MAX_AMOUNT),
    "min_purchase": (0, earning.MAX_AMOUNT),
    "max_purchase": (1, earning.MAX_AMOUNT),
}


async def set_rule(staff: Staff, key: str, raw: str, *, now: datetime | None = None) -> object:
    now = now or utcnow()
    require(staff, StaffRole.OWNER)
    kind = SETTINGS.get(key)
    if kind is None:
        raise LoyaltyError(ErrorCode.INVALID_SETTING, key=key)
    raw = raw.strip()
    try:
        value: object = (
            raw[:100]
            if kind is str
            else kind(to_ascii_digits(raw).replace(",", "").replace("٬", "").replace("٫", "."))
        )
    except (ValueError, InvalidOperation):
        raise LoyaltyError(ErrorCode.INVALID_SETTING, key=key) from None
    if isinstance(value, str):
        if not value:
            raise LoyaltyError(ErrorCode.INVALID_SETTING, key=key)
    else:
        if isinstance(value, Decimal) and not value.is_finite():
            raise LoyaltyError(ErrorCode.INVALID_SETTING, key=key)
        if isinstance(value, Decimal):
            _in_range(key, value, *DECIMAL_LIMITS[key])
        else:
            _in_range(key, value, *RULE_LIMITS.get(key, (0, INT_COLUMN_MAX)))
    rules = await get_rules()
    setattr(rules, key, value)
    # This setting alone: another saved at the same moment (a second staff chat, another
    # worker) must not be put back as it was when these rules were read.
    await rules.save(update_fields=[key, "updated_at"])
    await audit.record("settings", staff_id=staff.id, now=now, key=key, value=str(value))
    return value


async def timeline(staff: Staff, limit: int = 20) -> list[AuditEntry]:
    require(staff, StaffRole.OWNER)
    return (
        await AuditEntry.all().order_by("-created_at", "-id").limit(limit).prefetch_related("staff")
    )


def local_day_start(now: datetime, tz: ZoneInfo, days_back: int) -> datetime:
    """The local midnight `days_back` days before today's, in UTC.

    In UTC because every time is stored so, and SQLite compares stored times as text: a
    Tehran midnight written "00:00:00+03:30" sorts after the "20:30:00+00:00" it equals.
    """
    local = datetime.combine(
        now.astimezone(tz).date() - timedelta(days=days_back), time(0), tzinfo=tz
    )
    return local.astimezone(UTC)


# ---- figures ------------------------------------------------------------------------------

MAX_REPORT_DAYS = 3660


async def report(
    staff: Staff, days: int, *, tz: ZoneInfo, now: datetime | None = None
) -> reports.Report:
    """Figures for the last `days` local days including today; a manager sees their branch."""
    now = now or utcnow()
    branch_id = report_branch(staff)
    if not 1 <= days <= MAX_REPORT_DAYS:
        raise LoyaltyError(ErrorCode.INVALID_AMOUNT, amount=days)
    figures = await reports.build(
        local_day_start(now, tz, days - 1), now, tz=tz, branch_id=branch_id
    )
    await audit.record("report", staff_id=staff.id, now=now, days=days, branch=branch_id)
    return figures


def export_pages(
    staff: Staff, *, now: datetime | None = None
) -> AsyncIterator[list[reports.MemberRow]]:
    """The members a staff member may export, a page at a time; recorded once all are read.

    Refused here and now, not at the first page, so a refused export starts nothing.
    """
    return _export_pages(staff.id, report_branch(staff), now or utcnow())


async def _export_pages(
    staff_id: int, branch_id: int | None, now: datetime
) -> AsyncIterator[list[reports.MemberRow]]:
    rows = 0
    async for page in reports.member_pages(branch_id):
        rows += len(page)
        yield page
    await audit.record("export", staff_id=staff_id, now=now, branch=branch_id, rows=rows)


# ---- catalogue, branches, product groups --------------------------------------------------


async def add_reward(staff: Staff, name: str, cost: int, *, now: datetime | None = None) -> Reward:
    """The quick form (`/rewards add <cost> <name>`): a product, unlimited, for everyone; see
    save_reward."""
    require(staff, *MANAGERS)
    low, high = LIMITS["cost"]
    if not low <= cost <= high:
        raise LoyaltyError(
            ErrorCode.INVALID_AMOUNT, amount=cost
        )  # the command's own answer, as before
    return await save_reward(staff, RewardSpec(name=name, cost=cost), now=now)


async def withdraw_reward(staff: Staff, reward_id: int, *, now: datetime | None = None) -> Reward:
    now = now or utcnow()
    require(staff, *MANAGERS)
    reward = await Reward.get_or_none(id=reward_id)
    if reward is None:
        raise LoyaltyError(ErrorCode.REWARD_NOT_FOUND, reward=reward_id)
    _check_branch_scope(staff, reward.branch_id)
    reward.active = False
    await reward.save(update_fields=["active"])
    await audit.record("reward_off", staff_id=staff.id, now=now, reward=reward.id)
    return reward


async def add_branch(staff: Staff, name: str, *, now: datetime | None = None) -> Branch:
    now = now or utcnow()
    require(staff, StaffRole.OWNER)
    branch, _ = await Branch.get_or_create(name=clean_name(name)[:100])
    await audit.record("branch_add", staff_id=staff.id, now=now, branch=branch.id)
    return branch


async def set_branch_rate(
    staff: Staff, branch_id: int, rate: Decimal | None, *, now: datetime | None = None
) -> Branch:
    """A branch's own earning rate; None returns it to the club's rate."""
    now = now or utcnow()
    require(staff, StaffRole.OWNER)
    branch = await Branch.get_or_none(id=branch_id)
    if branch is None:
        raise LoyaltyError(ErrorCode.BRANCH_NOT_FOUND, branch=branch_id)
    if rate is not None:
        _in_range("earn_rate", rate, *DECIMAL_LIMITS["earn_rate"])
    branch.earn_rate = rate
    await branch.save(update_fields=["earn_rate"])
    await audit.record("branch_rate", staff_id=staff.id, now=now, branch=branch.id, rate=str(rate))
    return branch


async def set_group(
    staff: Staff, name: str, multiplier: Decimal, *, now: datetime | None = None
) -> ProductGroup:
    """Add a product group, or change the multiplier of the one with that name."""
    now = now or utcnow()
    require(staff, StaffRole.OWNER)
    _in_range("multiplier", multiplier, *MULTIPLIER_RANGE)
    group, _ = await ProductGroup.update_or_create(
        name=clean_name(name)[:100], defaults={"multiplier": multiplier, "active": True}
    )
    await audit.record(
        "group_set", staff_id=staff.id, now=now, group=group.id, multiplier=str(multiplier)
    )
    return group


# ---- the catalogue in full, the tiers -------------------------------------------------------

# The ranges staff may type; a value outside is refused with these bounds in the error.
LIMITS: dict[str, tuple[int, int]] = {
    "cost": (1, 10_000_000),
    "fixed_discount": (1, 1_000_000_000_000),
    "percent_discount": (1, 100),
    "stock": (0, 1_000_000),
    "days": (1, 3650),
    "threshold": (0, 1_000_000_000),
    "discount_percent": (0, 100),
}
DECIMAL_LIMITS: dict[str, tuple[Decimal, Decimal]] = {
    "multiplier": (Decimal("0"), Decimal("100")),
    "earn_rate": (Decimal("0"), Decimal("1000")),
}
MULTIPLIER_RANGE = DECIMAL_LIMITS["multiplier"]


def parse_number(raw: str, key: str, *, decimal: bool = False) -> int | Decimal:
    """A number as staff type it (Persian digits, separators); refused outside LIMITS[key].

    The error carries the key and the bounds, so the channel can say what is expected.
    """
    low, high = DECIMAL_LIMITS[key] if decimal else LIMITS[key]
    text = to_ascii_digits(raw or "").strip().replace(",", "").replace("٬", "").replace("٫", ".")
    try:
        value: int | Decimal = Decimal(text) if decimal else int(text)
    except (ValueError, InvalidOperation):
        raise LoyaltyError(ErrorCode.INVALID_SETTING, key=key, min=low, max=high) from None
    if isinstance(value, Decimal) and not value.is_finite():
        raise LoyaltyError(ErrorCode.INVALID_SETTING, key=key, min=low, max=high)
    _in_range(key, value, low, high)
    return value


def _in_range(
    key: str, value: int | Decimal | None, low: int | Decimal, high: int | Decimal
) -> None:
    if value is None or not low <= value <= high:
        raise LoyaltyError(ErrorCode.INVALID_SETTING, key=key, min=low, max=high)


@dataclass(frozen=True)
class RewardSpec:
    """Everything a reward is; `save_reward` checks it whole before anything is written."""

    name: str
    cost: int
    kind: RewardKind = RewardKind.PRODUCT
    value: int = 0  # toman off for a fixed discount, percent off for a percentage
    product_group_id: int | None = None  # a discount limited to one product group
    stock: int | None = None  # None: unlimited
    min_tier_id: int | None = None
    branch_id: int | None = None  # None: every branch (a branch manager gets their own)
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    description: str = ""


def reward_spec(reward: Reward) -> RewardSpec:
    """A reward as it is now; edit with dataclasses.replace and pass to save_reward."""
    return RewardSpec(
        name=reward.name,
        cost=reward.cost,
        kind=reward.kind,
        value=reward.value,
        product_group_id=reward.product_group_id,
        stock=reward.stock,
        min_tier_id=reward.min_tier_id,
        branch_id=reward.branch_id,
        valid_from=reward.valid_from,
        valid_until=reward.valid_until,
        description=reward.description,
    )


def open_window(now: datetime, days: int | None) -> tuple[datetime, datetime | None]:
    """A validity window from now for `days` days; None days: open-ended."""
    if days is not None:
        _in_range("days", days, *LIMITS["days"])
    return now, (now + timedelta(days=days) if days is not None else None)


async def _checked(staff: Staff, spec: RewardSpec) -> RewardSpec:
    name = clean_name(spec.name)
    _in_range("cost", spec.cost, *LIMITS["cost"])
    kind = RewardKind(spec.kind)
    value = 0
    if kind is not RewardKind.PRODUCT:
        value = spec.value
        _in_range(kind.value, value, *LIMITS[kind.value])
    group_id = spec.product_group_id if kind is not RewardKind.PRODUCT else None
    if group_id is not None and not await ProductGroup.exists(id=group_id, active=True):
        raise LoyaltyError(ErrorCode.GROUP_NOT_FOUND, group=group_id)
    if spec.stock is not None:
        _in_range("stock", spec.stock, *LIMITS["stock"])
    if spec.min_tier_id is not None and not await Tier.exists(id=spec.min_tier_id):
        raise LoyaltyError(ErrorCode.INVALID_SETTING, key="min_tier")
    branch_id = spec.branch_id
    if branch_id is None and not sees_all_branches(staff):
        branch_id = staff.branch_id
    if branch_id is not None and not await Branch.exists(id=branch_id, active=True):
        raise LoyaltyError(ErrorCode.BRANCH_NOT_FOUND, branch=branch_id)
    _check_branch_scope(staff, branch_id)
    if spec.valid_from and spec.valid_until and spec.valid_until <= spec.valid_from:
        raise LoyaltyError(ErrorCode.INVALID_DATE)
    return replace(
        spec,
        name=name[:100],
        kind=kind,
        value=value,
        product_group_id=group_id,
        branch_id=branch_id,
        description=(spec.description or "").strip()[:500],
    )


async def save_reward(
    staff: Staff, spec: RewardSpec, reward_id: int | None = None, *, now: datetime | None = None
) -> Reward:
    """Add a reward (no reward_id) or change every field of one; managers and the owner only.

    A manager of one branch adds rewards for that branch and changes only those.
    """
    now = now or utcnow()
    require(staff, *MANAGERS)
    spec = await _checked(staff, spec)
    fields = {
        "name": spec.name,
        "cost": spec.cost,
        "kind": spec.kind,
        "value": spec.value,
        "product_group_id": spec.product_group_id,
        "stock": spec.stock,
        "min_tier_id": spec.min_tier_id,
        "branch_id": spec.branch_id,
        "valid_from": spec.valid_from,
        "valid_until": spec.valid_until,
        "description": spec.description,
    }
    if reward_id is None:
        reward = await Reward.create(**fields)
        action = "reward_add"
    else:
        reward = await Reward.get_or_none(id=reward_id)
        if reward is None:
            raise LoyaltyError(ErrorCode.REWARD_NOT_FOUND, reward=reward_id)
        _check_branch_scope(staff, reward.branch_id)
        reward.update_from_dict(fields)
        await reward.save()
        action = "reward_edit"
    await audit.record(
        action,
        staff_id=staff.id,
        now=now,
        reward=reward.id,
        cost=spec.cost,
        kind=spec.kind.value,
        value=spec.value,
        stock=spec.stock,
        min_tier=spec.min_tier_id,
        branch=spec.branch_id,
        group=spec.product_group_id,
        valid_until=spec.valid_until.isoformat() if spec.valid_until else None,
    )
    return reward


async def manageable_rewards(staff: Staff) -> list[Reward]:
    """Active rewards this staff member may change, whether on offer now or not (cheapest first)."""
    require(staff, *MANAGERS)
    query = Reward.filter(active=True)
    if not sees_all_branches(staff):
        query = query.filter(branch_id=staff.branch_id)
    return await query.order_by("cost", "id")


TIER_FIELDS = ("threshold", "multiplier", "discount_percent")


async def set_tier(
    staff: Staff,
    tier_id: int,
    *,
    threshold: int | None = None,
    multiplier: Decimal | None = None,
    discount_percent: int | None = None,
    now: datetime | None = None,
) -> Tier:
    """Change a tier's threshold, points multiplier or standing discount; the owner only.

    The lowest tier stays at threshold 0 (everyone starts there), and no two tiers share a
    threshold, so the order of the tiers is always clear. Members move at their next
    purchase (upgrades) or at the periodic review (downgrades).
    """
    now = now or utcnow()
    require(staff, StaffRole.OWNER)
    async with in_transaction():
        # Every tier under its row lock (PostgreSQL): two changes at the same moment are
        # checked one after the other, so they cannot give two tiers one threshold.
        tiers = await Tier.all().select_for_update().order_by("id")
        tier = next((t for t in tiers if t.id == tier_id), None)
        if tier is None:
            raise LoyaltyError(ErrorCode.INVALID_SETTING, key="tier")
        if threshold is not None:
            _in_range("threshold", threshold, *LIMITS["threshold"])
            others = [t.threshold for t in tiers if t.id != tier.id]
            lowest = not others or tier.threshold < min(others)
            if (
                threshold in others
                or (lowest and threshold != 0)
                or (not lowest and threshold == 0)
            ):
                # Without bounds in the error: the number was fine, the order of the tiers was not.
                raise LoyaltyError(ErrorCode.INVALID_SETTING, key="threshold")
            tier.threshold = threshold
        if multiplier is not None:
            _in_range("multiplier", multiplier, *MULTIPLIER_RANGE)
            tier.multiplier = multiplier
        if discount_percent is not None:
            _in_range("discount_percent", discount_percent, *LIMITS["discount_percent"])
            tier.discount_percent = discount_percent
        await tier.save(update_fields=["threshold", "multiplier", "discount_percent"])
        await audit.record(
            "tier_set",
            staff_id=staff.id,
            now=now,
            tier=tier.id,
            threshold=tier.threshold,
            multiplier=str(tier.multiplier),
            discount=tier.discount_percent,
        )
    return tier


async def set_tier_value(
    staff: Staff, tier_id: int, field: str, raw: str, *, now: datetime | None = None
) -> Tier:
    """`set_tier` for one field typed as text (Persian digits too)."""
    if field not in TIER_FIELDS:
        raise LoyaltyError(ErrorCode.INVALID_SETTING, key=field)
    value = parse_number(raw, field, decimal=field == "multiplier")
    return await set_tier(staff, tier_id, now=now, **{field: value})
