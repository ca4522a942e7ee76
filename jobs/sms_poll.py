"""Polling Kavenegar's inbox (`sms/receive`): the way in that needs no public URL.

Kavenegar marks what it returns as read, so each message comes back once: a page is
stored whole before any of it is decided, so that a crash while deciding loses nothing
(the sweep decides what is left). A message that also reached the webhook is one row,
decided once (deduplicated by its messageid).
"""

from __future__ import annotations

import logging
from typing import Protocol

log = logging.getLogger("club.jobs.sms_poll")

MAX_ROUNDS = 10  # sms/receive returns at most 100 messages: fetch again while it is full
FULL_PAGE = 100


class Inbound(Protocol):
    message_id: int
    sender: str
    receptor: str
    message: str


class Receiver(Protocol):
    async def receive(self, linenumber: str) -> list[Inbound]: ...


class Stored(Protocol):
    row_id: int
    pending: bool


class Door(Protocol):
    """The SMS door (bot/sms_door.py): store a message, then decide it."""

    async def accept(
        self, sender: str, text: str, message_id: str | None, receptor: str
    ) -> Stored: ...

    async def process(self, row_id: int) -> object: ...


async def poll_inbound(gateway: Receiver, linenumber: str, door: Door) -> int:
    """Fetch unread messages on the club line, store and decide each; returns how many arrived."""
    total = 0
    for _ in range(MAX_ROUNDS):
        try:
            batch = await gateway.receive(linenumber)
        except Exception as exc:  # noqa: BLE001 - the next tick tries again
            log.warning("could not fetch inbound SMS: %s", exc)
            break
        stored = [
            await door.accept(m.sender, m.message, str(m.message_id), m.receptor) for m in batch
        ]
        for row in stored:
            if not row.pending:
                continue
            try:
                await door.process(row.row_id)
            except Exception:  # one bad message must not hold up the rest
                log.exception("inbound SMS %s could not be processed", row.row_id)
        total += len(batch)
        if len(batch) < FULL_PAGE:
            break
    return total
