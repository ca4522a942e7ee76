"""The SMS door."""

from __future__ import annotations

from models.sms import InboundSms
from models.statements import NameLock

# The decisions about one sender's messages (the flood gate, help once a day) one at a time.
_sender_lock = NameLock(InboundSms, 7001)


async def lock_sender(sender: str) -> None:
    """Hold the sender's decisions until the caller's transaction ends (PostgreSQL)."""
    await _sender_lock.take(sender)
