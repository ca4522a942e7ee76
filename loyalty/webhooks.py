"""The club's events for the shop's systems: each key may name a webhook that receives them.

Events are read from the tables they leave behind (a purchase, a redemption's ledger row,
a new member, a tier change), by id, past a cursor per kind, and queued once per key with
a webhook whose branch the event belongs to (`WebhookDelivery`); a sender in `bot/` posts
them, signed, until one is answered 2xx, waiting longer after each failure. Reading the
tables instead of adding a row in each rule keeps every door's rule untouched.

The cursor only passes ids that are final (`models.queries.webhooks`): on PostgreSQL a
transaction may commit a smaller id after a larger one was read, however long it stays
open, so ids read at one round are passed only once every transaction open then has ended
(at once when none was open).
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from tortoise.exceptions import IntegrityError
from tortoise.models import Model

from loyalty.clock import utcnow
from loyalty.errors import ErrorCode, LoyaltyError
from models import (
    ApiKey,
    EntryKind,
    LedgerEntry,
    Member,
    Purchase,
    TierChange,
    Voucher,
    WebhookCursor,
    WebhookDelivery,
)
from models.queries import webhooks as webhooks_sql

BATCH = 200
MAX_ATTEMPTS = 12  # with the backoff below: about a day and a half of trying
FIRST_RETRY = timedelta(seconds=30)
LONGEST_WAIT = timedelta(hours=6)
CLAIM = timedelta(seconds=60)  # a sender's hold on a delivery it is posting


@dataclass(frozen=True)
class Kind:
    event: str
    model: type[Model]
    filters: dict[str, Any]
    payload: Callable[[Any], Awaitable[dict[str, Any]]]
    branch: Callable[[Any], Awaitable[int | None]]  # whose keys receive it; None: none


async def _joined(member: Member) -> dict[str, Any]:
    return {
        "member_id": member.id,
        "first_name": member.first_name,
        "branch_id": member.branch_id,
        "joined_at": member.joined_at.isoformat(),
    }


async def _purchase(purchase: Purchase) -> dict[str, Any]:
    return {
        "receipt": purchase.receipt,
        "branch_id": purchase.branch_id,
        "member_id": purchase.member_id,
        "amount": purchase.amount,
        "points": purchase.points,
        "created_at": purchase.created_at.isoformat(),
    }


async def _redeemed(entry: LedgerEntry) -> dict[str, Any]:
    return {
        "member_id": entry.member_id,
        "points": -entry.amount,
        "voucher_id": entry.voucher_id,
        "created_at": entry.created_at.isoformat(),
    }


async def _tier(change: TierChange) -> dict[str, Any]:
    await change.fetch_related("from_tier", "to_tier")
    return {
        "member_id": change.member_id,
        "from": change.from_tier.code if change.from_tier else None,
        "to": change.to_tier.code,
        "created_at": change.created_at.isoformat(),
    }


async def _own_branch(row: Member | Purchase) -> int | None:
    return row.branch_id


async def _home_branch(row: LedgerEntry | TierChange) -> int | None:
    """The member's home branch (none until their first purchase)."""
    found = await Member.filter(id=row.member_id).values_list("branch_id", flat=True)
    return found[0] if found else None


async def _redeemed_at(entry: LedgerEntry) -> int | None:
    """A branch's own reward is redeemed at that branch; a club-wide one at the member's."""
    if entry.voucher_id is not None:
        voucher = await Voucher.get_or_none(id=entry.voucher_id).prefetch_related("reward")
        if voucher is not None and voucher.reward.branch_id is not None:
            return voucher.reward.branch_id
    return await _home_branch(entry)


KINDS = (
    Kind("member.joined", Member, {}, _joined, _own_branch),
    Kind("purchase.recorded", Purchase, {}, _purchase, _own_branch),
    Kind("points.redeemed", LedgerEntry, {"kind": EntryKind.REDEEM}, _redeemed, _redeemed_at),
    Kind("tier.changed", TierChange, {}, _tier, _home_branch),
)

# Per kind, the newest id read at the last round and the database's time just after
# (PostgreSQL): those ids are final once no transaction older than that time is open.
# Kept in this process, which holds the jobs lease; another starts again from the cursor.
_marks: dict[str, tuple[int, datetime]] = {}


def _check_url(url: str) -> str:
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > 500:
        raise LoyaltyError(ErrorCode.INVALID_VALUE, value=url)
    return url


async def set_webhook(key_id: int, url: str | None) -> ApiKey:
    """Send this key's events to `url` (None: stop), signed with a new secret."""
    key = await ApiKey.get_or_none(id=key_id, revoked_at=None)
    if key is None:
        raise LoyaltyError(ErrorCode.API_KEY_NOT_FOUND, key=key_id)
    if url is None:
        key.webhook_url = key.webhook_secret = None
    else:
        key.webhook_url, key.webhook_secret = _check_url(url), secrets.token_hex(32)
        await _start_cursors()
    await key.save(update_fields=["webhook_url", "webhook_secret"])
    return key


async def _start_cursors() -> None:
    """Events from now on: a first webhook does not receive the club's whole history."""
    for kind in KINDS:
        if await WebhookCursor.exists(name=kind.event):
            continue
        last = await kind.model.all().order_by("-id").first()
        with suppress(IntegrityError):  # made a moment ago by another call
            await WebhookCursor.create(name=kind.event, last_id=last.pk if last else 0)


async def collect(*, now: datetime | None = None) -> int:
    """Queue the final events past the cursors, each for the keys with a webhook of its
    branch; the count queued."""
    now = now or utcnow()
    hooks = await ApiKey.filter(webhook_url__not_isnull=True, revoked_at=None)
    if not hooks:
        return 0
    queued = 0
    finals = await _final_ids()
    for kind in KINDS:
        final = finals[kind.event]
        cursor = await WebhookCursor.get_or_none(name=kind.event)
        if cursor is None or final is None or final <= cursor.last_id:
            continue
        rows = (
            await kind.model.filter(id__gt=cursor.last_id, id__lte=final, **kind.filters)
            .order_by("id")
            .limit(BATCH)
        )
        last = final if len(rows) < BATCH else rows[-1].pk
        for row in rows:
            queued += await _queue_event(kind, row, hooks, now)
        await WebhookCursor.filter(name=kind.event, last_id=cursor.last_id).update(last_id=last)
    return queued


async def _final_ids() -> dict[str, int | None]:
    """Per kind's event, the id up to which rows are final (None: no new one is yet)."""
    newest = {}
    for kind in KINDS:
        ids = await kind.model.all().order_by("-id").limit(1).values_list("id", flat=True)
        newest[kind.event] = ids[0] if ids else 0
    # Read after the ids: a transaction holding a smaller id began before this moment.
    horizon = await webhooks_sql.open_transactions()
    if horizon is None:
        return dict(newest)
    db_now, oldest = horizon
    final: dict[str, int | None] = {}
    for event, newest_id in newest.items():
        mark = _marks.get(event)
        if oldest is None:
            final[event] = newest_id
        elif mark is not None and oldest > mark[1]:
            final[event] = mark[0]
        else:
            final[event] = None
        _marks[event] = (newest_id, db_now)
    return final


async def _queue_event(kind: Kind, row: Model, hooks: list[ApiKey], now: datetime) -> int:
    branch_id = await kind.branch(row)
    keys = [key for key in hooks if key.branch_id == branch_id]
    if not keys:
        return 0
    payload = {"event": kind.event, "data": await kind.payload(row)}
    queued = 0
    for key in keys:
        queued += await _queue(key, kind.event, f"{kind.event}:{row.pk}", payload, now)
    return queued


async def _queue(key: ApiKey, event: str, source: str, payload: dict, now: datetime) -> int:
    try:
        await WebhookDelivery.create(
            api_key=key,
            event=event,
            source=source,
            payload=payload,
            created_at=now,
            next_attempt_at=now,
        )
    except IntegrityError:
        return 0  # queued before
    return 1


async def due(*, now: datetime | None = None, limit: int = 50) -> list[WebhookDelivery]:
    """Deliveries to post now, claimed for `CLAIM` so another sender leaves them alone."""
    now = now or utcnow()
    claimed = []
    candidates = (
        await WebhookDelivery.filter(next_attempt_at__lte=now)
        .order_by("next_attempt_at", "id")
        .limit(limit)
        .prefetch_related("api_key")
    )
    for delivery in candidates:
        taken = await WebhookDelivery.filter(
            id=delivery.id, next_attempt_at=delivery.next_attempt_at
        ).update(next_attempt_at=now + CLAIM)
        if taken:
            claimed.append(delivery)
    return claimed


def backoff(attempts: int) -> timedelta:
    """30 s after the first failure, doubling, at most six hours."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_WAIT)


async def delivered(delivery: WebhookDelivery, *, now: datetime) -> None:
    await WebhookDelivery.filter(id=delivery.id).update(
        delivered_at=now, next_attempt_at=None, attempts=delivery.attempts + 1, last_error=""
    )


async def failed(delivery: WebhookDelivery, error: str, *, now: datetime) -> None:
    attempts = delivery.attempts + 1
    retry = now + backoff(attempts) if attempts < MAX_ATTEMPTS else None
    await WebhookDelivery.filter(id=delivery.id).update(
        attempts=attempts, next_attempt_at=retry, last_error=error[:200]
    )


async def replay(delivery_id: int, *, now: datetime | None = None) -> WebhookDelivery:
    """Send a delivery again now, delivered or given up, as the owner asks."""
    delivery = await WebhookDelivery.get_or_none(id=delivery_id)
    if delivery is None:
        raise LoyaltyError(ErrorCode.INVALID_VALUE, value=str(delivery_id))
    await WebhookDelivery.filter(id=delivery_id).update(next_attempt_at=now or utcnow())
    await delivery.refresh_from_db()
    return delivery


async def recent(limit: int = 20) -> list[WebhookDelivery]:
    return await WebhookDelivery.all().order_by("-id").limit(limit)
