"""The hidden request key of the panel's forms: one per page shown, so that a form posted
twice (a double click, a reload) is one request to the domain, which acts on it once."""

from __future__ import annotations

import secrets
from typing import Any

KEY_LENGTH = 32  # hex digits of 16 random bytes


def fresh_key() -> str:
    return secrets.token_hex(KEY_LENGTH // 2)


def request_key_of(form: Any) -> str | None:
    """The form's key, if it is one this panel made; None: a stale or forged form."""
    key = form.get("request")
    if isinstance(key, str) and len(key) == KEY_LENGTH and key.isascii() and key.isalnum():
        return key
    return None
