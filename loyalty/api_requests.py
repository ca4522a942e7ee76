"""The answers of API writes, kept by request key so a repeated request gets the first answer.

A till repeats a request when its answer was lost (a timeout, a dropped connection), and
two tills may send the same one at once. The first request inserts its row; the unique
(key, request key) index refuses every other, which then reads the stored answer, or
learns that the first is still at work. A request that failed unexpectedly removes its
row, so the till may try again. A row left by a process that died at work is taken over
after `STALE`: the domain's own keys (receipt, refund key, voucher state) keep that second
attempt from doing anything twice.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError

from loyalty.clock import utcnow
from models import ApiRequest

STALE = timedelta(minutes=2)
MAX_REQUEST_KEY = 120


@dataclass(frozen=True)
class Stored:
    status: int
    body: dict[str, Any]


class KeyReused(Exception):
    """The request key was used before for a different request."""


class InProgress(Exception):
    """The first request with this key is still at work."""


def fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(b"\n".join([method.encode(), path.encode(), body])).hexdigest()


async def begin(
    key_id: int, request_key: str, print_: str, *, now: datetime | None = None
) -> Stored | int:
    """The stored answer of an earlier request with this key, or the id of a new claim.

    Raises KeyReused when the earlier request differed, InProgress while it is at work.
    """
    now = now or utcnow()
    try:
        row = await ApiRequest.create(
            api_key_id=key_id, request_key=request_key, fingerprint=print_, created_at=now
        )
        return row.id
    except IntegrityError:
        pass
    row = await ApiRequest.get_or_none(api_key_id=key_id, request_key=request_key)
    if row is None:  # removed by its failed first attempt a moment ago
        return await begin(key_id, request_key, print_, now=now)
    if row.fingerprint != print_:
        raise KeyReused()
    if row.status is not None:
        return Stored(row.status, row.response or {})
    if row.created_at + STALE > now:
        raise InProgress()
    taken = await ApiRequest.filter(id=row.id, status=None, created_at=row.created_at).update(
        created_at=now
    )
    if not taken:
        raise InProgress()
    return row.id


async def finish(claim: int, status: int, body: dict[str, Any]) -> None:
    await ApiRequest.filter(id=claim).update(status=status, response=body)


async def abandon(claim: int) -> None:
    await ApiRequest.filter(id=claim, status=None).delete()
