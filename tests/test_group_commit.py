"""Group commit on SQLite: concurrent purchases share a commit and keep every guarantee."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from tortoise import Tortoise
from tortoise.backends.sqlite.client import SqliteTransactionWrapper
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from loyalty import earning, group_commit, ledger
from loyalty.errors import ErrorCode
from models import LedgerEntry, Member, OutboxMessage, Purchase
from tests.conftest import NOW
from tests.helpers import member, set_rules
from tests.waiting import DEADLINE


@asynccontextmanager
async def statements() -> AsyncIterator[list[str]]:
    """The SQL the SQLite connection runs meanwhile."""
    seen: list[str] = []
    connection = Tortoise.get_connection("default")._connection  # type: ignore[attr-defined]
    await connection.set_trace_callback(seen.append)
    try:
        yield seen
    finally:
        await connection.set_trace_callback(None)


def commits(seen: list[str]) -> int:
    return sum(text.strip().upper() == "COMMIT" for text in seen)


async def test_concurrent_purchases_share_one_commit(db: str) -> None:
    crowd = [await member(NOW) for _ in range(10)]
    async with statements() as seen:
        results = await asyncio.gather(
            *(earning.award_purchase(m.id, 100_000, receipt=f"R{m.id}", now=NOW) for m in crowd)
        )
    assert commits(seen) == 1
    assert [r.balance for r in results] == [30] * 10
    for m in crowd:
        assert (await Member.get(id=m.id)).balance == await ledger.ledger_sum(m.id) == 30


async def test_a_refused_purchase_rolls_back_alone(db: str) -> None:
    await set_rules(min_purchase=50_000)
    crowd = [await member(NOW) for _ in range(4)]
    gone = crowd[3]
    await Member.filter(id=gone.id).update(deleted_at=NOW)
    async with statements() as seen:
        results = await asyncio.gather(
            earning.award_purchase(crowd[0].id, 100_000, receipt="ok-1", now=NOW),
            earning.award_purchase(crowd[1].id, 10_000, receipt="too-small", now=NOW),
            earning.award_purchase(999_999, 100_000, receipt="nobody", now=NOW),
            earning.award_purchase(gone.id, 100_000, receipt="gone", now=NOW),
            earning.award_purchase(crowd[2].id, 200_000, receipt="ok-2", now=NOW),
            return_exceptions=True,
        )
    assert commits(seen) == 1  # all in one batch
    assert [r.points if not isinstance(r, BaseException) else r.code for r in results] == [  # type: ignore[union-attr]
        10,
        ErrorCode.BELOW_MINIMUM,
        ErrorCode.MEMBER_NOT_FOUND,
        ErrorCode.MEMBER_NOT_FOUND,
        20,
    ]
    assert sorted(await Purchase.all().values_list("receipt", flat=True)) == ["ok-1", "ok-2"]
    assert [(await Member.get(id=m.id)).balance for m in crowd] == [30, 20, 40, 20]
    assert await OutboxMessage.filter(template="points_earned").count() == 2


async def test_a_purchase_failing_after_its_first_writes_leaves_none_of_them(db: str) -> None:
    crowd = [await member(NOW) for _ in range(2)]
    # The second purchase's notification key is taken: it fails after writing its purchase,
    # its ledger row and its balance.
    await OutboxMessage.create(
        key="earned:2", member_id=crowd[0].id, template="x", next_attempt_at=NOW, created_at=NOW
    )
    async with statements() as seen:
        results = await asyncio.gather(
            *(
                earning.award_purchase(m.id, 100_000, receipt=f"R{n}", now=NOW)
                for n, m in enumerate(crowd)
            ),
            return_exceptions=True,
        )
    assert commits(seen) == 1
    assert isinstance(results[1], IntegrityError)
    assert results[0].balance == 30  # type: ignore[union-attr]
    assert await Purchase.all().values_list("receipt", flat=True) == ["R0"]
    assert (await Member.get(id=crowd[1].id)).balance == await ledger.ledger_sum(crowd[1].id) == 20


async def test_a_receipt_repeated_in_a_batch_and_in_the_next_awards_once(db: str) -> None:
    m = await member(NOW)
    first = await asyncio.gather(
        *(earning.award_purchase(m.id, 100_000, receipt="R1", now=NOW) for _ in range(3))
    )
    later = await earning.award_purchase(m.id, 100_000, receipt="R1", now=NOW)
    assert [r.replayed for r in first] == [False, True, True] and later.replayed
    assert {r.purchase.id for r in [*first, later]} == {first[0].purchase.id}
    assert {r.balance for r in [*first, later]} == {30}
    assert await LedgerEntry.filter(member_id=m.id, reason="purchase").count() == 1


async def test_nobody_is_answered_before_the_commit_and_a_failed_commit_fails_all(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    crowd = [await member(NOW) for _ in range(3)]
    real_commit = SqliteTransactionWrapper.commit
    answered_before_commit: list[bool] = []
    calls: list[Any] = []

    async def failing_commit(self: SqliteTransactionWrapper) -> None:
        answered_before_commit.append(any(call.done() for call in calls))
        monkeypatch.setattr(SqliteTransactionWrapper, "commit", real_commit)
        await self._connection.rollback()  # what SQLite does when a COMMIT fails for good
        self._finalized = True
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(SqliteTransactionWrapper, "commit", failing_commit)
    calls.extend(
        asyncio.ensure_future(earning.award_purchase(m.id, 100_000, receipt=f"R{m.id}", now=NOW))
        for m in crowd
    )
    results = await asyncio.gather(*calls, return_exceptions=True)
    assert answered_before_commit == [False]
    assert all(isinstance(r, sqlite3.OperationalError) for r in results)
    assert await Purchase.all().count() == 0
    assert [(await Member.get(id=m.id)).balance for m in crowd] == [20, 20, 20]
    # Sent again, as a cashier would: recorded once each.
    again = await asyncio.gather(
        *(earning.award_purchase(m.id, 100_000, receipt=f"R{m.id}", now=NOW) for m in crowd)
    )
    assert [r.balance for r in again] == [30, 30, 30] and not any(r.replayed for r in again)


async def test_a_purchase_inside_a_callers_transaction_joins_it(db: str) -> None:
    m = await member(NOW)
    with pytest.raises(RuntimeError):
        async with in_transaction():
            result = await earning.award_purchase(m.id, 100_000, receipt="R1", now=NOW)
            assert result.balance == 30
            raise RuntimeError("the caller gives up")
    assert await Purchase.all().count() == 0
    assert (await Member.get(id=m.id)).balance == 20


async def test_a_committer_stopped_mid_batch_answers_every_caller_and_stores_nothing(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    crowd = [await member(NOW) for _ in range(3)]
    inside = asyncio.Event()
    real_config = earning.club_config

    async def held(token: str | None) -> Any:
        inside.set()
        await asyncio.Event().wait()  # the committer stops here, in the middle of a purchase

    monkeypatch.setattr(earning, "club_config", held)
    calls = [
        asyncio.ensure_future(
            earning.award_purchase(crowd[n % 3].id, 100_000, receipt=f"R{n}", now=NOW)
        )
        for n in range(group_commit.BATCH_LIMIT + 10)  # a full batch and some waiting for the next
    ]
    await inside.wait()
    committer = group_commit._committers[Tortoise.get_connection("default")]
    assert committer._task is not None
    committer._task.cancel()  # as at shut-down
    results = await asyncio.wait_for(asyncio.gather(*calls, return_exceptions=True), DEADLINE)
    assert all(isinstance(r, asyncio.CancelledError) for r in results)
    monkeypatch.setattr(earning, "club_config", real_config)
    assert await Purchase.all().count() == 0
    assert (
        await earning.award_purchase(crowd[0].id, 100_000, receipt="after", now=NOW)
    ).balance == 30
