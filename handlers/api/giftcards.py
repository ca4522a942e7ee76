"""Gift cards at the till over the API: read one, spend from it, put a refund back on it.

The till sees what it needs to take a card as payment: its balance, currency, status
and expiry; never who holds it. Spends and refunds are the rules of `loyalty.giftcards`,
at the key's branch, audited under the key (`api:<id>`).
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from aiohttp import web

from handlers.api.app import Call, json_response, once
from handlers.api.body import canonical, int_field, no_other_fields, read_json, text_field
from handlers.api.errors import ApiError
from loyalty import giftcards
from loyalty.codes import clean_gift_card_code, show_gift_card_code
from loyalty.errors import ErrorCode, LoyaltyError
from models import GiftCard, GiftCardStatus

# Errors of the domain that name a field of a gift card request.
FIELDS = {
    ErrorCode.INVALID_GIFT_CODE: "code",
    ErrorCode.GIFT_CARD_NOT_FOUND: "code",
    ErrorCode.GIFT_CARD_BLOCKED: "code",
    ErrorCode.GIFT_CARD_EXPIRED: "code",
    ErrorCode.INVALID_AMOUNT: "amount",
    ErrorCode.AMOUNT_TOO_LARGE: "amount",
    ErrorCode.GIFT_CARD_BALANCE: "amount",
    ErrorCode.GIFT_REFUND_TOO_LARGE: "amount",
}


def refused(error: LoyaltyError, prefix: str = "") -> ApiError:
    field = FIELDS.get(error.code)
    return ApiError.refused(error, prefix + field if field else None)


def card_code(raw: str, field: str = "code") -> str:
    """The card's code as stored (without dashes); a code that cannot be one is refused."""
    if len(raw) > 32 or not raw.isprintable():
        raise ApiError(422, "invalid_field", field=field)
    try:
        return clean_gift_card_code(raw)
    except LoyaltyError as error:
        raise ApiError.refused(error, field) from None


def card_view(card: GiftCard, currency: str, now: datetime) -> dict[str, Any]:
    status = card.status.value
    if card.status is GiftCardStatus.ACTIVE and card.expires_at and card.expires_at <= now:
        status = "expired"
    return {
        "code": show_gift_card_code(card.code),
        "balance": card.balance,
        "currency": currency,
        "status": status,
        "expires_at": card.expires_at.isoformat() if card.expires_at else None,
    }


def _hidden(code: str) -> str:
    """A card's code as kept with a request: its digest, as the code alone is the key to it."""
    return hashlib.sha256(code.encode()).hexdigest()[:24]


def actor(call: Call) -> str:
    return f"api:{call.key.id}"


async def get_gift_card(request: web.Request, call: Call) -> web.Response:
    code = card_code(request.match_info["code"])
    try:
        card = await giftcards.find_card(code)
    except LoyaltyError as error:
        raise refused(error) from None
    return json_response({"gift_card": card_view(card, await giftcards.currency(), call.now)})


async def spend_gift_card(request: web.Request, call: Call) -> web.Response:
    code = card_code(request.match_info["code"])
    body = await read_json(request)
    no_other_fields(body, {"amount", "receipt"})
    amount = int_field(body, "amount")
    receipt = text_field(body, "receipt", max_length=giftcards.MAX_RECEIPT)
    assert amount is not None and receipt is not None

    async def work() -> tuple[int, dict[str, Any]]:
        movement = await spend(call, code, amount, receipt)
        return 200, {
            "receipt": receipt,
            "amount": amount,
            "replayed": movement.replayed,
            "gift_card": card_view(movement.card, movement.currency, call.now)
            | {"balance": movement.balance},
        }

    return await once(
        request,
        call,
        canonical(body),
        work,
        default_key=f"giftcard-spend:{_hidden(code)}:{receipt}",
        key_field="receipt",
    )


async def spend(
    call: Call, code: str, amount: int, receipt: str, prefix: str = ""
) -> giftcards.Movement:
    """Spend `amount` of the card on `receipt`, once per card and receipt whichever door
    sent it first; the same receipt with another amount is refused, not replayed."""
    try:
        movement = await giftcards.spend_at_branch(
            call.key.branch_id, code, amount, receipt, actor=actor(call), now=call.now
        )
    except LoyaltyError as error:
        raise refused(error, prefix) from None
    if movement.replayed and -movement.entry.amount != amount:
        raise ApiError(422, "already_recorded", field="receipt")
    return movement


async def refund_gift_card(request: web.Request, call: Call) -> web.Response:
    code = card_code(request.match_info["code"])
    body = await read_json(request)
    no_other_fields(body, {"amount", "receipt"})
    amount = int_field(body, "amount")
    receipt = text_field(body, "receipt", max_length=giftcards.MAX_RECEIPT)
    assert amount is not None and receipt is not None

    async def work() -> tuple[int, dict[str, Any]]:
        # The card's ledger key of this refund: the till's own key, under this API key.
        seed = f"{call.key.id}:{request.headers['Idempotency-Key']}"
        try:
            movement = await giftcards.refund_at_branch(
                call.key.branch_id,
                code,
                amount,
                receipt,
                actor=actor(call),
                request="api:" + hashlib.sha256(seed.encode()).hexdigest()[:40],
                now=call.now,
            )
        except LoyaltyError as error:
            raise refused(error) from None
        return 200, {
            "receipt": receipt,
            "amount": amount,
            "gift_card": card_view(movement.card, movement.currency, call.now)
            | {"balance": movement.balance},
        }

    return await once(request, call, canonical(body), work)
