"""Keys of the HTTP API: made and revoked by the owner, checked on every request.

A key is `club_<prefix>_<secret>`; the club keeps the prefix (to tell keys apart in a
list) and the SHA-256 of the whole key. The key is random and 32 bytes long, so its
digest needs no salt or stretching: nobody can guess a key from it.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from loyalty.clock import utcnow
from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.text import clean_name
from models import ApiKey, Branch

KEY_START = "club_"


class Scope(StrEnum):
    MEMBERS_READ = "members:read"
    MEMBERS_WRITE = "members:write"
    PURCHASES_WRITE = "purchases:write"
    VOUCHERS_REDEEM = "vouchers:redeem"
    GIFT_CARDS = "giftcards"  # read a card, spend from it and put a refund back on it


@dataclass(frozen=True)
class NewKey:
    key: ApiKey
    secret: str  # the only time the whole key exists outside the caller's hands


def parse_scopes(text: str | Iterable[str]) -> list[Scope]:
    """Scopes from "members:read,purchases:write" (or a list), in the order of `Scope`."""
    names = text.split(",") if isinstance(text, str) else list(text)
    wanted = {name.strip().lower() for name in names if name.strip()}
    known = {scope.value for scope in Scope}
    if not wanted or wanted - known:
        raise LoyaltyError(
            ErrorCode.UNKNOWN_SCOPE,
            scopes=",".join(sorted(wanted - known)) or "-",
            known=",".join(scope.value for scope in Scope),
        )
    return [scope for scope in Scope if scope.value in wanted]


def scopes_of(key: ApiKey) -> set[Scope]:
    return {Scope(name) for name in key.scopes.split(",") if name}


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def create_key(
    branch_id: int, scopes: str | Iterable[str], name: str, *, now: datetime | None = None
) -> NewKey:
    """A new key for `branch_id` with `scopes`; its secret is returned once, never stored."""
    chosen = parse_scopes(scopes)
    label = clean_name(name)
    if not await Branch.exists(id=branch_id, active=True):
        raise LoyaltyError(ErrorCode.BRANCH_NOT_FOUND, branch=branch_id)
    prefix = secrets.token_hex(4)
    secret = f"{KEY_START}{prefix}_{secrets.token_urlsafe(32)}"
    key = await ApiKey.create(
        name=label,
        branch_id=branch_id,
        scopes=",".join(chosen),
        prefix=prefix,
        digest=digest(secret),
        created_at=now or utcnow(),
    )
    return NewKey(key, secret)


async def revoke_key(key_id: int, *, now: datetime | None = None) -> ApiKey:
    """Stop a key from working; revoking it again changes nothing."""
    key = await ApiKey.get_or_none(id=key_id)
    if key is None:
        raise LoyaltyError(ErrorCode.API_KEY_NOT_FOUND, key=key_id)
    if key.revoked_at is None:
        await ApiKey.filter(id=key_id, revoked_at=None).update(revoked_at=now or utcnow())
        await key.refresh_from_db()
    return key


async def list_keys() -> list[ApiKey]:
    """Every key, the newest first, revoked ones too (they stay for the record)."""
    return await ApiKey.all().order_by("-id").prefetch_related("branch")


async def authenticate(secret: str) -> ApiKey | None:
    """The live key with this secret, or None: unknown, malformed and revoked alike."""
    if not secret.startswith(KEY_START) or len(secret) > 200:
        return None
    key = await ApiKey.get_or_none(digest=digest(secret))
    if key is None or key.revoked_at is not None:
        return None
    return key


__all__ = [
    "KEY_START",
    "NewKey",
    "Scope",
    "authenticate",
    "create_key",
    "digest",
    "list_keys",
    "parse_scopes",
    "revoke_key",
    "scopes_of",
]
