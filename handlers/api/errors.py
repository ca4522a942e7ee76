"""Errors of the HTTP API: a stable code, the field at fault, a sentence in the caller's language.

Every refusal is `{"error": {"code": ..., "message": ..., "field": ...}}`. The code is the
contract with the till's programmer; the message is for the person at the till, in the
language of `Accept-Language` (Persian unless English is asked for first).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from handlers.format import number
from handlers.i18n import LOCALES, N_, t
from handlers.texts import error_text
from loyalty.errors import ErrorCode, LoyaltyError

DEFAULT_LOCALE = "fa"

MESSAGES: dict[str, str] = {
    "unauthorized": N_("Send a valid API key: Authorization: Bearer <key>."),
    "forbidden_scope": N_("This API key may not do this: it needs the scope {scope}."),
    "branch_inactive": N_("The branch of this API key is closed."),
    "rate_limited": N_("Too many requests: try again in {seconds} seconds."),
    "invalid_json": N_("The body is not valid JSON."),
    "not_an_object": N_("The body must be a JSON object."),
    "unsupported_media_type": N_("Send the body as application/json."),
    "body_too_large": N_("The body is too large: at most {max} bytes."),
    "missing_field": N_("The field {field} is required."),
    "invalid_field": N_("The field {field} has a wrong type or value."),
    "idempotency_key_required": N_("This request needs an Idempotency-Key header."),
    "invalid_idempotency_key": N_(
        "The Idempotency-Key header must be 1 to {max} visible ASCII characters."
    ),
    "idempotency_key_reused": N_("This Idempotency-Key was used before for a different request."),
    "already_recorded": N_("A different request with the same {field} was made before."),
    "request_in_progress": N_("The first request with this Idempotency-Key is still running."),
    "too_many_lines": N_("A purchase has at most {max} lines."),
    "gift_card_over_amount": N_("The gift card cannot pay more than the purchase, {amount}."),
    "not_found": N_("There is nothing at this address."),
    "method_not_allowed": N_("This address does not take this method."),
    "internal": N_("Sorry, something went wrong. Please try again."),
}

# How the domain's refusals answer over HTTP; the rest are 422 (understood, but refused).
STATUS: dict[ErrorCode, int] = {
    ErrorCode.MEMBER_NOT_FOUND: 404,
    ErrorCode.CARD_REPLACED: 404,
    ErrorCode.PURCHASE_NOT_FOUND: 404,
    ErrorCode.VOUCHER_NOT_FOUND: 404,
    ErrorCode.GROUP_NOT_FOUND: 404,
    ErrorCode.BRANCH_NOT_FOUND: 404,
    ErrorCode.GIFT_CARD_NOT_FOUND: 404,
    ErrorCode.MEMBER_DELETED: 409,
    ErrorCode.ALREADY_REFUNDED: 409,
    ErrorCode.VOUCHER_USED: 409,
    ErrorCode.VOUCHER_EXPIRED: 409,
    ErrorCode.VOUCHER_CANCELLED: 409,
    ErrorCode.GIFT_CARD_BLOCKED: 409,
    ErrorCode.GIFT_CARD_EXPIRED: 409,
    ErrorCode.REWARD_WRONG_BRANCH: 403,
}


class ApiError(Exception):
    """A refusal with its HTTP status; `values` fill the message."""

    def __init__(
        self,
        status: int,
        code: str,
        *,
        field: str | None = None,
        headers: dict[str, str] | None = None,
        **values: Any,
    ) -> None:
        super().__init__(code)
        self.status, self.code, self.field = status, code, field
        self.headers = headers or {}
        self.values = values
        self.refusal: LoyaltyError | None = None

    @classmethod
    def refused(cls, error: LoyaltyError, field: str | None = None) -> ApiError:
        wrapped = cls(STATUS.get(error.code, 422), error.code.value, field=field)
        wrapped.refusal = error
        return wrapped

    def message(self, locale: str) -> str:
        if self.refusal is not None:
            return error_text(self.refusal, locale)
        values = {
            name: number(value, locale) if isinstance(value, int) else value
            for name, value in {"field": self.field or "", **self.values}.items()
        }
        return t(MESSAGES[self.code], locale, **values)

    def response(self, locale: str) -> web.Response:
        error: dict[str, Any] = {"code": self.code, "message": self.message(locale)}
        if self.field is not None:
            error["field"] = self.field
        return web.json_response({"error": error}, status=self.status, headers=self.headers)


def accepted_locale(header: str | None) -> str:
    """The first language of `Accept-Language` the club speaks (by weight), else Persian."""
    best, weight = DEFAULT_LOCALE, -1.0
    for part in (header or "").split(",")[:20]:
        tag, _, params = part.strip().partition(";")
        language = tag.strip().lower()[:2]
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if language in LOCALES and quality > weight:
            best, weight = language, quality
    return best
