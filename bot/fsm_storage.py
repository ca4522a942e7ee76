"""FSM storage in the club's own database, so dialogs survive a restart without Redis."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any, NamedTuple

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, KeyBuilder, StorageKey
from tortoise.transactions import in_transaction

from models import FsmRecord
from models.statements import Statement

log = logging.getLogger("club.fsm")

# Hand-written like the purchase path's (models/statements.py): every update reads and
# writes these rows, and the ORM's query building cost more than the statements.
_read = Statement(FsmRecord, 'SELECT state, data FROM fsm_record WHERE "key" = ?')
_write = Statement(FsmRecord, """
    INSERT INTO fsm_record ("key", state, data) VALUES (?, ?, ?)
    ON CONFLICT ("key") DO UPDATE SET state = excluded.state, data = excluded.data""")
_delete = Statement(FsmRecord, 'DELETE FROM fsm_record WHERE "key" = ?')

# The stack, the open contexts and aiogram's own state: about four keys per member in a
# dialog, a few hundred bytes each. 50,000 keys keep 12,000 members' dialogs (~30 MB); a
# member beyond that costs a read of the database, not a wrong answer.
CACHE_SIZE = 50_000
# How long a change waits for others to share its transaction (and its one fsync).
FLUSH_DELAY = 0.05
RETRY_DELAY = 1.0


class _Row(NamedTuple):
    state: str | None
    data: str  # JSON text: a caller gets its own copy of the data on every read


_EMPTY = _Row(None, "{}")  # what a key without a row reads as


class TortoiseStorage(BaseStorage):
    """State and data per key in the `fsm_record` table; data must be JSON, as with Redis.

    Reads are served from a copy of the rows this process last read or wrote (the most
    recently used `cache_size` keys): without Redis the bot runs as one process (more
    workers are refused, bot/workers.py), so no one else changes these rows meanwhile.

    Writes are kept and written together, every change of the last `flush_delay` seconds
    in one transaction: aiogram-dialog saves two rows after every update, and writing
    each in its own transaction was a third of the database's work for a button press.
    `close()` writes what is left, so a restart keeps every dialog; a crash loses at most
    the last `flush_delay` seconds of dialog steps, never a point (the ledger does not
    live here), and a member pressing a button of a lost step gets a fresh menu.
    A row back to no state and no data is deleted: aiogram-dialog empties the context of
    every dialog it closes, and a member opens thousands over the years.
    """

    def __init__(self, key_builder: KeyBuilder | None = None, *, cache_size: int = CACHE_SIZE,
                 flush_delay: float = FLUSH_DELAY) -> None:
        self.key_builder = key_builder or DefaultKeyBuilder(with_destiny=True)
        self.cache_size = cache_size
        self.flush_delay = flush_delay
        self._rows: OrderedDict[str, _Row] = OrderedDict()
        self._dirty: dict[str, _Row] = {}  # changed, not yet being written
        self._writing: dict[str, _Row] = {}  # in the transaction being written now
        self._flusher: asyncio.Task[None] | None = None
        self._closed = False

    async def _row(self, name: str) -> _Row:
        row = self._dirty.get(name) or self._writing.get(name) or self._rows.get(name)
        if row is not None:
            self._remember(name, row)
            return row
        found = await _read.rows(name)
        row = _Row(found[0]["state"], found[0]["data"]) if found else _EMPTY
        # A change made while this read waited is newer: keep it.
        return self._dirty.get(name) or self._writing.get(name) or self._remember(name, row, replace=False)

    def _remember(self, name: str, row: _Row, *, replace: bool = True) -> _Row:
        if not replace and name in self._rows:
            return self._rows[name]
        self._rows[name] = row
        self._rows.move_to_end(name)
        if len(self._rows) > self.cache_size:
            self._rows.popitem(last=False)
        return row

    async def _change(self, name: str, row: _Row) -> None:
        if await self._row(name) == row:
            return  # aiogram-dialog saves the stack and the context after every update, changed or not
        if row == _EMPTY:
            self._rows.pop(name, None)  # a closed dialog's context: read no more, keep no copy
        else:
            self._remember(name, row)
        self._dirty[name] = row
        self._schedule(self.flush_delay)

    def _schedule(self, delay: float) -> None:
        if self._flusher is None and not self._closed:
            self._flusher = asyncio.get_running_loop().create_task(self._flush_after(delay))

    async def _flush_after(self, delay: float) -> None:
        retry = False
        try:
            await asyncio.sleep(delay)
            await self.flush()
        except Exception:
            log.exception("dialog state not saved yet; trying again in %.0f s", RETRY_DELAY)
            retry = True
        finally:
            self._flusher = None
        if self._dirty:
            self._schedule(RETRY_DELAY if retry else self.flush_delay)

    async def flush(self) -> None:
        """Write every change not written yet, in one transaction."""
        while self._dirty and not self._writing:
            self._writing, self._dirty = self._dirty, {}
            try:
                async with in_transaction():
                    for name, row in self._writing.items():
                        if row == _EMPTY:
                            await _delete.rows(name)
                        else:
                            await _write.rows(name, row.state, row.data)
            except BaseException:
                # Not written: keep each row for the next try, unless changed again since.
                self._dirty = {**self._writing, **self._dirty}
                raise
            finally:
                self._writing = {}

    async def set_state(self, key: StorageKey, state: str | State | None = None) -> None:
        value = state.state if isinstance(state, State) else state
        name = self.key_builder.build(key)
        await self._change(name, (await self._row(name))._replace(state=value))

    async def get_state(self, key: StorageKey) -> str | None:
        return (await self._row(self.key_builder.build(key))).state

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        name = self.key_builder.build(key)
        text = json.dumps(dict(data), ensure_ascii=False)
        await self._change(name, (await self._row(name))._replace(data=text))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        return json.loads((await self._row(self.key_builder.build(key))).data)

    async def close(self) -> None:
        """Write what is left. The database connection belongs to the application."""
        self._closed = True
        flusher = self._flusher
        if flusher is not None:
            if not self._writing:
                flusher.cancel()  # still waiting: nothing half-written to interrupt
            with contextlib.suppress(asyncio.CancelledError):
                await flusher
        await self.flush()
