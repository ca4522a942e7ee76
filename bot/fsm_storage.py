"""FSM storage in the club's own database, so dialogs survive a restart without Redis."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any, Final, NamedTuple

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, KeyBuilder, StorageKey
from tortoise.transactions import in_transaction

from models import FsmRecord
from models.statements import Statement

log = logging.getLogger("club.fsm")


class _Unread:
    """A field of a row this process wrote without reading: the database holds its value."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "UNREAD"


UNREAD: Final = _Unread()

# Hand-written like the purchase path's (models/statements.py): every update reads and
# writes these rows, and the ORM's query building cost more than the statements.
_read = Statement(FsmRecord, 'SELECT state, data FROM fsm_record WHERE "key" = ?')
# One statement per set of known fields: a field not known is left as the row has it.
_write_both = Statement(
    FsmRecord,
    """
    INSERT INTO fsm_record ("key", state, data) VALUES (?, ?, ?)
    ON CONFLICT ("key") DO UPDATE SET state = excluded.state, data = excluded.data""",
)
_write_data = Statement(
    FsmRecord,
    """
    INSERT INTO fsm_record ("key", state, data) VALUES (?, NULL, ?)
    ON CONFLICT ("key") DO UPDATE SET data = excluded.data""",
)
_write_state = Statement(
    FsmRecord,
    """
    INSERT INTO fsm_record ("key", state, data) VALUES (?, ?, '{}')
    ON CONFLICT ("key") DO UPDATE SET state = excluded.state""",
)
_delete_if_empty = Statement(
    FsmRecord,
    """
    DELETE FROM fsm_record WHERE "key" = ? AND state IS NULL AND data = '{}'""",
)

# The stack, the open contexts and aiogram's own state: about four keys per member in a
# dialog, a few hundred bytes each. 50,000 keys keep 12,000 members' dialogs (~30 MB); a
# member beyond that costs a read of the database, not a wrong answer.
CACHE_SIZE = 50_000
# How long a change waits for others to share its transaction (and its one fsync).
FLUSH_DELAY = 0.05
RETRY_DELAY = 1.0


class _Row(NamedTuple):
    state: str | None | _Unread
    data: str | _Unread  # JSON text: a caller gets its own copy of the data on every read

    def complete(self) -> bool:
        return self.state is not UNREAD and self.data is not UNREAD

    def maybe_empty(self) -> bool:
        """No state and no data, as far as this process knows."""
        return self.state in (None, UNREAD) and self.data in ("{}", UNREAD)

    def filled_from(self, stored: _Row) -> _Row:
        return _Row(
            stored.state if self.state is UNREAD else self.state,
            stored.data if self.data is UNREAD else self.data,
        )


_EMPTY = _Row(None, "{}")  # what a key without a row reads as
_BLANK = _Row(UNREAD, UNREAD)  # a key this process knows nothing of


class TortoiseStorage(BaseStorage):
    """State and data per key in the `fsm_record` table; data must be JSON, as with Redis.

    Reads are served from a copy of the rows this process last read or wrote (the most
    recently used `cache_size` keys): without Redis the bot runs as one process (more
    workers are refused, bot/workers.py), so no one else changes these rows meanwhile.

    A change does not read the row first: aiogram-dialog writes the context of every
    dialog it opens under a new random key, and reading that key, to learn it had no row,
    was a round trip to the database for every button that opens a dialog. The change
    writes the field it knows and leaves the other as the row has it; that field is read
    only if someone asks for it.

    Writes are kept and written together, every change of the last `flush_delay` seconds
    in one transaction: aiogram-dialog saves two rows after every update, and writing
    each in its own transaction cost a commit (on SQLite an fsync) apiece.
    `close()` writes what is left, so a restart keeps every dialog; a crash loses at most
    the last `flush_delay` seconds of dialog steps, never a point (the ledger does not
    live here). The "handled" marks of the updates that made those steps ride in the same
    transaction (`write_along`), so those updates are handled again at the next start.
    A row back to no state and no data is deleted: aiogram-dialog empties the context of
    every dialog it closes, and a member opens thousands over the years.
    """

    def __init__(
        self,
        key_builder: KeyBuilder | None = None,
        *,
        cache_size: int = CACHE_SIZE,
        flush_delay: float = FLUSH_DELAY,
    ) -> None:
        self.key_builder = key_builder or DefaultKeyBuilder(with_destiny=True)
        self.cache_size = cache_size
        self.flush_delay = flush_delay
        self._rows: OrderedDict[str, _Row] = OrderedDict()
        self._dirty: dict[str, _Row] = {}  # changed, not yet being written
        self._writing: dict[str, _Row] = {}  # in the transaction being written now
        self._along: list[tuple[Statement, list[Any]]] = []  # other rows for the next transaction
        self._flushing = False
        self._flusher: asyncio.Task[None] | None = None
        self._closed = False

    def _known(self, name: str) -> _Row:
        """What this process knows of the row, newest first; nothing known is `_BLANK`."""
        return self._dirty.get(name) or self._writing.get(name) or self._rows.get(name) or _BLANK

    async def _complete(self, name: str) -> _Row:
        row = self._known(name)
        if row.complete():
            self._remember(name, row)
            return row
        found = await _read.rows(name)
        stored = _Row(found[0]["state"], found[0]["data"]) if found else _EMPTY
        # A change made while this read waited is newer than the row read: it wins.
        row = self._known(name).filled_from(stored)
        if name in self._dirty:
            self._dirty[name] = row
        return self._remember(name, row)

    def _remember(self, name: str, row: _Row) -> _Row:
        self._rows[name] = row
        self._rows.move_to_end(name)
        if len(self._rows) > self.cache_size:
            self._rows.popitem(last=False)
        return row

    def _change(self, name: str, row: _Row) -> None:
        if self._known(name) == row:
            # aiogram-dialog saves the stack and the context after every update, changed or not.
            return
        if row.maybe_empty():
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
        if self._dirty or self._along:
            self._schedule(RETRY_DELAY if retry else self.flush_delay)

    def write_along(self, statement: Statement, params: list[Any]) -> None:
        """Run `statement` in the transaction that writes the dialog state changed so far.

        A Telegram update's "handled" mark goes this way (bot/updates.py): a crash then
        keeps both the mark and the state the update left, or neither.
        """
        self._along.append((statement, params))
        self._schedule(self.flush_delay)

    async def flush(self) -> None:
        """Write every change not written yet, in one transaction."""
        while (self._dirty or self._along) and not self._flushing:
            self._flushing = True
            self._writing, self._dirty = self._dirty, {}
            along, self._along = self._along, []
            both, data, state, emptied = [], [], [], []
            for name, row in self._writing.items():
                if row.state is UNREAD:
                    data.append([name, row.data])
                elif row.data is UNREAD:
                    state.append([name, row.state])
                else:
                    both.append([name, row.state, row.data])
                if row.maybe_empty():
                    emptied.append([name])
            try:
                async with in_transaction():
                    for statement, params in (
                        (_write_both, both),
                        (_write_data, data),
                        (_write_state, state),
                        (_delete_if_empty, emptied),
                        *_grouped(along),
                    ):
                        if params:
                            await statement.many(params)
            except BaseException:
                # Not written: keep each row for the next try, unless changed again since.
                self._dirty = {**self._writing, **self._dirty}
                self._along = along + self._along
                raise
            finally:
                self._writing = {}
                self._flushing = False

    async def _field(self, name: str, field: str) -> Any:
        row = self._known(name)
        if getattr(row, field) is UNREAD:
            row = await self._complete(name)
        else:
            self._remember(name, row)
        return getattr(row, field)

    async def set_state(self, key: StorageKey, state: str | State | None = None) -> None:
        value = state.state if isinstance(state, State) else state
        name = self.key_builder.build(key)
        self._change(name, self._known(name)._replace(state=value))

    async def get_state(self, key: StorageKey) -> str | None:
        return await self._field(self.key_builder.build(key), "state")

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        name = self.key_builder.build(key)
        text = json.dumps(dict(data), ensure_ascii=False)
        self._change(name, self._known(name)._replace(data=text))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        return json.loads(await self._field(self.key_builder.build(key), "data"))

    async def close(self) -> None:
        """Write what is left. The database connection belongs to the application."""
        self._closed = True
        flusher = self._flusher
        if flusher is not None:
            if not self._flushing:
                flusher.cancel()  # still waiting: nothing half-written to interrupt
            with contextlib.suppress(asyncio.CancelledError):
                await flusher
        await self.flush()


def _grouped(along: list[tuple[Statement, list[Any]]]) -> list[tuple[Statement, list[list[Any]]]]:
    """The parameter lists of each statement together, in the order first seen."""
    groups: dict[int, tuple[Statement, list[list[Any]]]] = {}
    for statement, params in along:
        groups.setdefault(id(statement), (statement, []))[1].append(params)
    return list(groups.values())
