"""Tortoise's SQLite client, with each statement run on the event loop's own thread.

aiosqlite runs every call in a thread of its own and hands the result back through the
event loop. For the club's statements, which take SQLite tens of microseconds, that hand
-over cost more than the statement: the thread's wake-ups and its fight for the GIL, and,
above all, the wait of the statement's task for its turn on a busy event loop while it
holds Tortoise's one SQLite connection lock, so that every other update waited too, and
`club run` stood idle while its updates queued for that lock (BENCHMARKS.md, "The SQLite
engine on the event loop, yielding").

With the `sqlite_inline` patch a statement runs at once, where it is awaited. The price
is that the event loop waits for the database: for the fsync of each commit (a fraction
of a millisecond), and for a long statement (a report over a very large club) as long as
it runs. With the thread it waited as well, for the connection lock, since almost every
update reads the database; a club that outgrows this runs on PostgreSQL (README,
"Running a large club").

Another process writing at the same time (`club earn` or `club import` while `club run`
holds the database) must wait its turn, not fail. SQLite's busy_timeout makes a statement
wait for the write lock, but not a transaction that has read before it writes: if another
connection committed meanwhile, its snapshot is stale and SQLite refuses the write at once
("database is locked", whatever the timeout). So a transaction here takes the write lock
when it begins (BEGIN IMMEDIATE), where busy_timeout applies; and a BEGIN or a single
statement that is still refused after busy_timeout, having done nothing, is tried again a
few times with backoff (`LOCK_RETRIES`) before the error reaches the caller.

Tortoise finds this module by its `engine` name (bot/db.py); everything but the
connection and the start of a transaction is Tortoise's own SQLite client.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Generator
from datetime import UTC, datetime
from typing import Any

import aiosqlite
from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
    wait_random,
)
from tortoise.backends.base.client import TransactionalDBClient, TransactionContext
from tortoise.backends.sqlite.client import (
    SqliteClient,
    SqliteTransactionContext,
    SqliteTransactionWrapper,
)
from tortoise.connection import get_connections
from tortoise.exceptions import OperationalError

BEGIN = "BEGIN IMMEDIATE"
LOCK_RETRIES = 5  # after the first refusal; each attempt waits busy_timeout for the lock
# Single statements, which did nothing when refused outside a transaction. A script or an
# executemany may have committed part of its work: it is not run again.
_REPEATABLE = frozenset({"execute", "_execute_insert", "_execute_fetchall"})


def _utc_text(value: datetime) -> str:
    """A time as SQLite stores it: text, in UTC.

    SQLite compares times as text, so a time in another zone ("12:00+03:30") would sort
    after an earlier UTC one ("09:00+00:00"). Tortoise turns the times of a new row into
    UTC, but not those of a filter or an update: they are turned here, where every
    parameter reaches SQLite.
    """
    if value.tzinfo is not None and value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.isoformat(" ")


def is_busy(error: BaseException) -> bool:
    """SQLite's "database is locked", raw or as Tortoise wraps it."""
    cause = error.args[0] if isinstance(error, OperationalError) and error.args else error
    if not isinstance(cause, sqlite3.OperationalError):
        return False
    return cause.sqlite_errorcode & 0xFF == sqlite3.SQLITE_BUSY  # SQLITE_BUSY_SNAPSHOT too


class ClubConnection(aiosqlite.Connection):
    """aiosqlite's connection, with a single statement refused as busy tried again; with the
    `sqlite_inline` patch (bot/patches.py), run where it is awaited, without its thread.

    aiosqlite sends every call through `_execute` (its cursors too): the retry is there,
    and, inline, the call of the function itself. The thread aiosqlite creates is then
    never started.

    Awaiting a statement that runs at once does not give the event loop a turn, so a job
    that runs many statements in a row (the tier review of a large club moving thousands
    of members, an import) would hold the loop for all of them: no member answered, and a
    SIGTERM not acted on, until the last of them. So inline, after `yield_after` seconds
    without one, a statement gives the loop a turn, as every statement did when it went
    through aiosqlite's thread.
    """

    inline = False  # set by the `sqlite_inline` patch
    yield_after = 0.02
    _turn = 0.0  # when a statement last gave the loop a turn

    def __await__(self) -> Generator[Any, None, ClubConnection]:
        if not self.inline:
            return super().__await__()  # type: ignore[return-value]
        return self._connect_inline().__await__()

    async def _connect_inline(self) -> ClubConnection:
        if self._connection is None:
            self._connection = self._connector()
        return self

    async def _call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if self.inline:
            return fn(*args, **kwargs)
        return await super()._execute(fn, *args, **kwargs)

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._running or self._connection is None:
            raise ValueError("Connection closed")
        idle = not self._connection.in_transaction
        try:
            result = await self._call(fn, *args, **kwargs)
        except sqlite3.OperationalError as error:
            if not (idle and is_busy(error) and getattr(fn, "__name__", "") in _REPEATABLE):
                raise
            result = await self._when_free(fn, *args, **kwargs)
        # Never within a transaction's start (a commit, then a BEGIN): a task cancelled there
        # would leave the transaction open. Anywhere else a cancellation is the statement's
        # own error, and the transaction is rolled back and its lock released.
        if self.inline and fn != self._conn.commit and args[:1] not in (("BEGIN",), (BEGIN,)):
            now = time.monotonic()
            if now - self._turn >= self.yield_after:
                self._turn = now
                await asyncio.sleep(0)
        return result

    async def _when_free(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """`fn` again after a pause, growing while SQLite still answers SQLITE_BUSY."""
        retrying = AsyncRetrying(
            wait=wait_exponential(multiplier=0.1, max=2.0) + wait_random(0, 0.1),
            stop=stop_after_attempt(LOCK_RETRIES),
            retry=retry_if_exception(is_busy),
            reraise=True,
        )
        await asyncio.sleep(0.1)  # the first pause; tenacity's come between the attempts
        async for attempt in retrying:
            with attempt:
                return await self._call(fn, *args, **kwargs)
        raise AssertionError("unreachable: tenacity reraises the last error")

    def stop(self) -> asyncio.Future[Any] | None:
        if not self.inline:
            return super().stop()
        self._running = False
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        return None


class ImmediateTransaction(SqliteTransactionWrapper):
    async def begin(self) -> None:
        await self._connection.commit()  # as Tortoise's: ends what a failed statement left open
        try:
            await self._connection.execute(BEGIN)
        except sqlite3.OperationalError as error:
            raise OperationalError(error) from error


class ImmediateTransactionContext(SqliteTransactionContext):
    """Tortoise's, except that a BEGIN that fails (the lock stayed busy) releases the
    connection's lock: Tortoise's would keep it, and every later transaction would wait
    for it forever."""

    async def __aenter__(self) -> TransactionalDBClient:
        await self._trxlock.acquire()
        try:
            await self.ensure_connection()
            self.token = get_connections().set(self.connection_name, self.connection)
            try:
                await self.connection.begin()
            except BaseException:
                get_connections().reset(self.token)
                raise
        except BaseException:
            self._trxlock.release()
            raise
        return self.connection


class ClubSqliteClient(SqliteClient):
    def _in_transaction(self) -> TransactionContext:
        return ImmediateTransactionContext(ImmediateTransaction(self), self._lock)

    async def create_connection(self, with_db: bool) -> None:
        if self._connection:
            return
        # Replaces Tortoise's adapter (registered when its SQLite client was imported).
        sqlite3.register_adapter(datetime, _utc_text)
        filename = self.filename
        self._connection = await ClubConnection(
            lambda: sqlite3.connect(filename, isolation_level=None), iter_chunk_size=64
        )
        self._connection._conn.row_factory = sqlite3.Row
        for pragma, value in self.pragmas.items():
            cursor = await self._connection.execute(f"PRAGMA {pragma}={value}")
            await cursor.close()
        await self._post_connect()


client_class = ClubSqliteClient
