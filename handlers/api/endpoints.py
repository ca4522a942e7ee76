"""The routes of the API: each reads its input, calls one rule of `loyalty/`, answers JSON.

The member a till sees is what it needs at the counter: name, card, tier (with its
discount), balance and the rewards the balance affords; never a birthday or a gender.
"""

from __future__ import annotations

import hashlib
from contextlib import suppress
from typing import Any

from aiohttp import web
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from handlers.api import giftcards as api_giftcards
from handlers.api import purchase_body
from handlers.api.app import Call, Endpoint, json_response, once
from handlers.api.body import MAX_BODY, canonical, int_field, no_other_fields, read_json, text_field
from handlers.api.errors import ApiError
from handlers.api.giftcards import get_gift_card, refund_gift_card, spend_gift_card
from handlers.format import number
from handlers.i18n import t
from handlers.sms.keywords import JOINED, JOINED_NO_BONUS
from handlers.sms.text import to_persian_digits
from handlers.texts import tier_name
from loyalty import api_keys, earning, members, notify, rewards, till
from loyalty.api_keys import Scope
from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.members import SUPPORTED_LOCALES
from loyalty.rules import current_config
from models import Channel, Member, Voucher

# Errors of the domain that name a field of the request, per route.
PURCHASE_FIELDS = {
    ErrorCode.INVALID_PHONE: "member",
    ErrorCode.INVALID_CARD: "member",
    ErrorCode.MEMBER_NOT_FOUND: "member",
    ErrorCode.CARD_REPLACED: "member",
    ErrorCode.MEMBER_DELETED: "member",
    ErrorCode.INVALID_AMOUNT: "amount",
    ErrorCode.AMOUNT_TOO_LARGE: "amount",
    ErrorCode.BELOW_MINIMUM: "amount",
    ErrorCode.REFUND_TOO_LARGE: "amount",
    ErrorCode.GROUP_NOT_FOUND: "group_id",
    ErrorCode.PROMO_NOT_FOUND: "promo_code",
    ErrorCode.PROMO_NOT_STARTED: "promo_code",
    ErrorCode.PROMO_EXPIRED: "promo_code",
    ErrorCode.PROMO_USED_UP: "promo_code",
    ErrorCode.PROMO_MEMBER_LIMIT: "promo_code",
    ErrorCode.PROMO_BELOW_MINIMUM: "promo_code",
    ErrorCode.PROMO_OTHER_BRANCH: "promo_code",
    ErrorCode.PROMO_OTHER_GROUP: "promo_code",
    ErrorCode.PROMO_TIER: "promo_code",
    ErrorCode.PROMO_NOT_YOURS: "promo_code",
    ErrorCode.PURCHASE_NOT_FOUND: "receipt",
    ErrorCode.ALREADY_REFUNDED: "receipt",
}
JOIN_FIELDS = {
    ErrorCode.INVALID_PHONE: "phone",
    ErrorCode.MEMBER_DELETED: "phone",
    ErrorCode.INVALID_NAME: "first_name",
    ErrorCode.AGENT_NOT_FOUND: "agent_code",
}


def _refused(error: LoyaltyError, fields: dict[ErrorCode, str]) -> ApiError:
    return ApiError.refused(error, fields.get(error.code))


async def _member_view(member: Member, call: Call) -> dict[str, Any]:
    config = await current_config()
    tier = next((t for t in config.tiers if t.id == member.tier_id), None)
    card = await members.active_card(member.id)
    offered = await rewards.catalog(now=call.now, branch_id=call.key.branch_id, config=config)
    affordable = await rewards.affordable(member, offered=offered, config=config)
    return {
        "id": member.id,
        "first_name": member.first_name,
        "last_name": member.last_name,
        "card": card.number,
        "balance": member.balance,
        "tier": None
        if tier is None
        else {
            "code": tier.code,
            "name": tier_name(tier.code, tier.name, call.locale),
            "discount_percent": tier.discount_percent,
        },
        "rewards": [
            {"id": reward.id, "name": reward.name, "cost": reward.cost} for reward in affordable
        ],
    }


async def get_member(request: web.Request, call: Call) -> web.Response:
    reference = request.match_info["reference"]
    try:
        member = await members.find_member(reference)
    except LoyaltyError as error:
        raise ApiError.refused(error, "phone_or_card") from None
    return json_response({"member": await _member_view(member, call)})


async def record_purchase(request: web.Request, call: Call) -> web.Response:
    body = await read_json(request)
    no_other_fields(
        body, {"receipt", "amount", "member", "group_id", "lines", "gift_card", "promo_code"}
    )
    receipt = text_field(body, "receipt")
    reference = text_field(body, "member", required=False)
    promo_code = text_field(body, "promo_code", required=False)
    sale = purchase_body.priced(body, await current_config())
    gift = purchase_body.gift_part(body, sale.amount)
    if gift is not None and Scope.GIFT_CARDS not in api_keys.scopes_of(call.key):
        raise ApiError(403, "forbidden_scope", scope=Scope.GIFT_CARDS.value)
    assert receipt is not None
    # With lines, what the rules say of the amount (too large, below the minimum) is of them.
    fields = PURCHASE_FIELDS
    if sale.lines:
        fields = {code: "lines" if f == "amount" else f for code, f in PURCHASE_FIELDS.items()}

    async def work() -> tuple[int, dict[str, Any]]:
        if gift is None:
            return await _purchase(call, receipt, reference, sale, fields, promo_code)
        # The card pays only for a purchase recorded, and a purchase is recorded only
        # with its card's payment: one transaction, so a refusal of either leaves neither.
        async with in_transaction():
            movement = await api_giftcards.spend(
                call, gift.code, gift.amount, receipt, prefix="gift_card."
            )
            _, answer = await _purchase(call, receipt, reference, sale, fields, promo_code)
            if answer.get("replayed") and not movement.replayed:
                # The receipt was recorded before without this card's payment.
                raise ApiError(422, "already_recorded", field="receipt")
            if gift.amount > answer["payable"]:
                # The discounts left less to pay than the card was to pay.
                raise ApiError(422, "gift_card_over_amount", field="gift_card.amount")
        return 201, answer | {
            "paid_by_gift_card": gift.amount,
            "payable": answer["payable"] - gift.amount,
            "gift_card": api_giftcards.card_view(movement.card, movement.currency, call.now)
            | {"balance": movement.balance},
        }

    return await once(
        request, call, canonical(body), work, default_key=f"receipt:{receipt}", key_field="receipt"
    )


async def _purchase(
    call: Call,
    receipt: str,
    reference: str | None,
    sale: purchase_body.Priced,
    fields: dict[ErrorCode, str],
    promo_code: str | None = None,
) -> tuple[int, dict[str, Any]]:
    amount = sale.amount
    unpaid = {"paid_by_gift_card": 0, "payable": amount, "discount": 0, "discounts": []}
    try:
        if reference is None:
            # Nobody to give points to: the till learns that, and nothing is stored.
            earning.check_amount(amount, (await current_config()).rules)
            return 200, {
                "receipt": receipt,
                "amount": amount,
                "points": 0,
                "member": None,
            } | unpaid
        member = await members.find_member(reference)
        recorded = await till.record_purchase(
            member,
            amount,
            receipt=receipt,
            branch_id=call.key.branch_id,
            group_id=sale.group_id,
            lines=sale.lines,
            promo_code=promo_code,
            now=call.now,
            tz=call.tz,  # type: ignore[arg-type]
        )
    except LoyaltyError as error:
        raise _refused(error, fields) from None
    result, quote = recorded.result, recorded.quote
    earlier = result.purchase
    if result.replayed and (earlier.amount, earlier.member_id) != (amount, member.id):
        # Recorded before by another door or under another Idempotency-Key.
        raise ApiError(422, "already_recorded", field="receipt")
    fresh = await members.get_member(member.id)
    return 201, {
        "receipt": receipt,
        "amount": amount,
        "points": result.points,
        "balance": result.balance,
        "replayed": result.replayed,
        "member": await _member_view(fresh, call),
        "paid_by_gift_card": 0,
        "payable": quote.payable,
        "discount": quote.discount,
        "discounts": _discounts(quote),
    }


def _discounts(quote: till.Quote) -> list[dict[str, Any]]:
    """Each discount of a purchase with its reason, as a till shows it on the receipt."""
    shown: list[dict[str, Any]] = [
        {"kind": line.kind.value, "percent": f"{line.percent.normalize():f}", "amount": line.amount}
        for line in quote.priced.lines
    ]
    if quote.promo is not None and quote.promo.discount:
        shown.append(
            {"kind": "promo", "code": quote.promo.promo.code, "amount": quote.promo.discount}
        )
    return shown


async def refund_purchase(request: web.Request, call: Call) -> web.Response:
    receipt = request.match_info["receipt"]
    body = await read_json(request)
    no_other_fields(body, {"amount"})
    amount = int_field(body, "amount", required=False)

    async def work() -> tuple[int, dict[str, Any]]:
        # The ledger's key of this refund: the till's own key, under this API key.
        seed = f"{call.key.id}:{request.headers['Idempotency-Key']}"
        key = "api-refund:" + hashlib.sha256(seed.encode()).hexdigest()[:40]
        try:
            result = await earning.refund_purchase(
                receipt, amount, branch_id=call.key.branch_id, key=key, now=call.now
            )
        except LoyaltyError as error:
            raise _refused(error, PURCHASE_FIELDS) from None
        return 200, {
            "receipt": result.purchase.receipt,
            "refunded_amount": result.purchase.refunded_amount,
            "points_reversed": result.points_reversed,
            "balance": result.balance,
        }

    return await once(request, call, canonical(body), work)


def _voucher_view(voucher: Voucher) -> dict[str, Any]:
    reward = voucher.reward
    return {
        "code": voucher.code,
        "status": voucher.status.value,
        "expires_at": voucher.expires_at.isoformat(),
        "used_at": voucher.used_at.isoformat() if voucher.used_at else None,
        "reward": {
            "id": reward.id,
            "name": reward.name,
            "kind": reward.kind.value,
            "value": reward.value,
        },
    }


def _voucher_code(request: web.Request) -> str:
    code = request.match_info["code"]
    if len(code) > 32 or not code.isprintable():
        raise ApiError(422, "invalid_field", field="code")
    return code


async def validate_voucher(request: web.Request, call: Call) -> web.Response:
    code = _voucher_code(request)
    no_other_fields(await read_json(request), set())
    try:
        voucher = await rewards.check_voucher(code, branch_id=call.key.branch_id, now=call.now)
    except LoyaltyError as error:
        raise ApiError.refused(error, "code") from None
    return json_response({"voucher": _voucher_view(voucher)})


async def redeem_voucher(request: web.Request, call: Call) -> web.Response:
    code = _voucher_code(request)
    body = await read_json(request)
    no_other_fields(body, set())

    async def work() -> tuple[int, dict[str, Any]]:
        try:
            voucher = await rewards.use_voucher(code, branch_id=call.key.branch_id, now=call.now)
        except LoyaltyError as error:
            raise ApiError.refused(error, "code") from None
        await voucher.fetch_related("reward")
        return 200, {"voucher": _voucher_view(voucher)}

    return await once(request, call, canonical(body), work, default_key=f"voucher:{code.upper()}")


async def join_member(request: web.Request, call: Call) -> web.Response:
    body = await read_json(request)
    no_other_fields(body, {"phone", "first_name", "last_name", "locale", "agent_code"})
    phone = text_field(body, "phone", max_length=32)
    first = text_field(body, "first_name", required=False) or ""
    last = text_field(body, "last_name", required=False) or ""
    locale = text_field(body, "locale", required=False) or call.locale
    agent_code = text_field(body, "agent_code", required=False, max_length=32)
    if locale not in SUPPORTED_LOCALES:
        raise ApiError(422, "invalid_field", field="locale")
    assert phone is not None

    async def work() -> tuple[int, dict[str, Any]]:
        try:
            joined = await members.register_member(
                phone,
                first_name=first,
                last_name=last,
                locale=locale,
                branch_id=call.key.branch_id,
                agent_code=agent_code,
                channel=Channel.SMS,
                now=call.now,
            )
        except LoyaltyError as error:
            raise _refused(error, JOIN_FIELDS) from None
        member = joined.member
        if joined.created:
            await _welcome(member, joined.bonus, call)
        return 201 if joined.created else 200, {
            "created": joined.created,
            "bonus": joined.bonus,
            "member": await _member_view(member, call),
        }

    return await once(
        request, call, canonical(body), work, default_key=f"join:{phone}", key_field="phone"
    )


async def _welcome(member: Member, bonus: int, call: Call) -> None:
    """The welcome the SMS door gives, by SMS through the outbox, once per member."""
    locale = member.locale
    card = (await members.active_card(member.id)).number
    card = to_persian_digits(card) if locale == "fa" else card
    if bonus > 0:
        text = t(JOINED, locale, card=card, points=number(bonus, locale))
    else:
        text = t(JOINED_NO_BONUS, locale, card=card)
    assert member.phone is not None
    with suppress(IntegrityError):  # queued by an earlier attempt of this request
        await notify.enqueue_sms_reply(
            member.phone, text, f"api-welcome:{member.id}", member_id=member.id, now=call.now
        )


ROUTES: list[tuple[str, str, Scope, Endpoint]] = [
    ("GET", "/members/{reference}", Scope.MEMBERS_READ, get_member),
    ("POST", "/members", Scope.MEMBERS_WRITE, join_member),
    ("POST", "/purchases", Scope.PURCHASES_WRITE, record_purchase),
    ("POST", "/purchases/{receipt}/refund", Scope.PURCHASES_WRITE, refund_purchase),
    ("POST", "/vouchers/{code}/validate", Scope.VOUCHERS_REDEEM, validate_voucher),
    ("POST", "/vouchers/{code}/redeem", Scope.VOUCHERS_REDEEM, redeem_voucher),
    ("GET", "/giftcards/{code}", Scope.GIFT_CARDS, get_gift_card),
    ("POST", "/giftcards/{code}/spend", Scope.GIFT_CARDS, spend_gift_card),
    ("POST", "/giftcards/{code}/refund", Scope.GIFT_CARDS, refund_gift_card),
]

__all__ = ["MAX_BODY", "ROUTES"]
