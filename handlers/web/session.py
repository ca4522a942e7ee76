"""Who is looking at a page: Telegram's sign-in data checked, then a signed session cookie.

A Mini App receives `initData` from Telegram: the user and the time it was opened,
signed with a key derived from the bot token (aiogram checks the signature). Data
older than `max_age` is refused too: whoever saw it once (a log, a shared screen)
cannot sign in with it later. What signs the cookie is the page's own secret
(WEB_SESSION_SECRET, else one derived from the bot token); neither is ever logged.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from aiogram.utils.web_app import WebAppUser, safe_parse_webapp_init_data

COOKIE = "club_session"
# A clock a little ahead of ours is not an attacker.
CLOCK_SKEW = timedelta(seconds=60)


class Refusal(Enum):
    FORGED = "forged"  # no valid signature, or no user in it
    STALE = "stale"  # signed, but too old (or from the future)


class SignInRefused(Exception):
    def __init__(self, refusal: Refusal, user: WebAppUser | None = None) -> None:
        super().__init__(refusal.value)
        self.refusal, self.user = refusal, user


def session_secret(token: str, configured: str | None = None) -> bytes:
    """The key that signs session cookies: the setting, else derived from the bot token."""
    if configured:
        return configured.encode()
    return hmac.new(b"club-web-session", token.encode(), hashlib.sha256).digest()


def checked_user(token: str, init_data: str, now: datetime, max_age: timedelta) -> WebAppUser:
    """The Telegram user `init_data` names, if Telegram signed it for this bot lately."""
    try:
        data = safe_parse_webapp_init_data(token, init_data)
    except ValueError:  # a bad signature, or a signed body that does not parse
        raise SignInRefused(Refusal.FORGED) from None
    if data.user is None:
        raise SignInRefused(Refusal.FORGED)
    if not now - max_age <= data.auth_date <= now + CLOCK_SKEW:
        raise SignInRefused(Refusal.STALE, data.user)
    return data.user


@dataclass(frozen=True)
class Subject:
    """Whom a session is for: a member signed in by Telegram (`tg`, their Telegram id), a
    member signed in by a code sent to their phone (`member`, their member id), or a
    member of staff (`staff`, their staff id)."""

    kind: str
    id: int

    def __str__(self) -> str:
        return f"{self.kind}:{self.id}"


TELEGRAM, MEMBER, STAFF = "tg", "member", "staff"
KINDS = frozenset({TELEGRAM, MEMBER, STAFF})


@dataclass(frozen=True)
class Sessions:
    """Session cookies: `<kind>:<id>.<unix time signed in>.<signature>`; a form's CSRF token
    is a signature of the session's cookie, so it is good for that session only."""

    secret: bytes
    lifetime: timedelta

    def _signature(self, body: str) -> str:
        return hmac.new(self.secret, body.encode(), hashlib.sha256).hexdigest()

    def issue(self, subject: Subject, now: datetime) -> str:
        body = f"{subject}.{int(now.timestamp())}"
        return f"{body}.{self._signature(body)}"

    def subject(self, cookie: str | None, now: datetime) -> Subject | None:
        """Whom a cookie was issued to, while it lasts; None for anything else."""
        who, _, rest = (cookie or "").partition(".")
        issued, _, signature = rest.partition(".")
        kind, _, number = who.partition(":")
        if not (kind in KINDS and _number(number) and _number(issued) and signature):
            return None
        if not hmac.compare_digest(self._signature(f"{who}.{issued}"), signature):
            return None
        age = now.timestamp() - int(issued)
        if not -CLOCK_SKEW.total_seconds() <= age <= self.lifetime.total_seconds():
            return None
        return Subject(kind, int(number))

    def csrf(self, cookie: str) -> str:
        """The token every form of this session carries (a hidden `csrf` field)."""
        return self._signature(f"csrf:{cookie}")

    def csrf_ok(self, cookie: str | None, token: object) -> bool:
        """Whether a form posted with `cookie` carries its session's token."""
        return (
            bool(cookie)
            and isinstance(token, str)
            and hmac.compare_digest(self.csrf(cookie or ""), token)
        )


def _number(text: str) -> bool:
    return text.isascii() and text.isdigit()
