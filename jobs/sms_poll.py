"""Polling Kavenegar's inbox (`sms/receive`): the way in that needs no public URL.

Kavenegar marks what it returns as read, so each message comes back once; a message
that also reached the webhook is still processed once (deduped by its messageid).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

log = logging.getLogger("club.jobs.sms_poll")

MAX_ROUNDS = 10  # sms/receive returns at most 100 messages: fetch again while it is full
FULL_PAGE = 100


class Inbound(Protocol):
    message_id: int
    sender: str
    message: str


class Receiver(Protocol):
    async def receive(self, linenumber: str) -> list[Inbound]: ...


# process(sender, text, messageid), as for the webhook.
Process = Callable[[str, str, str | None], Awaitable[object]]


async def poll_inbound(gateway: Receiver, linenumber: str, process: Process) -> int:
    """Fetch unread messages on the club line and process each; returns how many arrived."""
    total = 0
    for _ in range(MAX_ROUNDS):
        try:
            batch = await gateway.receive(linenumber)
        except Exception as exc:  # noqa: BLE001 - the next tick tries again
            log.warning("could not fetch inbound SMS: %s", exc)
            break
        for message in batch:
            try:
                await process(message.sender, message.message, str(message.message_id))
            except Exception:  # noqa: BLE001 - one bad message must not hold up the rest
                log.exception("inbound SMS %s could not be processed", message.message_id)
        total += len(batch)
        if len(batch) < FULL_PAGE:
            break
    return total
