"""Signing in to the club's pages by phone: a one-time code sent by SMS.

For members who do not use Telegram. The code is six digits, good for `LIFETIME`, once,
and for `TRIES` wrong guesses; it is kept only as a hash. Requests are limited per phone
and per client address (counted from the requests' own rows, so every worker shares
them). A phone that is no member's is answered exactly as a member's: a row is written
and counted, and no SMS leaves, so the page tells nobody who is a member.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from enum import Enum

from tortoise.expressions import F
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from loyalty.errors import LoyaltyError
from loyalty.members import member_by_phone
from loyalty.phones import normalize_mobile
from models import Channel, OutboxMessage, OutboxStatus, WebSignInCode
from models.queries import outbox as outbox_sql
from models.queries import web as web_sql

TEMPLATE = "web_code"  # the SMS that carries the code (handlers/notifications.py)
LIFETIME = timedelta(minutes=5)
TRIES = 5  # wrong codes before the code is spent
PHONE_LIMIT, PHONE_WINDOW = 3, timedelta(minutes=15)  # codes a phone may be sent
ADDRESS_LIMIT, ADDRESS_WINDOW = 10, timedelta(hours=1)  # requests from one address
# The outbox's states in which a code's SMS will not be sent (again).
DONE = (OutboxStatus.SENT, OutboxStatus.FAILED, OutboxStatus.SKIPPED)


class Asked(Enum):
    SENT = "sent"  # a code is on its way, if the phone is a member's (said the same either way)
    TOO_MANY = "too_many"  # this phone or address asked too often: try again later
    BAD_PHONE = "bad_phone"  # not a mobile number


def _key(kind: str, text: str) -> str:
    return hashlib.sha256(f"club-web:{kind}:{text}".encode()).hexdigest()


def _code_hash(phone_key: str, code: str) -> str:
    return hmac.new(phone_key.encode(), code.encode(), hashlib.sha256).hexdigest()


async def ask_code(raw_phone: str, address: str, now: datetime) -> Asked:
    """Send a sign-in code to `raw_phone` if it is a member's and the limits allow."""
    try:
        phone = normalize_mobile(raw_phone)
    except LoyaltyError:
        return Asked.BAD_PHONE
    phone_key, address_key = _key("phone", phone), _key("address", address)
    member = await member_by_phone(phone)
    # The request is written first, then counted with those before it, its phone and
    # address locked meanwhile: of requests at once, each sees those before it, so together
    # they never pass a limit. A refused request is taken back with its transaction (it is
    # not counted against the next ones).
    async with in_transaction():
        await web_sql.lock_requests(phone_key, address_key)
        row = await WebSignInCode.create(
            phone_key=phone_key,
            address_key=address_key,
            member_id=member.id if member is not None else None,
            created_at=now,
            expires_at=now if member is None else now + LIFETIME,
        )
        earlier = WebSignInCode.filter(id__lte=row.id)
        recent_phone = await earlier.filter(
            phone_key=phone_key, created_at__gt=now - PHONE_WINDOW
        ).count()
        recent_address = await earlier.filter(
            address_key=address_key, created_at__gt=now - ADDRESS_WINDOW
        ).count()
        if recent_phone > PHONE_LIMIT or recent_address > ADDRESS_LIMIT:
            await WebSignInCode.filter(id=row.id).delete()
            return Asked.TOO_MANY
    if member is None:  # counted like a member's, and nothing is sent
        return Asked.SENT
    code = f"{secrets.randbelow(1_000_000):06d}"
    async with in_transaction():  # the code is good only once its SMS is queued
        await WebSignInCode.filter(id=row.id).update(code_hash=_code_hash(phone_key, code))
        await outbox_sql.insert(
            key=f"web_code:{row.id}",
            member_id=member.id,
            phone=phone,
            template=TEMPLATE,
            params={"code": code},
            channel=Channel.SMS,
            campaign_id=None,
            next_attempt_at=now,
            created_at=now,
        )
    return Asked.SENT


async def check_code(raw_phone: str, code: str, now: datetime) -> int | None:
    """The member the code signs in, once; None for a wrong, spent or expired code."""
    try:
        phone = normalize_mobile(raw_phone)
    except LoyaltyError:
        return None
    phone_key = _key("phone", phone)
    row = (
        await WebSignInCode.filter(
            phone_key=phone_key,
            code_hash__not_isnull=True,
            used_at__isnull=True,
            expires_at__gt=now,
            tries__lt=TRIES,
        )
        .order_by("-id")
        .first()
    )
    if row is None:
        return None
    # A try is counted before the code is compared: guesses at once cannot pass TRIES.
    if not await WebSignInCode.filter(id=row.id, tries__lt=TRIES).update(tries=F("tries") + 1):
        return None
    given = code.strip().translate(str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789"))
    if not hmac.compare_digest(_code_hash(phone_key, given), row.code_hash or ""):
        return None
    if not await WebSignInCode.filter(id=row.id, used_at__isnull=True).update(used_at=now):
        return None  # used a moment ago by another request
    await _forget_code_text(OutboxMessage.filter(key=f"web_code:{row.id}"))
    return row.member_id


async def _forget_code_text(messages: QuerySet[OutboxMessage]) -> None:
    # The SMS's text is made from its params when it is sent; once it is sent (or can no
    # longer serve) the code has no business staying in the database, readable by backups.
    await messages.filter(status__in=DONE).update(params={})


async def forget(now: datetime) -> None:
    """Hourly: take the codes out of their sent (or given up) SMS once the codes have
    expired, and drop the requests older than every limit's window (they count nothing)."""
    await _forget_code_text(OutboxMessage.filter(template=TEMPLATE, created_at__lt=now - LIFETIME))
    await WebSignInCode.filter(created_at__lt=now - max(PHONE_WINDOW, ADDRESS_WINDOW)).delete()
