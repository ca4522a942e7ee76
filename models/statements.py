"""The machinery of the hand-written statements in `models/queries/`.

The ORM builds every query anew on each call, in Python that costs several times what the
statement costs the database (BENCHMARKS.md, "Hand-written statements on the purchase path").
Statements are written once, in SQL that SQLite (3.35 or newer, for RETURNING) and
PostgreSQL both accept. They run on the model's Tortoise connection, so inside the caller's
transaction; values are converted by the model's own fields and rows are read back by the
model's own loader, so a row written or read here is exactly the row the ORM would write or
read. That leans on Tortoise's internals (`_init_from_db`, `_saved_in_db`, the null
refusal's words): tortoise-orm is pinned to a minor range and
`tests/test_tortoise_internals.py` checks each of them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, TypeVar

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model

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
        model = self.model
        return [loaded(model, row) for row in await self.statement.rows(*params)]

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


def loaded(model: type[M], row: dict[str, Any]) -> M:
    """A row of the model's table (every column, by name) as a saved instance."""
    return model._init_from_db(**row)


def is_postgres(model: type[Model]) -> bool:
    """Whether the model's database is PostgreSQL; the other is SQLite."""
    return model._meta.db.capabilities.dialect == "postgres"


def one_writer(connection: BaseDBAsyncClient) -> bool:
    """SQLite: one write transaction at a time, so concurrent writes may share a commit."""
    return connection.capabilities.dialect == "sqlite"


__all__ = [
    "Insert",
    "NameLock",
    "Select",
    "Statement",
    "db_value",
    "is_postgres",
    "loaded",
    "one_writer",
]
