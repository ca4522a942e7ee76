"""Gift cards through the HTTP API as a till uses them: real HTTP, SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from aiohttp import ClientSession, web

from bot.app import serving
from bot.settings import Settings
from handlers.api import add_api_routes
from loyalty import api_keys, giftcards
from loyalty.clock import utcnow
from loyalty.codes import show_gift_card_code
from models import AuditEntry, GiftCard, GiftCardEntry, GiftCardKind, Staff, StaffRole
from tests.helpers import free_port
from tests.test_api import ALL, Till, _till, error

GIFT = ALL + ",giftcards"


@pytest.fixture
async def till(any_db: str) -> AsyncIterator[Till]:
    async for till in _till():
        till.key = (await api_keys.create_key(1, GIFT, "till-gift")).secret
        yield till


async def _card(amount: int, *, member: str | None = None) -> str:
    staff = await Staff.create(telegram_id=3000, role=StaffRole.CASHIER, created_at=utcnow())
    return (await giftcards.sell(staff, amount, member, request="sale")).card.code


async def _balance(code: str) -> int:
    card = await GiftCard.get(code=code)
    entries = await GiftCardEntry.filter(card_id=card.id).values_list("amount", flat=True)
    assert sum(entries) == card.balance  # the cache and the ledger agree
    return card.balance


async def test_a_card_is_read_without_its_holder(till: Till) -> None:
    code = await _card(150_000, member="09121234567")
    shown = show_gift_card_code(code)
    status, body, _ = await till.call("GET", "/giftcards/" + shown.lower())
    assert (status, body) == (
        200,
        {
            "gift_card": {
                "code": shown,
                "balance": 150_000,
                "currency": "toman",
                "status": "active",
                "expires_at": None,
            }
        },
    )
    await GiftCard.filter(code=code).update(expires_at=utcnow() - timedelta(days=1))
    status, body, _ = await till.call("GET", "/giftcards/" + code)
    assert body["gift_card"]["status"] == "expired"
    status, body, _ = await till.call("GET", "/giftcards/" + code[:-1], language="fa")
    assert (status, body["error"]["code"], body["error"]["field"]) == (
        422,
        "invalid_gift_code",
        "code",
    )


async def test_only_a_key_with_the_giftcards_scope_may_use_cards(till: Till) -> None:
    code = await _card(50_000)
    other = (await api_keys.create_key(1, ALL, "no-gift")).secret
    expected = error(
        "forbidden_scope", "This API key may not do this: it needs the scope giftcards."
    )
    assert (await till.call("GET", "/giftcards/" + code, key=other))[:2] == (403, expected)
    for path in ["spend", "refund"]:
        spent = {"amount": 1000, "receipt": "R1"}
        status, body, _ = await till.call(
            "POST", f"/giftcards/{code}/{path}", key=other, json=spent
        )
        assert (status, body) == (403, expected)
    assert await _balance(code) == 50_000


async def test_a_partial_spend_leaves_the_rest_and_a_replay_spends_once(till: Till) -> None:
    code = await _card(100_000)
    spend = {"amount": 30_000, "receipt": "R1"}
    first = await till.call("POST", f"/giftcards/{code}/spend", json=spend)
    assert first[:2] == (
        200,
        {
            "receipt": "R1",
            "amount": 30_000,
            "replayed": False,
            "gift_card": {
                "code": show_gift_card_code(code),
                "balance": 70_000,
                "currency": "toman",
                "status": "active",
                "expires_at": None,
            },
        },
    )
    # The same receipt again (lost answer), and under an Idempotency-Key: one spend.
    again = await till.call("POST", f"/giftcards/{code}/spend", json=spend)
    assert again[:2] == first[:2] and again[2]["Idempotent-Replayed"] == "true"
    keyed = {"amount": 20_000, "receipt": "R2"}
    headers = {"Idempotency-Key": "k-7"}
    one = await till.call("POST", f"/giftcards/{code}/spend", json=keyed, headers=headers)
    two = await till.call("POST", f"/giftcards/{code}/spend", json=keyed, headers=headers)
    assert one[0] == two[0] == 200 and one[1] == two[1]
    assert one[1]["gift_card"]["balance"] == 50_000
    # The receipt with another amount is not the same spend: refused, nothing moves.
    status, body, _ = await till.call(
        "POST", f"/giftcards/{code}/spend", json={"amount": 5_000, "receipt": "R1"}
    )
    assert (status, body["error"]["code"], body["error"]["field"]) == (
        422,
        "already_recorded",
        "receipt",
    )
    assert await _balance(code) == 50_000
    audit = await AuditEntry.filter(action="giftcard_spend").values_list("actor", flat=True)
    assert audit == [f"api:{(await api_keys.authenticate(till.key)).id}"] * 2  # type: ignore[union-attr]


async def test_more_than_the_balance_is_refused_with_the_balance(till: Till) -> None:
    code = await _card(40_000)
    spend = {"amount": 45_000, "receipt": "R1"}
    status, body, _ = await till.call("POST", f"/giftcards/{code}/spend", json=spend)
    assert (status, body) == (
        422,
        error(
            "gift_card_balance",
            "Not enough on the gift card: it holds 40,000 toman.",
            "amount",
        ),
    )
    status, body, _ = await till.call("POST", f"/giftcards/{code}/spend", json=spend, language="fa")
    assert body["error"]["message"] == "موجودی کارت هدیه کافی نیست: ۴۰٬۰۰۰ تومان دارد."
    for bad, field in [
        ({"amount": 0, "receipt": "R1"}, "amount"),
        ({"amount": "10", "receipt": "R1"}, "amount"),
        ({"amount": 10}, "receipt"),
        ({"amount": 10, "receipt": "R1", "member": "x"}, "member"),
    ]:
        status, body, _ = await till.call("POST", f"/giftcards/{code}/spend", json=bad)
        assert (status, body["error"]["field"]) == (422, field), bad
    status, body, _ = await till.call(
        "POST", "/giftcards/" + "A" * 33 + "/spend", json={"amount": 1, "receipt": "R"}
    )
    assert (status, body["error"]["field"]) == (422, "code")
    assert await _balance(code) == 40_000


async def test_a_refund_goes_back_at_most_to_what_the_receipt_spent(till: Till) -> None:
    code = await _card(100_000)
    await till.call("POST", f"/giftcards/{code}/spend", json={"amount": 60_000, "receipt": "R1"})
    refund = {"amount": 25_000, "receipt": "R1"}
    status, body, _ = await till.call("POST", f"/giftcards/{code}/refund", json=refund)
    assert (status, body["error"]["code"]) == (400, "idempotency_key_required")
    headers = {"Idempotency-Key": "refund-1"}
    one = await till.call("POST", f"/giftcards/{code}/refund", json=refund, headers=headers)
    two = await till.call("POST", f"/giftcards/{code}/refund", json=refund, headers=headers)
    assert one[0] == two[0] == 200 and one[1] == two[1]
    assert one[1]["gift_card"]["balance"] == 65_000
    more = {"amount": 40_000, "receipt": "R1"}
    status, body, _ = await till.call(
        "POST", f"/giftcards/{code}/refund", json=more, headers={"Idempotency-Key": "refund-2"}
    )
    assert (status, body["error"]["code"], body["error"]["field"]) == (
        422,
        "gift_refund_too_large",
        "amount",
    )
    assert await _balance(code) == 65_000
    kinds = await GiftCardEntry.all().order_by("id").values_list("kind", "amount")
    assert kinds == [
        (GiftCardKind.ISSUE, 100_000),
        (GiftCardKind.SPEND, -60_000),
        (GiftCardKind.REFUND, 25_000),
    ]


async def test_twenty_spends_at_once_never_overdraw_the_card(till: Till) -> None:
    code = await _card(100_000)
    answers = await asyncio.gather(
        *(
            till.call(
                "POST", f"/giftcards/{code}/spend", json={"amount": 7_000, "receipt": f"R{i}"}
            )
            for i in range(20)  # 140,000 together: 14 fit
        )
    )
    statuses = sorted(status for status, _, _ in answers)
    assert statuses == [200] * 14 + [422] * 6
    refused = {body["error"]["code"] for status, body, _ in answers if status == 422}
    assert refused == {"gift_card_balance"}
    assert await _balance(code) == 2_000
    assert await GiftCardEntry.filter(kind=GiftCardKind.SPEND).count() == 14


async def test_the_access_log_does_not_show_a_card_code(
    any_db: str, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(_env_file=None, web_port=free_port())
    app = web.Application()
    add_api_routes(app)
    code = await _card(10_000)
    key = (await api_keys.create_key(1, "giftcards", "till")).secret
    caplog.set_level(logging.INFO)
    base = f"http://{settings.web_host}:{settings.web_port}/api/v1/giftcards/"
    async with serving(app, settings), ClientSession() as session:
        headers = {"Authorization": f"Bearer {key}"}
        for path in [code, show_gift_card_code(code) + "/spend"]:
            async with session.get(base + path, headers=headers) as response:
                assert response.status in (200, 405)
    access = [r.getMessage() for r in caplog.records if r.name == "aiohttp.access"]
    assert len(access) == 2 and '"GET /api/v1/giftcards/***"' in access[0]
    assert code not in caplog.text and show_gift_card_code(code)[:9] not in caplog.text
