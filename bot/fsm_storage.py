"""FSM storage in the club's own database, so dialogs survive a restart without Redis."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, KeyBuilder, StorageKey
from tortoise.exceptions import IntegrityError

from models import FsmRecord


class TortoiseStorage(BaseStorage):
    """State and data per key in the `fsm_record` table; data must be JSON, as with Redis."""

    def __init__(self, key_builder: KeyBuilder | None = None) -> None:
        self.key_builder = key_builder or DefaultKeyBuilder(with_destiny=True)

    async def _upsert(self, key: StorageKey, **values: Any) -> None:
        name = self.key_builder.build(key)
        if await FsmRecord.filter(key=name).update(**values):
            return
        try:
            await FsmRecord.create(key=name, **values)
        except IntegrityError:  # created by a concurrent update a moment ago
            await FsmRecord.filter(key=name).update(**values)

    async def set_state(self, key: StorageKey, state: str | State | None = None) -> None:
        value = state.state if isinstance(state, State) else state
        await self._upsert(key, state=value)

    async def get_state(self, key: StorageKey) -> str | None:
        record = await FsmRecord.get_or_none(key=self.key_builder.build(key))
        return record.state if record else None

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self._upsert(key, data=json.dumps(dict(data), ensure_ascii=False))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        record = await FsmRecord.get_or_none(key=self.key_builder.build(key))
        return json.loads(record.data) if record else {}

    async def close(self) -> None:
        """The database connection belongs to the application, not to the storage."""
