"""FSM storage in the club's own database, so dialogs survive a restart without Redis."""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any, NamedTuple

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, KeyBuilder, StorageKey

from models import FsmRecord
from models.statements import Statement

# Hand-written like the purchase path's (models/statements.py): every update reads and
# writes these rows, and the ORM's query building cost more than the statements.
_read = Statement(FsmRecord, 'SELECT state, data FROM fsm_record WHERE "key" = ?')
_write_state = Statement(FsmRecord, """
    INSERT INTO fsm_record ("key", state, data) VALUES (?, ?, '{}')
    ON CONFLICT ("key") DO UPDATE SET state = excluded.state RETURNING state, data""")
_write_data = Statement(FsmRecord, """
    INSERT INTO fsm_record ("key", state, data) VALUES (?, NULL, ?)
    ON CONFLICT ("key") DO UPDATE SET data = excluded.data RETURNING state, data""")

CACHE_SIZE = 20_000


class _Row(NamedTuple):
    state: str | None
    data: str  # JSON text: a caller gets its own copy of the data on every read


_EMPTY = _Row(None, "{}")  # what a key without a row reads as


class TortoiseStorage(BaseStorage):
    """State and data per key in the `fsm_record` table; data must be JSON, as with Redis.

    Every write reaches the database before it returns, so a dialog survives a restart.
    Reads are served from a copy of the rows this process last read or wrote (the most
    recently used `cache_size` keys): without Redis the bot runs as one process (more
    workers are refused, bot/workers.py), so no one else changes these rows meanwhile.
    A write of what the row is known to hold is skipped: aiogram-dialog saves the stack
    and the context after every update, changed or not.
    """

    def __init__(self, key_builder: KeyBuilder | None = None, *, cache_size: int = CACHE_SIZE) -> None:
        self.key_builder = key_builder or DefaultKeyBuilder(with_destiny=True)
        self.cache_size = cache_size
        self._rows: OrderedDict[str, _Row] = OrderedDict()

    async def _row(self, name: str) -> _Row:
        row = self._rows.get(name)
        if row is not None:
            self._rows.move_to_end(name)
            return row
        found = await _read.rows(name)
        row = _Row(found[0]["state"], found[0]["data"]) if found else _EMPTY
        # A write that finished while this read waited holds the newer row: keep it.
        return self._remember(name, row, replace=False)

    def _remember(self, name: str, row: _Row, *, replace: bool = True) -> _Row:
        if not replace and name in self._rows:
            return self._rows[name]
        self._rows[name] = row
        self._rows.move_to_end(name)
        if len(self._rows) > self.cache_size:
            self._rows.popitem(last=False)
        return row

    async def set_state(self, key: StorageKey, state: str | State | None = None) -> None:
        value = state.state if isinstance(state, State) else state
        name = self.key_builder.build(key)
        cached = self._rows.get(name)
        if cached is not None and cached.state == value:
            return
        found = await _write_state.rows(name, value)
        self._remember(name, _Row(found[0]["state"], found[0]["data"]))

    async def get_state(self, key: StorageKey) -> str | None:
        return (await self._row(self.key_builder.build(key))).state

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        text = json.dumps(dict(data), ensure_ascii=False)
        name = self.key_builder.build(key)
        cached = self._rows.get(name)
        if cached is not None and cached.data == text:
            return
        found = await _write_data.rows(name, text)
        self._remember(name, _Row(found[0]["state"], found[0]["data"]))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        return json.loads((await self._row(self.key_builder.build(key))).data)

    async def close(self) -> None:
        """The database connection belongs to the application, not to the storage."""
