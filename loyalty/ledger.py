"""The points ledger: the only code that changes a member's balance.

Every change is one appended row with an idempotency key that is unique in the table;
the balance cached on the member changes in the same transaction. Repeating an
operation with the same key returns the first result and changes nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from tortoise.exceptions import IntegrityError
from tortoise.functions import Sum
from tortoise.transactions import in_transaction

from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.group_commit import run_in_transaction
from models import EntryKind, LedgerEntry, Member
from models import statements as sql

T = TypeVar("T")


async def once(
    action: Callable[[], Awaitable[T]],
    replay: Callable[[], Awaitable[T | None]],
    *,
    look_first: bool = True,
    group_commit: bool = False,
) -> tuple[T, bool]:
    """Run `action` in one transaction unless `replay` finds its earlier result.

    Returns the result and whether it was a replay. Two callers racing with the same key
    both get the one result: the loser's insert breaks a unique index, its transaction
    rolls back, and it reads the winner's result. With `look_first=False` the unique
    index alone detects a repeat, saving a query when repeats are rare; the action must
    then insert its keyed row before anything it cannot take back. With `group_commit`
    the transaction may be shared with concurrent actions (`loyalty.group_commit`).
    """
    if look_first:
        earlier = await replay()
        if earlier is not None:
            return earlier, True
    try:
        if group_commit:
            return await run_in_transaction(action), False
        async with in_transaction():
            return await action(), False
    except IntegrityError:
        earlier = await replay()
        if earlier is None:
            raise
        return earlier, True


@dataclass(frozen=True)
class Posted:
    """The appended row and the member's balance and tier right after it."""

    entry: LedgerEntry
    balance: int
    tier_id: int | None


async def post(
    member_id: int,
    kind: EntryKind,
    amount: int,
    reason: str,
    key: str,
    *,
    now: datetime,
    note: str = "",
    staff_id: int | None = None,
    branch_id: int | None = None,
    purchase_id: int | None = None,
    voucher_id: int | None = None,
    reverses_id: int | None = None,
    expires_at: datetime | None = None,
    require_funds: bool = False,
) -> Posted:
    """Append one row and move the cached balance with it. Call inside a transaction.

    With `require_funds`, a debit that would take the balance below zero is refused; the
    check and the debit are one conditional UPDATE, so concurrent debits cannot overdraw.
    A purchase's points go through `post_purchase`.
    """
    if require_funds and amount < 0:
        update, params = sql.move_balance_funded, (amount, member_id, -amount)
    else:
        update, params = sql.move_balance, (amount, member_id)
    entry, moved = await sql.insert_entry.beside(
        update,
        *params,
        member_id=member_id,
        kind=kind,
        amount=amount,
        reason=reason,
        note=note[:200],
        staff_id=staff_id,
        branch_id=branch_id,
        purchase_id=purchase_id,
        voucher_id=voucher_id,
        reverses_id=reverses_id,
        expires_at=expires_at,
        idempotency_key=key,
        created_at=now,
    )
    if entry is None:
        balance = await Member.filter(id=member_id).values_list("balance", flat=True)
        if not balance:
            raise LoyaltyError(ErrorCode.MEMBER_NOT_FOUND)
        if balance[0] < 0:
            raise LoyaltyError(ErrorCode.NEGATIVE_BALANCE, balance=balance[0])
        raise LoyaltyError(ErrorCode.NOT_ENOUGH_POINTS, balance=balance[0], needed=-amount)
    row = moved[0]
    return Posted(entry, row["balance"], row["tier_id"])


async def post_purchase(
    purchase: dict[str, object],
    points: int,
    *,
    now: datetime,
    expires_at: datetime | None,
    tier_window: tuple[object, ...],
    message: dict[str, object] | None,
) -> sql.PurchaseRows:
    """Insert a purchase (its fields), append its points (none: no entry) and set the
    member's last purchase time, with the member's message (`notify.message_values`, a
    key prefix that the purchase's id completes; None: none). Call inside a transaction.

    The balance's UPDATE also sums the purchase points in the tier window (`tier_window`:
    `tiers.window_params`), this purchase's included: it saves the tier review a statement.
    On PostgreSQL it is all one statement (`statements.write_purchase`).
    """
    member_id = purchase["member_id"]
    entry = None
    if points > 0:
        entry = {
            "member_id": member_id,
            "kind": EntryKind.EARN,
            "amount": points,
            "reason": "purchase",
            "staff_id": purchase.get("staff_id"),
            "branch_id": purchase["branch_id"],
            "expires_at": expires_at,
            "idempotency_key": "purchase:",
            "created_at": now,
        }
    at = sql.db_value(Member, "last_purchase_at", now)
    return await sql.write_purchase(purchase, (points, at, member_id, *tier_window), entry, message)


async def balance_of(member_id: int) -> int:
    value = await Member.filter(id=member_id).values_list("balance", flat=True)
    if not value:
        raise LoyaltyError(ErrorCode.MEMBER_NOT_FOUND)
    return value[0]


async def ledger_sum(member_id: int) -> int:
    """The balance recomputed from the rows; equal to the cached balance at all times."""
    rows = (
        await LedgerEntry.filter(member_id=member_id).annotate(total=Sum("amount")).values("total")
    )
    return int(rows[0]["total"] or 0) if rows else 0


# Hand-written: the member's history window reads a page on every press.
_history = sql.Select(LedgerEntry, "member_id = ?", order="created_at DESC, id DESC", paged=True)
_count = sql.Statement(
    LedgerEntry, "SELECT COUNT(*) AS entries FROM ledger_entry WHERE member_id = ?"
)
_page = sql.Statement(
    LedgerEntry,
    """
    SELECT *, COUNT(*) OVER () AS entries FROM ledger_entry WHERE member_id = ?
    ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?""",
)


async def history(member_id: int, *, offset: int = 0, limit: int = 10) -> list[LedgerEntry]:
    """The member's entries, newest first."""
    return await _history.all(member_id, limit, offset)


async def count_entries(member_id: int) -> int:
    return int((await _count.rows(member_id))[0]["entries"])


@dataclass(frozen=True)
class HistoryPage:
    entries: list[LedgerEntry]  # newest first
    page: int  # from 0; the last one if the page asked for is past the end
    pages: int  # at least 1


async def history_page(member_id: int, page: int, size: int) -> HistoryPage:
    """A page of the member's entries and how many pages there are, in one statement:
    the count of all the entries comes with each row of the page."""
    rows = await _page.rows(member_id, size, page * size)
    if not rows and page > 0:  # past the end: a page number kept by an old window
        page = max(0, -(-await count_entries(member_id) // size) - 1)
        rows = await _page.rows(member_id, size, page * size)
    total = int(rows[0]["entries"]) if rows else 0
    for row in rows:
        del row["entries"]
    entries = [LedgerEntry._init_from_db(**row) for row in rows]
    return HistoryPage(entries, page, max(1, -(-total // size)))
