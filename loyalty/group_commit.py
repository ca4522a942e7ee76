"""Group commit: on SQLite, concurrent purchases share one transaction and its one fsync.

SQLite runs one write transaction at a time, so concurrent purchases queue for it anyway,
and each pays for its own BEGIN, COMMIT and the fsync of that commit (BENCHMARKS.md,
"Group commit on SQLite"). Here they queue for a committer, which runs the waiting ones one
after another in one transaction, each in its own SAVEPOINT, and commits once:

- a purchase that fails (a repeated receipt, an unknown member) rolls back to its
  savepoint alone and its caller gets its own exception, as if it had run alone;
- every caller is answered only after the COMMIT of its batch, so nothing acknowledged
  can be lost; if the COMMIT fails, every caller of the batch gets that error and
  nothing of the batch is stored;
- a later purchase in the batch sees the rows of the earlier ones, so a receipt repeated
  in one batch breaks the unique index as it would in the next.

PostgreSQL is left alone: its transactions run in parallel over the pool, and a batch
would hold the row locks of all its members until its commit.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from tortoise.backends.base.client import BaseDBAsyncClient, TransactionalDBClient
from tortoise.transactions import in_transaction

from models import LedgerEntry
from models.statements import one_writer

T = TypeVar("T")

# Bounds how long one batch holds the database from other writers (tens of milliseconds).
BATCH_LIMIT = 50

Action = Callable[[], Awaitable[Any]]


class Committer:
    """The queue of one database connection and the task that commits it, batch by batch."""

    def __init__(self) -> None:
        self._waiting: list[tuple[Action, asyncio.Future[Any]]] = []
        self._task: asyncio.Task[None] | None = None

    async def run(self, action: Callable[[], Awaitable[T]]) -> T:
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._waiting.append((action, future))
        if self._task is None:
            self._task = asyncio.create_task(self._commit_all())
        return await future

    async def _commit_all(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting[:BATCH_LIMIT], self._waiting[BATCH_LIMIT:]
                await self._commit(batch)
        finally:
            self._task = None
            waiting, self._waiting = self._waiting, []
            for _, future in waiting:  # only when cancelled: the callers cannot be served
                future.cancel()

    async def _commit(self, batch: list[tuple[Action, asyncio.Future[Any]]]) -> None:
        outcomes: list[tuple[asyncio.Future[Any], Any, BaseException | None]] = []
        try:
            async with in_transaction() as transaction:
                for action, future in batch:
                    if future.cancelled():
                        continue  # its caller has gone: it was told nothing, so nothing is done
                    try:
                        async with in_transaction():  # a SAVEPOINT
                            outcomes.append((future, await action(), None))
                    except Exception as error:
                        if not transaction._connection.in_transaction:  # type: ignore[attr-defined]
                            raise  # SQLite ended the whole transaction: the batch fails
                        outcomes.append((future, None, error))
        except BaseException as error:
            for _, future in batch:
                if future.done():
                    continue
                if isinstance(error, Exception):
                    future.set_exception(error)
                else:  # the committer itself is cancelled (shutdown): so are its callers
                    future.cancel()
            if not isinstance(error, Exception):
                raise
            return
        for future, result, error in outcomes:
            if future.done():
                continue
            if error is None:
                future.set_result(result)
            else:
                future.set_exception(error)


_committers: weakref.WeakKeyDictionary[BaseDBAsyncClient, Committer] = weakref.WeakKeyDictionary()


async def run_in_transaction(action: Callable[[], Awaitable[T]]) -> T:
    """Run `action` in a transaction: a batch's on SQLite, its own otherwise.

    A caller already inside a transaction keeps it: the action joins it, as with
    `in_transaction()`.
    """
    connection = LedgerEntry._meta.db
    if not one_writer(connection) or isinstance(connection, TransactionalDBClient):
        async with in_transaction():
            return await action()
    committer = _committers.get(connection)
    if committer is None:
        committer = _committers[connection] = Committer()
    return await committer.run(action)
