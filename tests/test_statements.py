"""The hand-written statements of the purchase path store and read rows exactly as the ORM does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from loyalty import earning, ledger, notify, tiers
from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.members import register_member
from loyalty.rules import current_config, default_branch, get_rules
from models import (
    Channel,
    ClubRules,
    EntryKind,
    LedgerEntry,
    Member,
    OutboxMessage,
    OutboxStatus,
    Purchase,
    Tier,
)
from models import statements as sql
from models.queries import audit as audit_sql
from models.queries import ledger as ledger_sql
from models.queries import outbox as outbox_sql

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


async def test_an_inserted_row_reads_back_through_the_orm_unchanged(any_db: str) -> None:
    member = (await register_member("09121234567", now=NOW)).member
    expires = NOW + timedelta(days=365)
    async with in_transaction():
        entry = await ledger_sql.insert_entry(
            member_id=member.id,
            kind=EntryKind.ADJUST,
            amount=-7,
            reason="adjust",
            note="«یادداشت»",
            idempotency_key="statement-test",
            created_at=NOW,
            expires_at=expires,
        )
        message = await outbox_sql.insert(
            key="statement-test",
            member_id=member.id,
            template="points_adjusted",
            params={"points": -7, "note": "«یادداشت»"},
            channel=Channel.SMS,
            next_attempt_at=NOW,
            created_at=NOW,
        )
    stored = await LedgerEntry.get(id=entry.id)
    assert (stored.kind, stored.amount, stored.note, stored.created_at, stored.expires_at) == (
        EntryKind.ADJUST,
        -7,
        "«یادداشت»",
        NOW,
        expires,
    )
    assert stored.member_id == member.id and stored.staff_id is None
    row = await OutboxMessage.get(id=message.id)
    # The model's defaults are applied as Model.create applies them.
    assert (row.status, row.attempts, row.last_error, row.sent_at) == (
        OutboxStatus.PENDING,
        0,
        "",
        None,
    )
    assert (row.channel, row.params, row.next_attempt_at) == (
        Channel.SMS,
        {"points": -7, "note": "«یادداشت»"},
        NOW,
    )
    # Rows written by either way sort and compare as one: the ORM finds this row by time.
    assert await LedgerEntry.filter(member_id=member.id, created_at__gte=NOW).count() == 2


async def test_a_repeated_key_breaks_the_unique_index(any_db: str) -> None:
    member = (await register_member("09121234567", now=NOW)).member
    values = dict(
        member_id=member.id,
        kind=EntryKind.BONUS,
        amount=5,
        reason="x",
        idempotency_key="k",
        created_at=NOW,
    )
    async with in_transaction():
        await ledger_sql.insert_entry(**values)
    with pytest.raises(IntegrityError):
        async with in_transaction():
            await ledger_sql.insert_entry(**values)
    assert await LedgerEntry.filter(idempotency_key="k").count() == 1


async def test_statements_join_the_callers_transaction(any_db: str) -> None:
    member = (await register_member("09121234567", now=NOW)).member
    before = member.balance
    with pytest.raises(RuntimeError):
        async with in_transaction():
            posted = await ledger.post(member.id, EntryKind.BONUS, 40, "x", "rolled-back", now=NOW)
            assert posted.balance == before + 40
            raise RuntimeError("undo it all")
    assert await ledger.balance_of(member.id) == before
    assert not await LedgerEntry.exists(idempotency_key="rolled-back")


async def test_post_returns_the_balance_and_tier_after_the_change(any_db: str) -> None:
    member = (await register_member("09121234567", now=NOW)).member
    async with in_transaction():
        posted = await ledger.post(member.id, EntryKind.BONUS, 40, "x", "k1", now=NOW)
    assert (posted.balance, posted.tier_id) == (member.balance + 40, member.tier_id)
    assert (
        posted.entry.amount == 40
        and posted.entry.id == (await LedgerEntry.get(idempotency_key="k1")).id
    )


async def test_reads_load_models_as_the_orm_does(any_db: str) -> None:
    await ClubRules.filter(id=1).update(earn_rate=Decimal("2.5"))
    rules = await get_rules()
    assert rules.earn_rate == Decimal("2.5") and isinstance(rules.earn_rate, Decimal)
    assert [t.code for t in await tiers.tier_ladder()] == [
        t.code for t in await Tier.all().order_by("threshold")
    ]
    assert (await default_branch()).id == (await current_config()).branch(None).id


async def test_the_tier_window_sum_counts_purchases_and_refunds_only(any_db: str) -> None:
    member = (await register_member("09121234567", now=NOW)).member
    await earning.award_purchase(member.id, 300_000, receipt="r1", now=NOW - timedelta(days=400))
    await earning.award_purchase(member.id, 200_000, receipt="r2", now=NOW - timedelta(days=1))
    await earning.refund_purchase("r2", 50_000, now=NOW)
    async with in_transaction():
        await ledger.post(member.id, EntryKind.BONUS, 999, "x", "bonus", now=NOW)
    assert await tiers.qualifying_points(member.id, NOW, window_days=365) == 20 - 5


def _purchase(member_id: int, branch_id: int, receipt: str, points: int) -> ledger.NewPurchase:
    return ledger.NewPurchase(
        member_id=member_id,
        branch_id=branch_id,
        receipt=receipt,
        amount=200_000,
        group_id=None,
        points=points,
        staff_id=None,
        created_at=NOW,
    )


async def test_a_purchase_is_written_with_its_entry_and_message(any_db: str) -> None:
    # On PostgreSQL one statement writes all four; on SQLite they are steps. Either way the
    # rows read back through the ORM are these, and the tier window counts the entry once.
    member = (await register_member("09121234567", now=NOW)).member
    earlier = await earning.award_purchase(
        member.id, 300_000, receipt="r1", now=NOW - timedelta(days=1)
    )
    branch = await default_branch()
    expires = NOW + timedelta(days=365)
    message = {
        **notify.message_values(member.id, "points_earned", now=NOW, params={"points": 20}),
        "key": "earned:",
    }
    async with in_transaction():
        written = await ledger.post_purchase(
            _purchase(member.id, branch.id, "r2", 20),
            expires_at=expires,
            tier_window=tiers.window(member.id, NOW, 365),
            message=message,
        )
    assert earlier.points == 30
    assert (
        written.qualifying == 50 == await tiers.qualifying_points(member.id, NOW, window_days=365)
    )
    assert written.balance == earlier.balance + 20 == await ledger.ledger_sum(member.id)
    assert written.tier_id == earlier.tier.id
    purchase = await Purchase.get(id=written.purchase.id)
    assert (purchase.receipt, purchase.points, purchase.member_id, purchase.created_at) == (
        "r2",
        20,
        member.id,
        NOW,
    )
    entry = await LedgerEntry.get(id=written.entry_id)
    assert (entry.purchase_id, entry.idempotency_key) == (purchase.id, f"purchase:{purchase.id}")
    assert (
        entry.kind,
        entry.amount,
        entry.reason,
        entry.branch_id,
        entry.expires_at,
        entry.note,
    ) == (EntryKind.EARN, 20, "purchase", branch.id, expires, "")
    sent = await OutboxMessage.get(id=written.message_id)
    assert (sent.key, sent.params) == (
        f"earned:{purchase.id}",
        {"points": 20, "balance": written.balance},
    )
    assert (sent.template, sent.status, sent.attempts, sent.next_attempt_at) == (
        "points_earned",
        OutboxStatus.PENDING,
        0,
        NOW,
    )
    assert (await Member.get(id=member.id)).last_purchase_at == NOW


async def test_a_purchase_without_points_or_message_writes_only_the_purchase(any_db: str) -> None:
    member = (await register_member("09121234567", now=NOW)).member
    branch = await default_branch()
    entries, messages = await LedgerEntry.all().count(), await OutboxMessage.all().count()
    async with in_transaction():
        written = await ledger.post_purchase(
            _purchase(member.id, branch.id, "r0", 0),
            expires_at=None,
            tier_window=tiers.window(member.id, NOW, 365),
            message=None,
        )
    assert (written.entry_id, written.message_id, written.qualifying) == (None, None, 0)
    assert written.balance == member.balance == await ledger.balance_of(member.id)
    assert (await LedgerEntry.all().count(), await OutboxMessage.all().count()) == (
        entries,
        messages,
    )
    assert await Purchase.exists(id=written.purchase.id, receipt="r0")
    assert (await Member.get(id=member.id)).last_purchase_at == NOW


async def test_a_refused_debit_leaves_neither_entry_nor_balance(any_db: str) -> None:
    member = (await register_member("09121234567", now=NOW)).member
    with pytest.raises(LoyaltyError) as refused:
        async with in_transaction():
            await ledger.post(
                member.id,
                EntryKind.REDEEM,
                -(member.balance + 1),
                "x",
                "too-much",
                now=NOW,
                require_funds=True,
            )
    assert (refused.value.code, refused.value.values) == (
        ErrorCode.NOT_ENOUGH_POINTS,
        {"balance": member.balance, "needed": member.balance + 1},
    )
    assert not await LedgerEntry.exists(idempotency_key="too-much")
    assert (
        await ledger.balance_of(member.id) == member.balance == await ledger.ledger_sum(member.id)
    )


@pytest.mark.parametrize(
    "insert",
    [ledger_sql.insert_purchase, ledger_sql.insert_entry, outbox_sql.insert, audit_sql.insert],
    ids=lambda insert: insert.model.__name__,
)
async def test_parameters_without_an_instance_are_the_instances(
    db: str, insert: sql.Insert
) -> None:
    # The least each model needs: the constructor's defaults fill the rest.
    least = {
        "Purchase": {
            "branch_id": 1,
            "receipt": "r",
            "member_id": 2,
            "amount": 100,
            "points": 1,
            "created_at": NOW,
        },
        "LedgerEntry": {
            "member_id": 2,
            "kind": "earn",
            "amount": 5,
            "reason": "x",
            "idempotency_key": "k",
            "created_at": NOW,
            "expires_at": NOW + timedelta(days=1),
        },
        "OutboxMessage": {
            "key": "k",
            "member_id": 2,
            "template": "t",
            "params": {"a": "«ب»"},
            "next_attempt_at": NOW,
            "created_at": NOW,
        },
        "AuditEntry": {"action": "a", "created_at": NOW},
    }[insert.model.__name__]
    assert insert.parameters(least) == insert._build(least)[1]
    required = next(name for name, value in least.items() if isinstance(value, str))
    with pytest.raises(ValueError):
        insert.parameters({**least, required: None})


def test_placeholders_are_numbered_for_postgresql() -> None:
    statement = sql.Statement(
        Member, "UPDATE member SET balance = balance + ? WHERE id = ? AND balance >= ?"
    )

    class Client:
        class capabilities:
            dialect = "postgres"

    assert (
        statement._sql(Client())
        == "UPDATE member SET balance = balance + $1 WHERE id = $2 AND balance >= $3"
    )  # type: ignore[arg-type]
    locked = sql.Statement(Member, "SELECT * FROM member WHERE id = ?", locking=True)
    assert locked._sql(Client()) == "SELECT * FROM member WHERE id = $1 FOR UPDATE"  # type: ignore[arg-type]
    Client.capabilities.dialect = "sqlite"
    assert locked._sql(Client()) == "SELECT * FROM member WHERE id = ?"  # type: ignore[arg-type]


async def test_a_history_page_and_the_number_of_pages_come_in_one_statement(any_db: str) -> None:
    m = (await register_member("09121234567", now=NOW)).member  # the sign-up bonus: entry 1
    for n in range(11):  # entries 2 to 12, a minute apart
        await earning.award_purchase(
            m.id, 10_000 * (n + 1), receipt=f"R{n}", now=NOW + timedelta(minutes=n + 1)
        )
    first = await ledger.history_page(m.id, 0, 5)
    assert (first.page, first.pages) == (0, 3)
    assert [e.amount for e in first.entries] == [11, 10, 9, 8, 7]
    last = await ledger.history_page(m.id, 2, 5)
    assert [e.amount for e in last.entries] == [1, 20]  # the first purchase and the sign-up bonus
    assert await ledger.history_page(m.id, 9, 5) == last  # a page past the end: the last one
    assert (await ledger.history_page(m.id + 1, 0, 5)) == ledger.HistoryPage([], 0, 1)
