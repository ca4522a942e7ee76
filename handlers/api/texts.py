"""API keys as the owner reads them, in the bot and in the terminal."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from handlers.format import day, moment, persian_digits
from handlers.i18n import N_, t
from loyalty.api_keys import NewKey
from models import ApiKey, WebhookDelivery

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


def webhook_set_text(key: ApiKey, locale: str) -> str:
    if key.webhook_url is None:
        return t(N_("API key {id} sends no events any more."), locale, id=_ident(key.id, locale))
    return t(
        N_(
            "Events of the club go to {url} for API key {id}, signed with this secret "
            "(shown only this once):\n{secret}"
        ),
        locale,
        url=key.webhook_url,
        id=_ident(key.id, locale),
        secret=key.webhook_secret,
    )


def delivery_line(delivery: WebhookDelivery, locale: str, tz: ZoneInfo) -> str:
    head = (
        f"#{_ident(delivery.id, locale)} {delivery.event} → {_ident(delivery.api_key_id, locale)}"
    )
    attempts = _ident(delivery.attempts, locale)
    if delivery.delivered_at is not None:
        state = t(N_("delivered {when}"), locale, when=moment(delivery.delivered_at, locale, tz))
    elif delivery.next_attempt_at is not None:
        state = t(
            N_("waiting, {attempts} attempts, last: {error}"),
            locale,
            attempts=attempts,
            error=delivery.last_error or "-",
        )
    else:
        state = t(
            N_("given up after {attempts} attempts: {error}"),
            locale,
            attempts=attempts,
            error=delivery.last_error,
        )
    return f"{head}: {state}"


NO_DELIVERIES = N_("No events sent yet.")


def replayed_text(delivery: WebhookDelivery, locale: str) -> str:
    return t(N_("Event {id} will be sent again now."), locale, id=_ident(delivery.id, locale))
