"""Manual corrections and undoing a transaction: always new rows, never edits."""

from __future__ import annotations

import uuid
from datetime import datetime

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from loyalty import expiry, ledger, notify
from loyalty.clock import utcnow
from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.members import credit_expiry, get_member
from models import EntryKind, LedgerEntry

MAX_ADJUSTMENT = 1_000_000
MAX_NOTE = 200


async def adjust(
    member_id: int,
    points: int,
    note: str,
    *,
    staff_id: int | None = None,
    branch_id: int | None = None,
    key: str | None = None,
    now: datetime | None = None,
    allow_negative: bool = False,
) -> tuple[LedgerEntry, bool]:
    """Add or remove points by hand, with the reason the member will read.

    Returns the entry and whether it was a replay (the same `key` again: nothing changed).
    A removal that would leave the balance below zero is refused (NEGATIVE_RESULT) unless
    `allow_negative`: the check and the debit are one conditional update, so a purchase
    refunded meanwhile cannot slip under it.
    """
    now = now or utcnow()
    if not isinstance(points, int) or isinstance(points, bool) or points == 0:
        raise LoyaltyError(ErrorCode.INVALID_AMOUNT, amount=points)
    if abs(points) > MAX_ADJUSTMENT:
        raise LoyaltyError(ErrorCode.ADJUSTMENT_TOO_LARGE, amount=points, max=MAX_ADJUSTMENT)
    note = " ".join((note or "").split())
    if not note:
        raise LoyaltyError(ErrorCode.EMPTY_TEXT)
    if len(note) > MAX_NOTE:
        raise LoyaltyError(ErrorCode.TEXT_TOO_LONG, max=MAX_NOTE)
    await get_member(member_id)
    key = f"adjust:{key or uuid.uuid4().hex}"

    async def record() -> LedgerEntry:
        posted = await ledger.post(
            member_id,
            EntryKind.ADJUST,
            points,
            "adjust",
            key,
            now=now,
            note=note,
            staff_id=staff_id,
            branch_id=branch_id,
            expires_at=await credit_expiry(now) if points > 0 else None,
            require_funds=points < 0 and not allow_negative,
        )
        await notify.enqueue(
            member_id,
            "points_adjusted",
            f"adjusted:{posted.entry.id}",
            now=now,
            params={"points": points, "note": note, "balance": posted.balance},
        )
        return posted.entry

    try:
        return await ledger.once(record, lambda: LedgerEntry.get_or_none(idempotency_key=key))
    except LoyaltyError as refused:
        if refused.code not in (ErrorCode.NOT_ENOUGH_POINTS, ErrorCode.NEGATIVE_BALANCE):
            raise
        balance = refused.values["balance"]
        raise LoyaltyError(
            ErrorCode.NEGATIVE_RESULT, balance=balance, after=balance + points
        ) from refused


# Rows whose effect has its own way back: a purchase is refunded, a voucher cancelled. A
# gift to charity is not undone either: the cause's total (what the club pays) counts it.
_NOT_UNDOABLE = {EntryKind.REVERSE, EntryKind.REFUND, EntryKind.REDEEM, EntryKind.GIVE}


async def undo(
    entry_id: int,
    *,
    staff_id: int | None = None,
    now: datetime | None = None,
) -> LedgerEntry:
    """A reversing row for one transaction; a second undo of the same row is refused."""
    now = now or utcnow()
    original = await LedgerEntry.get_or_none(id=entry_id)
    if original is None:
        raise LoyaltyError(ErrorCode.ENTRY_NOT_FOUND, entry=entry_id)
    if original.kind in _NOT_UNDOABLE or original.purchase_id is not None:
        raise LoyaltyError(ErrorCode.NOT_REVERSIBLE, entry=entry_id, kind=original.kind.value)
    if await LedgerEntry.exists(reverses_id=entry_id, kind=EntryKind.REVERSE):
        raise LoyaltyError(ErrorCode.ALREADY_REVERSED, entry=entry_id)
    key = f"reverse:{entry_id}"

    async def record() -> LedgerEntry:
        posted = await ledger.post(
            original.member_id,
            EntryKind.REVERSE,
            -original.amount,
            "reverse",
            key,
            now=now,
            staff_id=staff_id,
            reverses_id=original.id,
            expires_at=await _reversal_expiry(original, now),
        )
        if original.amount < 0 and original.kind is not EntryKind.EXPIRE:
            await expiry.expire_due(original.member_id, now, returned=posted.entry)
        # Told after the expiry above, so the balance is the one the member now has.
        await notify.enqueue(
            original.member_id,
            "points_reversed",
            f"reversed:{posted.entry.id}",
            now=now,
            params={
                "points": posted.entry.amount,
                "balance": await ledger.balance_of(original.member_id),
                "reason": original.reason,
                "note": original.note or "",
            },
            new_key=True,
        )
        return posted.entry

    try:
        async with in_transaction():
            return await record()
    except IntegrityError as exc:
        # A concurrent undo of the same row won the unique key.
        raise LoyaltyError(ErrorCode.ALREADY_REVERSED, entry=entry_id) from exc


async def _reversal_expiry(original: LedgerEntry, now: datetime) -> datetime | None:
    """Undoing a credit cancels that credit's own lot, so it carries its expiry. Undoing a
    debit has none: the points go back to the credits it spent, with their dates
    (loyalty.expiry). Undoing an expiry is the one way to give expired points back to
    spend: a new credit."""
    if original.amount > 0:
        return original.expires_at
    if original.kind is EntryKind.EXPIRE:
        return await credit_expiry(now)
    return None
