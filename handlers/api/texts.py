"""API keys as the owner reads them, in the bot and in the terminal."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from handlers.format import day, persian_digits
from handlers.i18n import N_, t
from loyalty.api_keys import NewKey
from models import ApiKey

NO_KEYS = N_("No API keys yet.")


def _ident(value: int, locale: str) -> str:
    return persian_digits(str(value)) if locale == "fa" else str(value)


def created_text(new: NewKey, branch: str, locale: str) -> str:
    key = new.key
    return t(
        N_(
            "API key {id} ({name}) for {branch}, scopes {scopes}:\n{secret}\n"
            "Keep it safe: it is shown only this once."
        ),
        locale,
        id=_ident(key.id, locale),
        name=key.name,
        branch=branch,
        scopes=key.scopes,
        secret=new.secret,
    )


def key_line(key: ApiKey, branch: str, locale: str, tz: ZoneInfo) -> str:
    line = t(
        N_("#{id} {name}: {branch}, {scopes}, key club_{prefix}_…, made {made}"),
        locale,
        id=_ident(key.id, locale),
        name=key.name,
        branch=branch,
        scopes=key.scopes,
        prefix=key.prefix,
        made=day(key.created_at, locale, tz),
    )
    if key.revoked_at is not None:
        line += " " + t(N_("(revoked {when})"), locale, when=day(key.revoked_at, locale, tz))
    return line


def revoked_text(key: ApiKey, locale: str) -> str:
    return t(
        N_("API key {id} ({name}) is revoked: it no longer works."),
        locale,
        id=_ident(key.id, locale),
        name=key.name,
    )
