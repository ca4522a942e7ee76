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
from models.queries import ledger as ledger_sql
from models.queries.ledger import PurchaseRows, TierWindow

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
    moved = await ledger_sql.append_entry(
        {
            "member_id": member_id,
            "kind": kind,
            "amount": amount,
            "reason": reason,
            "note": note[:200],
            "staff_id": staff_id,
            "branch_id": branch_id,
            "purchase_id": purchase_id,
            "voucher_id": voucher_id,
            "reverses_id": reverses_id,
            "expires_at": expires_at,
            "idempotency_key": key,
            "created_at": now,
        },
        require_funds=require_funds,
    )
    if moved is None:
        balance = await Member.filter(id=member_id).values_list("balance", flat=True)
        if not balance:
            raise LoyaltyError(ErrorCode.MEMBER_NOT_FOUND)
        if balance[0] < 0:
            raise LoyaltyError(ErrorCode.NEGATIVE_BALANCE, balance=balance[0])
        raise LoyaltyError(ErrorCode.NOT_ENOUGH_POINTS, balance=balance[0], needed=-amount)
    return Posted(*moved)


@dataclass(frozen=True)
class NewPurchase:
    """A purchase to record, with the points it earns."""

    member_id: int
    branch_id: int
    receipt: str
    amount: int
    group_id: int | None
    points: int
    staff_id: int | None
    created_at: datetime
    note: str = ""  # on its ledger row: the festival it earned under (`Yalda ×3`)

    def fields(self) -> dict[str, object]:
        """The purchase's row."""
        return {
            "branch_id": self.branch_id,
            "receipt": self.receipt,
            "member_id": self.member_id,
            "amount": self.amount,
            "product_group_id": self.group_id,
            "points": self.points,
            "staff_id": self.staff_id,
            "created_at": self.created_at,
        }

    def entry(self, expires_at: datetime | None) -> dict[str, object] | None:
        """The ledger row of its points (its key a prefix the purchase's id completes);
        None when it earns nothing."""
        if self.points <= 0:
            return None
        return {
            "member_id": self.member_id,
            "kind": EntryKind.EARN,
            "amount": self.points,
            "reason": "purchase",
            "note": self.note,
            "staff_id": self.staff_id,
            "branch_id": self.branch_id,
            "expires_at": expires_at,
            "idempotency_key": "purchase:",
            "created_at": self.created_at,
        }


async def post_purchase(
    purchase: NewPurchase,
    *,
    expires_at: datetime | None,
    tier_window: TierWindow,
    message: dict[str, object] | None,
) -> PurchaseRows:
    """Insert a purchase, append its points (none: no entry) and set the member's last
    purchase time, with the member's message (`notify.message_values`, a key prefix that
    the purchase's id completes; None: none). Call inside a transaction.

    The balance's UPDATE also sums the purchase points in `tier_window`, this purchase's
    included: it saves the tier review a statement. On PostgreSQL it is all one statement
    (`models.queries.ledger.write_purchase`).
    """
    return await ledger_sql.write_purchase(
        purchase.fields(), purchase.points, tier_window, purchase.entry(expires_at), message
    )


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


async def history(member_id: int, *, offset: int = 0, limit: int = 10) -> list[LedgerEntry]:
    """The member's entries, newest first (the CLI's; the chat reads `history_page`)."""
    entries = LedgerEntry.filter(member_id=member_id).order_by("-created_at", "-id")
    return await entries.offset(offset).limit(limit)


async def count_entries(member_id: int) -> int:
    return await LedgerEntry.filter(member_id=member_id).count()


@dataclass(frozen=True)
class HistoryPage:
    entries: list[LedgerEntry]  # newest first
    page: int  # from 0; the last one if the page asked for is past the end
    pages: int  # at least 1


async def history_page(member_id: int, page: int, size: int) -> HistoryPage:
    """A page of the member's entries and how many pages there are, in one statement:
    the count of all the entries comes with each row of the page."""
    entries, total = await ledger_sql.history_page(member_id, size, page * size)
    if not entries and page > 0:  # past the end: a page number kept by an old window
        page = max(0, -(-await count_entries(member_id) // size) - 1)
        entries, total = await ledger_sql.history_page(member_id, size, page * size)
    return HistoryPage(entries, page, max(1, -(-total // size)))
