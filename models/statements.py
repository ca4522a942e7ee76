"""Hand-written SQL for the purchase path, the busiest write of the club.

The ORM builds every query anew on each call, in Python that costs several times what the
statement costs the database (BENCHMARKS.md, "Hand-written statements on the purchase path").
The few statements a purchase needs are written here once, in SQL that SQLite (3.35 or
newer, for RETURNING) and PostgreSQL both accept. They run on the model's Tortoise
connection, so inside the caller's transaction; values are converted by the model's own
fields and rows are read back by the model's own loader, so a row written or read here
is exactly the row the ORM would write or read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model

from models.club import Branch, ClubRules, ProductGroup, Tier
from models.ledger import LedgerEntry, Purchase
from models.members import Member
from models.messaging import OutboxMessage
from models.sms import InboundSms
from models.staff import AuditEntry, Staff

M = TypeVar("M", bound=Model)

_PLACEHOLDER = re.compile(r"\?")


class Statement:
    """One SQL text with `?` placeholders, renumbered `$1, $2, ...` for PostgreSQL once.

    `locking`: a SELECT whose rows stay locked until the transaction ends (FOR UPDATE). Only
    on PostgreSQL: SQLite has no row locks, and its one writer at a time needs none.
    """

    def __init__(self, model: type[Model], text: str, *, locking: bool = False) -> None:
        self.model = model
        self.text = " ".join(text.split())
        self.locking = locking
        self._numbered: str | None = None

    def _sql(self, connection: BaseDBAsyncClient) -> str:
        if connection.capabilities.dialect != "postgres":
            return self.text
        if self._numbered is None:
            count = iter(range(1, 1000))
            self._numbered = _PLACEHOLDER.sub(lambda _: f"${next(count)}", self.text)
            self._numbered += " FOR UPDATE" if self.locking else ""
        return self._numbered

    async def rows(self, *params: Any) -> list[dict[str, Any]]:
        """The rows it returns (SELECT, or RETURNING), as dicts by column name."""
        # Not execute_query: on PostgreSQL it drops the rows of INSERT ... RETURNING.
        connection = self.model._meta.db
        return await connection.execute_query_dict(self._sql(connection), list(params))

    async def many(self, params: list[list[Any]]) -> None:
        """Run once per parameter list, sent together: one round trip to PostgreSQL."""
        connection = self.model._meta.db
        await connection.execute_many(self._sql(connection), params)


class Select:
    """A SELECT of whole rows of one model, loaded into model instances."""

    def __init__(
        self,
        model: type[M],
        where: str = "",
        *,
        order: str = "",
        limit: int | None = None,
        paged: bool = False,
        locking: bool = False,
    ) -> None:
        """`paged`: the last two parameters are the page's size and offset; `locking`: as
        `Statement`'s."""
        self.model = model
        text = f"SELECT * FROM {model._meta.db_table}"
        text += f" WHERE {where}" if where else ""
        text += f" ORDER BY {order}" if order else ""
        text += f" LIMIT {int(limit)}" if limit is not None else ""
        text += " LIMIT ? OFFSET ?" if paged else ""
        self.statement = Statement(model, text, locking=locking)

    async def all(self, *params: Any) -> list[M]:
        load = self.model._init_from_db
        return [load(**row) for row in await self.statement.rows(*params)]  # type: ignore[return-value]

    async def first(self, *params: Any) -> M | None:
        found = await self.all(*params)
        return found[0] if found else None


class Insert:
    """`INSERT ... RETURNING id` of a model instance built in memory.

    The instance is built by the model's constructor (defaults and validation as with
    `Model.create`), its values converted by the model's fields, and it comes back saved.
    """

    def __init__(self, model: type[M]) -> None:
        self.model = model
        self._prepared: tuple[list[tuple[str, Any]], Statement] | None = None
        self._together: dict[str, Statement] = {}  # by the text of the statement run beside

    def _prepare(self) -> tuple[list[tuple[str, Any]], Statement]:
        # Not at import: Tortoise adds the foreign-key columns when it initialises.
        if self._prepared is None:
            meta = self.model._meta
            fields = [
                (name, meta.fields_map[name])
                for name in meta.fields_db_projection
                if not meta.fields_map[name].generated
            ]
            names = ", ".join(meta.fields_db_projection[name] for name, _ in fields)
            marks = ", ".join("?" for _ in fields)
            text = f"INSERT INTO {meta.db_table} ({names}) VALUES ({marks}) RETURNING id"
            self._prepared = fields, Statement(self.model, text)
        return self._prepared

    def _build(self, values: dict[str, Any]) -> tuple[M, list[Any]]:
        fields, _ = self._prepare()
        instance = self.model(**values)
        return instance, [
            field.to_db_value(getattr(instance, name), instance) for name, field in fields
        ]  # type: ignore[return-value]

    def parameters(self, values: dict[str, Any], computed: Mapping[str, str] = {}) -> list[Any]:
        """The parameters `_build` gives, without building the instance (a third of the
        cost of a purchase's write): the model's defaults for the fields not in `values`,
        as its constructor fills them. A column `computed` without a `?` takes none."""
        fields, _ = self._prepare()
        params = []
        for name, field in fields:
            if "?" not in computed.get(name, "?"):
                continue
            if name in values:
                value = field.to_python_value(values[name])
                if value is None and not field.null:
                    raise ValueError(f"{name} is non nullable field, but null was passed")
            else:
                value = field.default() if callable(field.default) else field.default
            params.append(field.to_db_value(value, self.model))
        return params

    def computing(self, computed: Mapping[str, str]) -> str:
        """The INSERT with the `computed` columns given as SQL instead of a parameter: a part
        of a WITH whose values come from the parts before it. A `?` in that SQL takes the
        value passed for the column (`parameters(values, computed)` gives the parameters)."""
        fields, statement = self._prepare()
        marks = ", ".join(computed.get(name, "?") for name, _ in fields)
        return statement.text.replace(
            f"VALUES ({', '.join('?' for _ in fields)})", f"VALUES ({marks})"
        )

    @staticmethod
    def _saved(instance: M, pk: int) -> M:
        instance.pk = pk
        instance._saved_in_db = True
        return instance

    async def __call__(self, **values: Any) -> M:
        instance, params = self._build(values)
        rows = await self._prepare()[1].rows(*params)
        return self._saved(instance, rows[0]["id"])

    async def beside(
        self, update: Statement, *params: Any, **values: Any
    ) -> tuple[M | None, list[dict[str, Any]]]:
        """Run `update` (an UPDATE ... RETURNING), then insert the row; on PostgreSQL both in
        one statement, a data-modifying WITH, which saves a round trip to the server (SQLite
        has no such WITH: there they are two statements on the same connection).

        In both, `update` does not see the new row: PostgreSQL's WITH runs its parts on one
        snapshot, so SQLite runs the update first to match. No row from `update`: nothing is
        inserted on SQLite, and on PostgreSQL the caller must roll back (it refuses anyway).
        """
        instance, insert_params = self._build(values)
        connection = self.model._meta.db
        if connection.capabilities.dialect != "postgres":
            rows = await update.rows(*params)
            if not rows:
                return None, rows
            inserted = await self._prepare()[1].rows(*insert_params)
            return self._saved(instance, inserted[0]["id"]), rows
        together = self._together.get(update.text)
        if together is None:
            insert = self._prepare()[1].text
            together = Statement(
                update.model,
                f"WITH inserted AS ({insert}) {update.text},"
                " (SELECT id FROM inserted) AS inserted_id",
            )
            self._together[update.text] = together
        rows = await together.rows(*insert_params, *params)
        if not rows:
            return None, rows
        return self._saved(instance, rows[0].pop("inserted_id")), rows


class NameLock:
    """A lock on a name (a phone number, say) until the caller's transaction ends, for what
    has no row to lock: a PostgreSQL advisory lock in the namespace `space`. On SQLite
    there is nothing to take: a transaction there already waits for every other one."""

    def __init__(self, model: type[Model], space: int) -> None:
        self.statement = Statement(
            model, f"SELECT pg_advisory_xact_lock({int(space)}, hashtext(?))"
        )

    async def take(self, name: str) -> None:
        if self.statement.model._meta.db.capabilities.dialect == "postgres":
            await self.statement.rows(name)


def db_value(model: type[Model], field: str, value: Any) -> Any:
    """`value` as the model's field stores it, for a parameter of a hand-written statement."""
    return model._meta.fields_map[field].to_db_value(value, model)


# ---- the statements of the purchase path ---------------------------------------------

member_by_id = Select(Member, "id = ?")
member_by_id_locked = Select(Member, "id = ?", locking=True)
rules_by_id = Select(ClubRules, "id = ?")
active_branches = Select(Branch, "active = ?", order="id")
first_active_branch = Select(Branch, "active = ?", order="id", limit=1)
active_groups = Select(ProductGroup, "active = ?", order="id")
tiers_by_threshold = Select(Tier, order="threshold, id")

# The token of the club's set-up (migration 0003); NULL when its row is missing.
CONFIG_TOKEN = "(SELECT token FROM config_token WHERE id = 1)"
config_token = Statement(ClubRules, f"SELECT {CONFIG_TOKEN} AS config_token")
# A member with the token (by id, locked; by Telegram id, not deleted), for `member_and_token`.
# A purchase reads its member locked. On PostgreSQL concurrent purchases of a member then
# wait here, not at the balance's UPDATE, and each later statement of the purchase sees
# every purchase committed before it: its points follow the current tier, and the tier
# window's sum counts the others' points (read on the UPDATE's snapshot instead, ten
# purchases at once that together reached a tier left the member below it).
member_and_config_token = Statement(
    Member, f"SELECT *, {CONFIG_TOKEN} AS config_token FROM member WHERE id = ?", locking=True
)
member_and_config_token_by_telegram = Statement(
    Member,
    f"SELECT *, {CONFIG_TOKEN} AS config_token FROM member WHERE telegram_id = ? AND deleted_at "
    "IS NULL",
)


def member_and_token(row: dict[str, Any]) -> tuple[Member, str | None]:
    """A row of `member_and_config_token(_by_telegram)`: the member, and the set-up's token."""
    token = row.pop("config_token")
    return Member._init_from_db(**row), token


insert_purchase = Insert(Purchase)
insert_entry = Insert(LedgerEntry)
insert_outbox = Insert(OutboxMessage)

# Purchase points (earned, net of refunds) of a member in the tier window: the member,
# then the two kinds and the window's start, as parameters.
QUALIFYING_SUM = (
    "(SELECT COALESCE(SUM(amount), 0) FROM ledger_entry"
    " WHERE member_id = ? AND kind IN (?, ?) AND created_at > ?)"
)
qualifying_sum = Statement(LedgerEntry, f"SELECT {QUALIFYING_SUM} AS total")

# Each returns the member's balance and tier after the change; no row: no such member
# (or, with the funds condition, not enough points).
move_balance = Statement(
    Member, "UPDATE member SET balance = balance + ? WHERE id = ? RETURNING balance, tier_id"
)
move_balance_funded = Statement(
    Member,
    "UPDATE member SET balance = balance + ? WHERE id = ? AND balance >= ? RETURNING balance, "
    "tier_id",
)
# A purchase's: also the points in the tier window, which saves the tier review a
# statement; run beside the insert of the purchase's entry, it does not count that entry
# (parameters: amount, time, member, then those of QUALIFYING_SUM).
move_balance_on_purchase = Statement(
    Member,
    "UPDATE member SET balance = balance + ?, last_purchase_at = ? WHERE id = ?"
    f" RETURNING balance, tier_id, {QUALIFYING_SUM} AS qualifying",
)


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
        parts.append(f"moved AS ({move_balance_on_purchase.text})")
        if message:
            parts.append(f"message AS ({insert_outbox.computing(_message_from_purchase)})")
            columns.append("(SELECT id FROM message) AS message_id")
        text = f"WITH {', '.join(parts)} SELECT {', '.join(columns)} FROM purchase, moved"
        statement = _purchase_statements[(entry, message)] = Statement(Purchase, text)
    return statement


async def write_purchase(
    purchase: dict[str, Any],
    move: tuple[Any, ...],
    entry: dict[str, Any] | None,
    message: dict[str, Any] | None,
) -> PurchaseRows:
    """Insert a purchase, its ledger entry and its message, and move the member's balance
    (`move`: the parameters of `move_balance_on_purchase`, the entry's amount first).

    No `entry`: the purchase earns nothing; no `message`: the caller sends it later. The
    entry's `idempotency_key` and the message's `key` are given as prefixes that the
    purchase's id completes; the entry's `purchase_id` is the purchase's, and the
    message's `params` get the balance after the move.

    On PostgreSQL all of it is one statement, a data-modifying WITH: a purchase is the
    busiest write of the club, and each round trip costs the bot more CPU than the
    database (BENCHMARKS.md, hand-written statements). On SQLite, which has no such WITH, they are
    statements in the same order. A repeated receipt breaks the purchase's unique index
    before anything is written.
    """
    connection = Purchase._meta.db
    if connection.capabilities.dialect != "postgres":
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
        _qualifying(row, move),
    )


async def _write_purchase_in_steps(
    purchase: dict[str, Any],
    move: tuple[Any, ...],
    entry: dict[str, Any] | None,
    message: dict[str, Any] | None,
) -> PurchaseRows:
    bought = await insert_purchase(**purchase)
    entry_id = message_id = None
    if entry is None:
        moved = await move_balance_on_purchase.rows(*move)
    else:
        key = entry["idempotency_key"] + str(bought.id)
        posted, moved = await insert_entry.beside(
            move_balance_on_purchase,
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
    return PurchaseRows(
        bought, entry_id, message_id, row["balance"], row["tier_id"], _qualifying(row, move)
    )


def _qualifying(row: dict[str, Any], move: tuple[Any, ...]) -> int:
    # The window's sum does not see the entry written beside it: its points are added here.
    return int(row["qualifying"]) + move[0]


# ---- the SMS door ----------------------------------------------------------------------

# The decisions about one sender's messages (the flood gate, help once a day) one at a time.
inbound_sender_lock = NameLock(InboundSms, 7001)

# ---- around the purchase at the counter: a cashier's /earn ---------------------------

active_staff_by_telegram = Select(Staff, "telegram_id = ? AND active = ?", limit=1)
# A cashier's purchases wait here for each other's check of the daily cap.
lock_staff = Statement(Staff, "SELECT id FROM staff WHERE id = ?", locking=True)
member_by_active_card = Select(
    Member, "id = (SELECT member_id FROM card WHERE number = ? AND active = ?)"
)
receipt_recorded = Statement(
    Purchase, "SELECT 1 AS found FROM purchase WHERE branch_id = ? AND receipt = ? LIMIT 1"
)
# Points a staff member issued since a moment: the staff member, two kinds, the moment.
issued_since = Statement(
    LedgerEntry,
    "SELECT COALESCE(SUM(amount), 0) AS total FROM ledger_entry"
    " WHERE staff_id = ? AND kind IN (?, ?) AND amount > 0 AND created_at >= ?",
)
insert_audit = Insert(AuditEntry)
