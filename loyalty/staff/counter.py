"""At the counter: purchases (held for approval over a cashier's daily cap), approvals,
refunds, corrections and vouchers. The role check, the cap and the audit record are
decided here once, whatever door the request came through.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NoReturn
from zoneinfo import ZoneInfo

from tortoise.transactions import in_transaction

from loyalty import audit, corrections, earning, ledger, rewards, till
from loyalty.clock import local_day_start, utcnow
from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.members import get_member
from loyalty.rules import ClubConfig, current_config
from loyalty.staff.access import check_branch_scope, counter_branch
from loyalty.staff.permissions import Action, allowed, require
from models import (
    EntryKind,
    LedgerEntry,
    Member,
    PendingApproval,
    ProductGroup,
    Staff,
    StaffRole,
    Voucher,
    statements,
)
from models.queries import staff as sql

UTC = ZoneInfo("UTC")
# Kinds of rows a cashier issues points with; the daily cap counts them.
CAPPED_KINDS = (EntryKind.EARN, EntryKind.ADJUST)


@dataclass(frozen=True)
class EarnOutcome:
    result: earning.PurchaseResult | None
    pending: PendingApproval | None  # set when the purchase waits for a manager
    new_request: bool = False  # False: the same receipt was already waiting
    quote: till.Quote | None = None  # the purchase's discounts and the offer after it


async def issued_today(staff_id: int, tz: ZoneInfo, now: datetime) -> int:
    """Points a staff member issued since the start of the local day."""
    since = statements.db_value(LedgerEntry, "created_at", local_day_start(now, tz, 0))
    rows = await sql.issued_since.rows(staff_id, *(kind.value for kind in CAPPED_KINDS), since)
    return int(rows[0]["total"])


def expected_points(
    member: Member,
    amount: int,
    branch_id: int,
    config: ClubConfig,
    group_id: int | None = None,
    now: datetime | None = None,
) -> int:
    return earning.purchase_points(
        amount, member, config, config.branch(branch_id), config.group(group_id), now
    )


async def product_group(reference: str) -> ProductGroup:
    """The active product group a staff member names by id or name; GROUP_NOT_FOUND else."""
    return earning.group_by_reference(reference, await current_config())


async def earn(
    staff: Staff,
    member: Member,
    amount: int,
    receipt: str | None,
    *,
    tz: ZoneInfo,
    group_id: int | None = None,
    now: datetime | None = None,
    promo_code: str | None = None,
) -> EarnOutcome:
    """Record a purchase at the staff member's branch, or hold it over a cashier's cap.

    A promo code is checked and claimed with the purchase, in its transaction: a purchase
    refused takes the use back; a refused code refuses the purchase, saying why.

    The purchase's discounts and the offer after it are worked out first
    (`loyalty.till`): its points are earned on what is paid, as the club's rules say.

    Purchases of those the permission table holds to the cap (cashiers) are checked
    against it one at a time: the check and the purchase are one transaction that first
    takes the cashier's row lock (on SQLite the transaction is the one writer's), so
    purchases sent at once cannot pass it together.
    """
    now = now or utcnow()
    require(staff, Action.EARN)
    branch_id = await counter_branch(staff)
    receipt = (receipt or "").strip()[:64] or None
    if allowed(staff, Action.EARN_OVER_CAP) or await _recorded(branch_id, receipt):
        return await _award(
            staff, member, amount, receipt, branch_id, now, tz, group_id, promo_code, None
        )
    async with in_transaction():
        await sql.lock_staff.rows(staff.id)
        config = await current_config()
        earning.check_amount(amount, config.rules)  # a held request is a purchase too
        points = expected_points(member, amount, branch_id, config, group_id, now)
        if (
            points > 0
            and await issued_today(staff.id, tz, now) + points > config.rules.cashier_daily_cap
        ):
            held, created = await _hold(
                staff, branch_id, member.id, amount, receipt, group_id, points, now
            )
            return EarnOutcome(None, held, created)
        return await _award(
            staff, member, amount, receipt, branch_id, now, tz, group_id, promo_code, config
        )


async def _award(
    staff: Staff,
    member: Member,
    amount: int,
    receipt: str | None,
    branch_id: int,
    now: datetime,
    tz: ZoneInfo,
    group_id: int | None,
    promo_code: str | None,
    config: ClubConfig | None,
) -> EarnOutcome:
    sale = await till.record_purchase(
        member,
        amount,
        receipt=receipt,
        branch_id=branch_id,
        group_id=group_id,
        now=now,
        tz=tz,
        promo_code=promo_code,
        staff_id=staff.id,
        config=config,
    )
    result, quote = sale.result, sale.quote
    if not result.replayed:
        await audit.record(
            "earn",
            staff_id=staff.id,
            now=now,
            member=member.id,
            amount=amount,
            receipt=result.purchase.receipt,
            points=result.points,
            branch=branch_id,
            group=group_id,
            discount=quote.discount,
            paid=quote.payable,
            promo=quote.promo.promo.code if quote.promo else None,
        )
    return EarnOutcome(result, None, quote=quote)


async def _recorded(branch_id: int, receipt: str | None) -> bool:
    return receipt is not None and bool(await sql.receipt_recorded.rows(branch_id, receipt))


async def _hold(
    staff: Staff,
    branch_id: int,
    member_id: int,
    amount: int,
    receipt: str | None,
    group_id: int | None,
    points: int,
    now: datetime,
) -> tuple[PendingApproval, bool]:
    payload = {"member": member_id, "amount": amount, "receipt": receipt, "group": group_id}
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
    manager: Staff,
    approval_id: int,
    approve: bool,
    *,
    now: datetime | None = None,
    tz: ZoneInfo = UTC,
) -> tuple[PendingApproval, earning.PurchaseResult | None]:
    """A manager approves (the purchase is recorded in the cashier's name) or rejects.

    The decision and the purchase are one transaction: a purchase the rules refuse leaves
    the request pending (APPROVAL_REFUSED, with the purchase's own refusal as `reason`).
    The decision is a conditional update of the pending row, so of two pressed at once
    one decides and the other is told what was decided (on PostgreSQL it waits for the
    first one's commit, on SQLite for its transaction).
    """
    now = now or utcnow()
    require(manager, Action.APPROVE)
    held = await approval(approval_id)
    check_branch_scope(manager, held.branch_id)
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
                # Priced as at the approval: the discounts in force then, as at the till.
                quote = await till.quote(
                    await get_member(p["member"]),
                    p["amount"],
                    branch_id=held.branch_id,
                    group_id=p.get("group"),
                    now=now,
                    tz=tz,
                )
                result = await earning.award_purchase(
                    p["member"],
                    p["amount"],
                    receipt=p.get("receipt"),
                    branch_id=held.branch_id,
                    group_id=p.get("group"),
                    staff_id=held.staff_id,
                    now=now,
                    points_amount=quote.points_amount,
                    message_params=quote.params(),
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
    branch_id: int | None = None,
    request: str | None = None,
    now: datetime | None = None,
) -> earning.RefundResult:
    """`request`: the door's name for this request; the same request again refunds nothing more.

    `branch_id`: where the purchase was made. Those the table lets refund at any branch
    (the owner) may name it, and need to only when the receipt number is in several
    branches; the others refund their own branch's purchases only.
    """
    now = now or utcnow()
    require(staff, Action.REFUND)
    if allowed(staff, Action.REFUND_ANY_BRANCH):
        if branch_id is None:
            branch_id = await _branch_of_receipt(receipt)
    else:
        own = await counter_branch(staff)
        if branch_id is not None and branch_id != own:
            raise LoyaltyError(ErrorCode.OWN_BRANCH_ONLY, branch=own)
        branch_id = own
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
            branch=branch_id,
        )
    return result


async def _branch_of_receipt(receipt: str) -> int:
    """The one branch with a purchase of this receipt number; refused when it is in none
    (PURCHASE_NOT_FOUND) or in several (RECEIPT_IN_BRANCHES: the branch must be named)."""
    found = await earning.receipt_branches(receipt)
    if not found:
        raise LoyaltyError(ErrorCode.PURCHASE_NOT_FOUND, receipt=receipt)
    if len(found) > 1:
        raise LoyaltyError(ErrorCode.RECEIPT_IN_BRANCHES, receipt=receipt, branches=found)
    return found[0]


@dataclass(frozen=True)
class AdjustOutcome:
    entry: LedgerEntry | None  # None: the correction waits for its author's confirmation
    balance: int  # the member's balance now
    held: PendingApproval | None = None  # the correction that waits, its points in `points`


ADJUST_KIND = "adjust"  # PendingApproval.kind of a correction waiting for confirmation


async def adjust(
    staff: Staff,
    member_id: int,
    points: int,
    note: str,
    *,
    request: str | None = None,
    now: datetime | None = None,
) -> AdjustOutcome:
    """`request`: the door's name for this request; the same request again corrects nothing more.

    A correction that would leave the balance below zero is not recorded but held: the
    staff member confirms it (`confirm_adjustment`) or lets it go.
    """
    now = now or utcnow()
    require(staff, Action.ADJUST)
    try:
        entry = await _adjust(staff, member_id, points, note, request, now, allow_negative=False)
    except LoyaltyError as refused:
        if refused.code is not ErrorCode.NEGATIVE_RESULT:
            raise
        held = await _hold_adjustment(staff, member_id, points, note, request, now)
        return AdjustOutcome(None, refused.values["balance"], held)
    return AdjustOutcome(entry, await ledger.balance_of(member_id))


async def _adjust(
    staff: Staff,
    member_id: int,
    points: int,
    note: str,
    request: str | None,
    now: datetime,
    *,
    allow_negative: bool,
) -> LedgerEntry:
    entry, replayed = await corrections.adjust(
        member_id,
        points,
        note,
        staff_id=staff.id,
        branch_id=staff.branch_id,
        key=request,
        now=now,
        allow_negative=allow_negative,
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


async def _hold_adjustment(
    staff: Staff, member_id: int, points: int, note: str, request: str | None, now: datetime
) -> PendingApproval:
    """The correction as it waits; the same request delivered again finds the same one."""
    payload = {"member": member_id, "note": note, "request": request}
    if request is not None:
        for earlier in await PendingApproval.filter(
            kind=ADJUST_KIND, status="pending", staff_id=staff.id
        ):
            if earlier.payload.get("request") == request:
                return earlier
    held = await PendingApproval.create(
        kind=ADJUST_KIND,
        payload=payload,
        points=points,
        staff=staff,
        branch_id=staff.branch_id,
        created_at=now,
    )
    await audit.record(
        "adjust_held", staff_id=staff.id, now=now, approval=held.id, points=points, **payload
    )
    return held


async def confirm_adjustment(
    staff: Staff, held_id: int, confirm: bool, *, now: datetime | None = None
) -> tuple[PendingApproval, AdjustOutcome]:
    """Its author confirms a held correction (recorded, the balance may go below zero) or
    cancels it. Deciding is a conditional update of the waiting row: of two presses one
    decides, and the other is told what was decided."""
    now = now or utcnow()
    require(staff, Action.ADJUST)
    held = await PendingApproval.get_or_none(id=held_id, kind=ADJUST_KIND)
    if held is None or held.staff_id != staff.id:
        raise LoyaltyError(ErrorCode.APPROVAL_NOT_FOUND, approval=held_id)
    status = "approved" if confirm else "rejected"
    member_id, entry = held.payload["member"], None
    async with in_transaction():
        taken = await PendingApproval.filter(id=held.id, status="pending").update(
            status=status, decided_by_id=staff.id, decided_at=now
        )
        if taken == 0:
            await _already_decided(held.id)
        if confirm:
            p = held.payload
            entry = await _adjust(
                staff, member_id, held.points, p["note"], p.get("request"), now, allow_negative=True
            )
        else:
            await audit.record("adjust_cancelled", staff_id=staff.id, now=now, approval=held.id)
    await held.refresh_from_db()
    return held, AdjustOutcome(entry, await ledger.balance_of(member_id), held)


async def undo(staff: Staff, entry_id: int, *, now: datetime | None = None) -> LedgerEntry:
    now = now or utcnow()
    require(staff, Action.UNDO)
    entry = await corrections.undo(entry_id, staff_id=staff.id, now=now)
    await audit.record("undo", staff_id=staff.id, now=now, entry=entry_id, reversal=entry.id)
    return entry


async def use_voucher(staff: Staff, code: str, *, now: datetime | None = None) -> Voucher:
    now = now or utcnow()
    require(staff, Action.USE_VOUCHER)
    if staff.role is StaffRole.PARTNER:  # their own offers' codes, and nothing of the club's
        voucher = await rewards.use_voucher(
            code, staff_id=staff.id, partner_id=staff.partner_id, now=now
        )
    else:
        voucher = await rewards.use_voucher(
            code, staff_id=staff.id, branch_id=await counter_branch(staff), now=now
        )
    await audit.record(
        "voucher_use", staff_id=staff.id, now=now, voucher=voucher.code, member=voucher.member_id
    )
    return voucher


async def cancel_voucher(staff: Staff, code: str, *, now: datetime | None = None) -> Voucher:
    """Withdraw a member's unused voucher; its points go back and the member is told.

    A voucher for a branch's own reward is that branch's to cancel."""
    now = now or utcnow()
    require(staff, Action.CANCEL_VOUCHER)
    voucher = await rewards.find_voucher(code)
    if voucher.reward.branch_id is not None:
        check_branch_scope(staff, voucher.reward.branch_id)
    voucher = await rewards.cancel_voucher(code, staff_id=staff.id, tell_member=True, now=now)
    await audit.record(
        "voucher_cancel",
        staff_id=staff.id,
        now=now,
        voucher=voucher.code,
        member=voucher.member_id,
        points=voucher.cost,
    )
    return voucher
