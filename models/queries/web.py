"""The pages' sign-in by phone."""

from __future__ import annotations

from models.statements import NameLock
from models.web import WebSignInCode

# Requests for a code are counted one at a time per phone and per client address
# (PostgreSQL). Counting only the requests before one's own is not enough there: a request
# numbered earlier but not yet committed is invisible to a later one, and both pass.
_phone_lock = NameLock(WebSignInCode, 7002)
_address_lock = NameLock(WebSignInCode, 7003)


async def lock_requests(phone_key: str, address_key: str) -> None:
    """Hold this phone's and this address's requests until the caller's transaction ends;
    always the phone first, so that two requests never wait for each other's lock."""
    await _phone_lock.take(phone_key)
    await _address_lock.take(address_key)
