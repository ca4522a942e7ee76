"""The HTTP API as a till uses it: real HTTP on 127.0.0.1, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from handlers.api import add_api_routes
from handlers.api.body import MAX_BODY
from handlers.api.limits import MemoryKeyLimiter
from loyalty import api_keys, members, rewards
from models import (
    ApiRequest,
    Branch,
    Channel,
    LedgerEntry,
    OutboxMessage,
    Purchase,
    Reward,
    Voucher,
    VoucherStatus,
)

PHONE = "09121234567"
ALL = "members:read,members:write,purchases:write,vouchers:redeem"


@dataclass
class Till:
    client: TestClient
    key: str  # every scope, branch 1
    other_branch: str  # every scope, branch 2
    card: str

    async def call(
        self,
        method: str,
        path: str,
        *,
        key: str | None = None,
        json: Any = None,
        data: bytes | str | None = None,
        headers: dict[str, str] | None = None,
        language: str = "en",
    ) -> tuple[int, dict[str, Any], Any]:
        sent = {"Authorization": f"Bearer {key or self.key}", "Accept-Language": language}
        response = await self.client.request(
            method, "/api/v1" + path, json=json, data=data, headers={**sent, **(headers or {})}
        )
        return response.status, await response.json(), response.headers


async def _till(limiter: MemoryKeyLimiter | None = None) -> AsyncIterator[Till]:
    app = web.Application()
    add_api_routes(app, limiter=limiter or MemoryKeyLimiter(10_000, 10_000))
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    await Branch.create(name="North")
    key = (await api_keys.create_key(1, ALL, "till1")).secret
    other = (await api_keys.create_key(2, ALL, "north1")).secret
    joined = await members.register_member(PHONE, first_name="Ali", last_name="Rezaei")
    card = (await members.active_card(joined.member.id)).number
    try:
        yield Till(client, key, other, card)
    finally:
        await client.close()


@pytest.fixture
async def till(any_db: str) -> AsyncIterator[Till]:
    async for till in _till():
        yield till


def error(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if field is not None:
        body["field"] = field
    return {"error": body}


MEMBER = {
    "id": 1,
    "first_name": "Ali",
    "last_name": "Rezaei",
    "balance": 20,
    "tier": {"code": "bronze", "name": "Bronze", "discount_percent": 0},
    "rewards": [],
}


async def test_a_member_is_looked_up_by_phone_or_card_without_private_details(till: Till) -> None:
    await Reward.create(name="Coffee", cost=20)
    await Reward.create(name="Cake", cost=50)
    coffee = [{"id": 1, "name": "Coffee", "cost": 20}]
    expected = {"member": {**MEMBER, "card": till.card, "rewards": coffee}}
    assert (await till.call("GET", "/members/" + PHONE))[:2] == (200, expected)
    assert (await till.call("GET", "/members/" + till.card))[:2] == (200, expected)
    assert (await till.call("GET", "/members/%2B989121234567"))[:2] == (200, expected)
    status, body, _ = await till.call("GET", "/members/09129999999", language="fa")
    assert (status, body) == (
        404,
        error(
            "member_not_found", "عضوی با این شماره تلفن یا شماره کارت پیدا نشد.", "phone_or_card"
        ),
    )
    status, body, _ = await till.call("GET", "/members/12", language="en-US,fa;q=0.5")
    assert (status, body) == (
        422,
        error("invalid_phone", "That is not a valid mobile number.", "phone_or_card"),
    )


async def test_a_replaced_card_is_refused_as_replaced(till: Till) -> None:
    member = await members.find_member(PHONE)
    await members.replace_card(member.id)
    status, body, _ = await till.call("GET", "/members/" + till.card)
    assert (status, body) == (
        404,
        error(
            "card_replaced",
            f"Card {till.card} was replaced by a new card and no longer works.",
            "phone_or_card",
        ),
    )


async def test_wrong_revoked_scopeless_and_other_branch_keys_are_refused(till: Till) -> None:
    unauthorized = error("unauthorized", "Send a valid API key: Authorization: Bearer <key>.")
    for key in ["-", "club_00000000_nope", till.key + "x", till.key.upper()]:
        status, body, headers = await till.call("GET", "/members/" + PHONE, key=key)
        assert (status, body, headers["WWW-Authenticate"]) == (401, unauthorized, "Bearer")
    no_bearer = await till.client.get(
        "/api/v1/members/" + PHONE, headers={"Authorization": till.key}
    )
    assert no_bearer.status == 401
    reader = await api_keys.create_key(1, "members:read", "reader")
    status, body, _ = await till.call(
        "POST", "/purchases", key=reader.secret, json={"receipt": "R1", "amount": 100_000}
    )
    assert (status, body) == (
        403,
        error(
            "forbidden_scope", "This API key may not do this: it needs the scope purchases:write."
        ),
    )
    status, body, _ = await till.call(
        "POST", "/vouchers/ABC/redeem", key=reader.secret, language="fa"
    )
    assert (status, body) == (
        403,
        error(
            "forbidden_scope",
            "این کلید API اجازهٔ این کار را ندارد: دسترسی vouchers:redeem لازم است.",
        ),
    )
    for path in ["/members", "/purchases/R1/refund", "/vouchers/ABC/validate"]:
        assert (await till.call("POST", path, key=reader.secret, json={}))[0] == 403
    await api_keys.revoke_key(reader.key.id)
    assert (await till.call("GET", "/members/" + PHONE, key=reader.secret))[:2] == (
        401,
        unauthorized,
    )
    # A purchase recorded at branch 1 is not found by the key of branch 2 ...
    purchase = {"receipt": "R1", "amount": 100_000, "member": PHONE}
    assert (await till.call("POST", "/purchases", json=purchase))[0] == 201
    status, body, _ = await till.call(
        "POST", "/purchases/R1/refund", key=till.other_branch, headers={"Idempotency-Key": "k1"}
    )
    assert (status, body["error"]["code"], body["error"]["field"]) == (
        404,
        "purchase_not_found",
        "receipt",
    )
    # ... nor is a voucher for branch 1's reward used there ...
    reward = await Reward.create(name="Coffee", cost=0, branch_id=1)
    voucher = (await rewards.grant_voucher(1, reward.id, key="gift")).voucher
    for action in ["validate", "redeem"]:
        status, body, _ = await till.call(
            "POST", f"/vouchers/{voucher.code}/{action}", key=till.other_branch
        )
        assert (status, body) == (
            403,
            error("reward_wrong_branch", "This voucher is for another branch.", "code"),
        )
    # ... and a closed branch's key does nothing at all.
    await Branch.filter(id=2).update(active=False)
    status, body, _ = await till.call("GET", "/members/" + PHONE, key=till.other_branch)
    assert (status, body) == (
        403,
        error("branch_inactive", "The branch of this API key is closed."),
    )
    assert await Purchase.all().count() == 1
    assert (await Voucher.get(id=voucher.id)).status is VoucherStatus.ISSUED


async def test_a_purchase_replayed_with_its_receipt_or_key_is_recorded_once(till: Till) -> None:
    purchase = {"receipt": "R-100", "amount": 250_000, "member": till.card}
    status, first, _ = await till.call("POST", "/purchases", json=purchase)
    assert (status, first["points"], first["balance"], first["replayed"]) == (201, 25, 45, False)
    assert first["member"]["card"] == till.card
    status, again, headers = await till.call(
        "POST", "/purchases", json=dict(reversed(purchase.items()))
    )
    assert (status, again, headers["Idempotent-Replayed"]) == (201, first, "true")
    status, body, _ = await till.call("POST", "/purchases", json={**purchase, "amount": 260_000})
    assert (status, body) == (
        422,
        error(
            "already_recorded",
            "A different request with the same receipt was made before.",
            "receipt",
        ),
    )
    elsewhere = {**purchase, "member": PHONE, "amount": 250_000}
    status, body, _ = await till.call(
        "POST", "/purchases", json=elsewhere, headers={"Idempotency-Key": "other"}
    )
    assert (status, body) == (201, {**first, "replayed": True})  # the receipt decides
    # Twenty tills' retries of one purchase at once, under one key: one purchase.
    keyed = {"receipt": "R-101", "amount": 100_000, "member": PHONE}
    answers = await asyncio.gather(
        *(
            till.call("POST", "/purchases", json=keyed, headers={"Idempotency-Key": "p-101"})
            for _ in range(20)
        )
    )
    done = [body for status, body, _ in answers if status == 201]
    assert done and all(body == done[0] for body in done)
    assert {status for status, _, _ in answers} <= {201, 409}
    assert done[0]["points"] == 10 and done[0]["balance"] == 55
    assert await Purchase.filter(receipt="R-101").count() == 1
    assert await LedgerEntry.filter(purchase__receipt="R-101").count() == 1
    # Without a member the purchase earns nothing and nothing is stored.
    status, body, _ = await till.call(
        "POST", "/purchases", json={"receipt": "R-102", "amount": 5_000}
    )
    assert (status, body) == (
        200,
        {
            "receipt": "R-102",
            "amount": 5_000,
            "points": 0,
            "member": None,
            "paid_by_gift_card": 0,
            "payable": 5_000,
            "discount": 0,
            "discounts": [],
        },
    )
    assert await Purchase.all().count() == 2


async def test_refunds_need_a_key_and_take_back_once(till: Till) -> None:
    purchase = {"receipt": "R-7", "amount": 300_000, "member": PHONE}
    assert (await till.call("POST", "/purchases", json=purchase))[0] == 201
    status, body, _ = await till.call("POST", "/purchases/R-7/refund", json={"amount": 100_000})
    assert (status, body) == (
        400,
        error(
            "idempotency_key_required",
            "This request needs an Idempotency-Key header.",
            "Idempotency-Key",
        ),
    )
    partial = {"amount": 100_000}
    key = {"Idempotency-Key": "refund-1"}
    status, first, _ = await till.call("POST", "/purchases/R-7/refund", json=partial, headers=key)
    assert (status, first) == (
        200,
        {"receipt": "R-7", "refunded_amount": 100_000, "points_reversed": 10, "balance": 40},
    )
    answers = await asyncio.gather(
        *(till.call("POST", "/purchases/R-7/refund", json=partial, headers=key) for _ in range(5))
    )
    assert [a[:2] for a in answers if a[0] == 200] == [(200, first)] * len(
        [a for a in answers if a[0] == 200]
    )
    status, rest, _ = await till.call(
        "POST", "/purchases/R-7/refund", headers={"Idempotency-Key": "refund-2"}
    )
    assert (status, rest["refunded_amount"], rest["points_reversed"], rest["balance"]) == (
        200,
        300_000,
        20,
        20,
    )
    status, body, _ = await till.call(
        "POST", "/purchases/R-7/refund", headers={"Idempotency-Key": "refund-3"}
    )
    assert (status, body["error"]["code"]) == (409, "already_refunded")
    assert await LedgerEntry.filter(kind="refund").count() == 2


async def test_fifty_concurrent_redemptions_of_one_voucher_give_one(till: Till) -> None:
    reward = await Reward.create(name="Coffee", cost=0)
    voucher = (await rewards.grant_voucher(1, reward.id, key="gift")).voucher
    status, body, _ = await till.call("POST", f"/vouchers/{voucher.code.lower()}/validate")
    assert (status, body["voucher"]["status"], body["voucher"]["reward"]["name"]) == (
        200,
        "issued",
        "Coffee",
    )
    answers = await asyncio.gather(
        *(
            till.call(
                "POST",
                f"/vouchers/{voucher.code}/redeem",
                headers={"Idempotency-Key": f"till-{n}"},
            )
            for n in range(50)
        )
    )
    statuses = sorted(status for status, _, _ in answers)
    assert statuses == [200] + [409] * 49
    assert {body["error"]["code"] for status, body, _ in answers if status == 409} == {
        "voucher_used"
    }
    assert (await Voucher.get(id=voucher.id)).status is VoucherStatus.USED
    assert await OutboxMessage.filter(template="voucher_used").count() == 1
    status, body, _ = await till.call("POST", f"/vouchers/{voucher.code}/validate")
    assert (status, body) == (
        409,
        error("voucher_used", "This voucher has already been used.", "code"),
    )
    assert (await till.call("POST", "/vouchers/NOPE2345/redeem"))[:2] == (
        404,
        error("voucher_not_found", "No voucher with that code.", "code"),
    )


async def test_joining_by_phone_sends_the_welcome_by_sms_once(till: Till) -> None:
    new = {"phone": "۰۹۱۳۱۱۱۲۲۲۳", "first_name": "Sara", "locale": "en"}
    status, first, _ = await till.call("POST", "/members", json=new)
    assert (status, first["created"], first["bonus"], first["member"]["balance"]) == (
        201,
        True,
        20,
        20,
    )
    card = first["member"]["card"]
    welcome = await OutboxMessage.get(member_id=first["member"]["id"])
    assert (welcome.channel, welcome.phone, welcome.params) == (
        Channel.SMS,
        "+989131112223",
        {"text": f"Welcome! Card {card}, 20 points gift. Send HELP for keywords."},
    )
    assert (await till.call("POST", "/members", json=new))[:2] == (201, first)
    status, known, _ = await till.call("POST", "/members", json={"phone": PHONE})
    assert (status, known["created"], known["member"]["first_name"]) == (200, False, "Ali")
    assert await OutboxMessage.filter(phone__not_isnull=True).count() == 1
    status, body, _ = await till.call("POST", "/members", json={"phone": "12345"}, language="fa")
    assert (status, body["error"]["code"], body["error"]["field"]) == (
        422,
        "invalid_phone",
        "phone",
    )
    assert (await till.call("POST", "/members", json={"phone": PHONE, "locale": "de"}))[0] == 422


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        (b"{", 400, "invalid_json", None),
        (b"[1, 2]", 400, "not_an_object", None),
        (b'"text"', 400, "not_an_object", None),
        (b'{"receipt": "R1"}', 422, "missing_field", "amount"),
        (b'{"receipt": "R1", "amount": "100000"}', 422, "invalid_field", "amount"),
        (b'{"receipt": "R1", "amount": 1000.5}', 422, "invalid_field", "amount"),
        (b'{"receipt": "R1", "amount": true}', 422, "invalid_field", "amount"),
        (b'{"receipt": "R1", "amount": -5}', 422, "invalid_field", "amount"),
        (b'{"receipt": "R1", "amount": 10000000000000000000000}', 422, "invalid_field", "amount"),
        (b'{"receipt": 17, "amount": 1000}', 422, "invalid_field", "receipt"),
        (b'{"receipt": "", "amount": 1000}', 422, "invalid_field", "receipt"),
        (b'{"receipt": "R1", "amount": 1000, "member": ["0912"]}', 422, "invalid_field", "member"),
        (b'{"receipt": "R1", "amount": 1000, "amont": 5}', 422, "invalid_field", "amont"),
        (b'{"receipt": "R1", "amount": 2000000000}', 422, "amount_too_large", "amount"),
        (b'{"receipt": "R1", "amount": 1000, "member": "0912"}', 422, "invalid_phone", "member"),
        (b'{"receipt": "R1", "amount": 1000, "group_id": 9}', 404, "group_not_found", "group_id"),
    ],
)
async def test_malformed_or_wrong_input_is_refused_and_changes_nothing(
    till: Till, body: bytes, status: int, code: str, field: str | None
) -> None:
    if b'"member"' not in body and code in ("group_not_found",):
        body = body[:-1] + b', "member": "09121234567"}'
    got, answer, _ = await till.call(
        "POST", "/purchases", data=body, headers={"Content-Type": "application/json"}
    )
    assert (got, answer["error"]["code"], answer["error"].get("field")) == (status, code, field)
    assert answer["error"]["message"]
    assert await Purchase.all().count() == 0
    assert await ApiRequest.filter(status__not_isnull=True).count() == 0


async def test_huge_bodies_and_other_media_types_are_refused(till: Till) -> None:
    huge = b'{"receipt": "R1", "amount": 1000, "member": "' + b"9" * MAX_BODY + b'"}'
    status, body, _ = await till.call(
        "POST", "/purchases", data=huge, headers={"Content-Type": "application/json"}
    )
    assert (status, body["error"]["code"]) == (413, "body_too_large")

    async def chunks():
        yield b'{"receipt": "R1", "amount": 1000, "member": "'
        for _ in range(MAX_BODY // 1024 + 1):
            yield b"9" * 1024
        yield b'"}'

    chunked = await till.client.post(
        "/api/v1/purchases",
        data=chunks(),
        headers={"Authorization": f"Bearer {till.key}", "Content-Type": "application/json"},
    )
    assert (chunked.status, (await chunked.json())["error"]["code"]) == (413, "body_too_large")
    status, body, _ = await till.call("POST", "/purchases", data="receipt=R1&amount=1000")
    assert (status, body["error"]["code"]) == (415, "unsupported_media_type")
    status, body, _ = await till.call("GET", "/nowhere")
    assert (status, body) == (404, error("not_found", "There is nothing at this address."))
    status, body, _ = await till.call("DELETE", "/purchases")
    assert (status, body["error"]["code"]) == (405, "method_not_allowed")
    status, body, _ = await till.call(
        "POST",
        "/purchases",
        json={"receipt": "R1", "amount": 1},
        headers={"Idempotency-Key": "x" * 121},
    )
    assert (status, body["error"]["field"]) == (400, "Idempotency-Key")
    assert await Purchase.all().count() == 0


async def test_a_key_over_its_rate_waits(db: str) -> None:
    now = [100.0]
    async for till in _till(MemoryKeyLimiter(2, 3, clock=lambda: now[0])):
        for _ in range(3):
            assert (await till.call("GET", "/members/" + PHONE))[0] == 200
        status, body, headers = await till.call("GET", "/members/" + PHONE)
        assert (status, body, headers["Retry-After"]) == (
            429,
            error("rate_limited", "Too many requests: try again in 1 seconds."),
            "1",
        )
        status, body, _ = await till.call("GET", "/members/" + PHONE, language="fa")
        assert (status, body["error"]["message"]) == (
            429,
            "درخواست‌ها بیش از حد است: ۱ ثانیهٔ دیگر دوباره بفرستید.",
        )
        assert (await till.call("GET", "/members/" + PHONE, key=till.other_branch))[0] == 200
        now[0] += 0.5
        assert (await till.call("GET", "/members/" + PHONE))[0] == 200
