"""What `models/statements.py` relies on inside Tortoise, beyond its public API.

tortoise-orm is pinned to a minor range in pyproject.toml; these fail first when a new
version changes what the hand-written statements lean on, before any row goes wrong.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from tortoise.backends.base.client import TransactionalDBClient
from tortoise.transactions import in_transaction

from loyalty.members import register_member
from models import LedgerEntry, Member, Tier
from models import statements as sql
from models.queries import audit as audit_sql
from models.queries import ledger as ledger_sql
from models.queries import outbox as outbox_sql

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


async def test_init_from_db_loads_a_raw_row_as_a_saved_instance(any_db: str) -> None:
    """`Model._init_from_db(**row)`: converts the row's values by the fields and marks the
    instance saved, so a later `save()` updates that row."""
    member = (await register_member("09121234567", now=NOW)).member
    row = (await sql.Statement(Member, "SELECT * FROM member WHERE id = ?").rows(member.id))[0]
    loaded = Member._init_from_db(**row)
    assert loaded._saved_in_db is True
    assert (loaded.id, loaded.phone, loaded.joined_at) == (member.id, member.phone, NOW)
    tier_row = (await sql.Statement(Tier, "SELECT * FROM tier ORDER BY id").rows())[1]
    assert Tier._init_from_db(**tier_row).multiplier == Decimal("1.25")  # not a float
    loaded.first_name = "Sara"
    await loaded.save(update_fields=["first_name"])
    assert await Member.filter(phone=member.phone).count() == 1
    assert (await Member.get(id=member.id)).first_name == "Sara"


async def test_saved_in_db_makes_save_update_the_inserted_row(any_db: str) -> None:
    """`Insert` sets `_saved_in_db` on the instance it built; Tortoise then updates, not inserts."""
    member = (await register_member("09121234567", now=NOW)).member
    async with in_transaction():
        entry = await ledger_sql.insert_entry(
            member_id=member.id,
            kind="adjust",
            amount=0,
            reason="adjust",
            idempotency_key="internals",
            created_at=NOW,
        )
    assert entry._saved_in_db is True
    entry.note = "checked"
    await entry.save(update_fields=["note"])
    assert await LedgerEntry.filter(idempotency_key="internals").count() == 1
    assert (await LedgerEntry.get(id=entry.id)).note == "checked"


@pytest.mark.parametrize(
    "insert",
    [ledger_sql.insert_purchase, ledger_sql.insert_entry, outbox_sql.insert, audit_sql.insert],
    ids=lambda insert: insert.model.__name__,
)
def test_the_meta_that_insert_reads_is_there(insert: sql.Insert) -> None:
    meta = insert.model._meta
    for name, column in meta.fields_db_projection.items():
        field = meta.fields_map[name]
        assert isinstance(column, str)
        assert isinstance(field.generated, bool)
        assert isinstance(field.null, bool)
        assert callable(field.to_db_value) and callable(field.to_python_value)
    assert meta.fields_map["id"].generated is True


async def test_the_null_refusal_is_tortoises_own(db: str) -> None:
    """`Insert.parameters` refuses a null where the constructor would, with its words."""
    values = {"action": "a", "created_at": NOW}
    with pytest.raises(ValueError) as ours:
        audit_sql.insert.parameters({**values, "action": None})
    with pytest.raises(ValueError) as theirs:
        audit_sql.insert.model(**{**values, "action": None})
    assert str(ours.value) == str(theirs.value)


async def test_the_connection_api_the_statements_use(any_db: str) -> None:
    connection = Member._meta.db
    assert connection.capabilities.dialect == any_db
    rows = await connection.execute_query_dict("SELECT 1 AS one", [])
    assert rows == [{"one": 1}]
    async with in_transaction() as transaction:
        assert isinstance(transaction, TransactionalDBClient)
        if any_db == "sqlite":  # group commit asks SQLite whether a failure ended it
            assert transaction._connection.in_transaction is True  # type: ignore[attr-defined]
