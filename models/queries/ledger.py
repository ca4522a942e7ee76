"""The ledger's writes and the reads beside them: a purchase, a posting, the tier window's
sum, a member's history and the sums by expiry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from models.enums import EntryKind
from models.ledger import LedgerEntry, Purchase
from models.members import Member
from models.queries.outbox import insert as insert_outbox
from models.statements import Insert, Statement, db_value, is_postgres, loaded

insert_purchase = Insert(Purchase)
insert_entry = Insert(LedgerEntry)

_expires_at = LedgerEntry._meta.fields_map["expires_at"]


class TierWindow(NamedTuple):
    """Whose points of which kinds count towards a tier, and since when."""

    member_id: int
    kinds: tuple[EntryKind, ...]
    since: datetime

    def params(self) -> list[Any]:
        """The parameters of `QUALIFYING_SUM`, in its order."""
        since = db_value(LedgerEntry, "created_at", self.since)
        return [self.member_id, *(kind.value for kind in self.kinds), since]


# The points of a tier window (`TierWindow.params`); two kinds.
QUALIFYING_SUM = (
    "(SELECT COALESCE(SUM(amount), 0) FROM ledger_entry"
    " WHERE member_id = ? AND kind IN (?, ?) AND created_at > ?)"
)
_qualifying_sum = Statement(LedgerEntry, f"SELECT {QUALIFYING_SUM} AS total")


async def qualifying_sum(window: TierWindow) -> int:
    return int((await _qualifying_sum.rows(*window.params()))[0]["total"])


# Each returns the member's balance and tier after the change; no row: no such member
# (or, with the funds condition, not enough points).
_move_balance = Statement(
    Member, "UPDATE member SET balance = balance + ? WHERE id = ? RETURNING balance, tier_id"
)
_move_balance_funded = Statement(
    Member,
    "UPDATE member SET balance = balance + ? WHERE id = ? AND balance >= ?"
    " RETURNING balance, tier_id",
)
# A purchase's: also the points in the tier window, which saves the tier review a
# statement; run beside the insert of the purchase's entry, it does not count that entry.
# A member without a home branch gets the purchase's: the first purchase settles it.
_move_balance_on_purchase = Statement(
    Member,
    "UPDATE member SET balance = balance + ?, last_purchase_at = ?,"
    " branch_id = COALESCE(branch_id, ?) WHERE id = ?"
    f" RETURNING balance, tier_id, {QUALIFYING_SUM} AS qualifying",
)


class Moved(NamedTuple):
    """The appended row and the member's balance and tier right after it."""

    entry: LedgerEntry
    balance: int
    tier_id: int | None


async def append_entry(entry: dict[str, Any], *, require_funds: bool) -> Moved | None:
    """Insert the entry (its fields) and move its member's balance by its amount. None: no
    such member or, with `require_funds`, a debit the balance does not cover; nothing then
    is written on SQLite, and on PostgreSQL the caller must roll back."""
    amount, member_id = entry["amount"], entry["member_id"]
    if require_funds and amount < 0:
        update, params = _move_balance_funded, (amount, member_id, -amount)
    else:
        update, params = _move_balance, (amount, member_id)
    posted, moved = await insert_entry.beside(update, *params, **entry)
    if posted is None:
        return None
    return Moved(posted, moved[0]["balance"], moved[0]["tier_id"])


@dataclass(frozen=True)
class PurchaseRows:
    """What `write_purchase` wrote, and the member's balance and tier right after it."""

    purchase: Purchase
    entry_id: int | None
    message_id: int | None
    balance: int
    tier_id: int | None
    qualifying: int  # purchase points in the tier window, this purchase's included


# On PostgreSQL, the columns of `write_purchase`'s parts that take an earlier part's value.
_KEY_WITH_PURCHASE_ID = "CAST(? AS text) || (SELECT id FROM purchase)"
_entry_from_purchase = {
    "purchase_id": "(SELECT id FROM purchase)",
    "idempotency_key": _KEY_WITH_PURCHASE_ID,
}
_message_from_purchase = {
    "key": _KEY_WITH_PURCHASE_ID,
    "params": "jsonb_set(CAST(? AS jsonb), '{balance}', to_jsonb((SELECT balance FROM moved)))",
}
_purchase_statements: dict[tuple[bool, bool], Statement] = {}


def _purchase_statement(entry: bool, message: bool) -> Statement:
    statement = _purchase_statements.get((entry, message))
    if statement is None:
        parts = [f"purchase AS ({insert_purchase.computing({})})"]  # the plain INSERT
        columns = ["moved.*", "purchase.id AS purchase_id"]
        if entry:
            parts.append(f"entry AS ({insert_entry.computing(_entry_from_purchase)})")
            columns.append("(SELECT id FROM entry) AS entry_id")
        parts.append(f"moved AS ({_move_balance_on_purchase.text})")
        if message:
            parts.append(f"message AS ({insert_outbox.computing(_message_from_purchase)})")
            columns.append("(SELECT id FROM message) AS message_id")
        text = f"WITH {', '.join(parts)} SELECT {', '.join(columns)} FROM purchase, moved"
        statement = _purchase_statements[(entry, message)] = Statement(Purchase, text)
    return statement


async def write_purchase(
    purchase: dict[str, Any],
    points: int,
    window: TierWindow,
    entry: dict[str, Any] | None,
    message: dict[str, Any] | None,
) -> PurchaseRows:
    """Insert a purchase (its fields), its ledger entry and its message, move the member's
    balance by `points`, set the last purchase time to the purchase's (and the home branch,
    if the member has none, to its branch), and sum the member's tier `window`.

    No `entry`: the purchase earns nothing; no `message`: the caller sends it later. The
    entry's `idempotency_key` and the message's `key` are given as prefixes that the
    purchase's id completes; the entry's `purchase_id` is the purchase's, and the
    message's `params` get the balance after the move.

    On PostgreSQL all of it is one statement, a data-modifying WITH: a purchase is the
    busiest write of the club, and each round trip costs the bot more CPU than the
    database (BENCHMARKS.md, hand-written statements). On SQLite, which has no such WITH,
    they are statements in the same order. A repeated receipt breaks the purchase's unique
    index before anything is written.
    """
    at = db_value(Member, "last_purchase_at", purchase["created_at"])
    move = [points, at, purchase["branch_id"], purchase["member_id"], *window.params()]
    if not is_postgres(Purchase):
        return await _write_purchase_in_steps(purchase, move, entry, message)
    # The parameters in the order of the statement's parts.
    bought, params = insert_purchase._build(purchase)
    if entry is not None:
        params += insert_entry.parameters(entry, _entry_from_purchase)
    params += move
    if message is not None:
        params += insert_outbox.parameters(message, _message_from_purchase)
    row = (await _purchase_statement(entry is not None, message is not None).rows(*params))[0]
    return PurchaseRows(
        Insert._saved(bought, row["purchase_id"]),
        row.get("entry_id"),
        row.get("message_id"),
        row["balance"],
        row["tier_id"],
        int(row["qualifying"]) + points,  # the window's sum does not see the entry beside it
    )


async def _write_purchase_in_steps(
    purchase: dict[str, Any],
    move: list[Any],
    entry: dict[str, Any] | None,
    message: dict[str, Any] | None,
) -> PurchaseRows:
    bought = await insert_purchase(**purchase)
    entry_id = message_id = None
    if entry is None:
        moved = await _move_balance_on_purchase.rows(*move)
    else:
        key = entry["idempotency_key"] + str(bought.id)
        posted, moved = await insert_entry.beside(
            _move_balance_on_purchase,
            *move,
            **{**entry, "purchase_id": bought.id, "idempotency_key": key},
        )
        entry_id = posted.id if posted else None
    row = moved[0]
    if message is not None:
        message_id = (
            await insert_outbox(
                **{
                    **message,
                    "key": message["key"] + str(bought.id),
                    "params": {**message["params"], "balance": row["balance"]},
                }
            )
        ).id
    qualifying = int(row["qualifying"]) + move[0]  # the window's sum does not see the entry
    return PurchaseRows(bought, entry_id, message_id, row["balance"], row["tier_id"], qualifying)


# The member's history window reads a page on every press.
_page = Statement(
    LedgerEntry,
    """
    SELECT *, COUNT(*) OVER () AS entries FROM ledger_entry WHERE member_id = ?
    ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?""",
)


async def history_page(member_id: int, limit: int, offset: int) -> tuple[list[LedgerEntry], int]:
    """The member's entries, newest first, and the count of all of them, read with them."""
    rows = await _page.rows(member_id, limit, offset)
    total = int(rows[0]["entries"]) if rows else 0
    for row in rows:
        del row["entries"]
    return [loaded(LedgerEntry, row) for row in rows], total


class ExpirySum(NamedTuple):
    credit: bool  # False: the sum of every other debit, less the reversals of those debits
    expires_at: datetime | None
    points: int


# The member's rows summed by expiry, credits apart from other debits: a few rows
# however long the member's history, where reading the entries themselves grew with it.
# A credit: a row with an expiry, or a positive row that is not the reversal of a debit
# other than an expiry (those reversals, without an expiry, count against the debits).
_sums = Statement(
    LedgerEntry,
    """
    SELECT credit, expires_at, SUM(amount) AS points FROM (
        SELECT CASE WHEN e.expires_at IS NOT NULL THEN 1
                    WHEN e.amount <= 0 THEN 0
                    WHEN e.kind <> 'reverse' OR e.reverses_id IS NULL THEN 1
                    WHEN (SELECT r.kind FROM ledger_entry r WHERE r.id = e.reverses_id) = 'expire'
                    THEN 1 ELSE 0 END AS credit,
               e.expires_at, e.amount
        FROM ledger_entry e WHERE e.member_id = ?) AS entries
    GROUP BY credit, expires_at""",
)


async def sums_by_expiry(member_id: int) -> list[ExpirySum]:
    return [
        ExpirySum(
            bool(row["credit"]), _expires_at.to_python_value(row["expires_at"]), int(row["points"])
        )
        for row in await _sums.rows(member_id)
    ]
