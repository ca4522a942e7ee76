"""POST /api/v1/purchases prices a purchase as /earn does: the owner's discounts, a promo
code, the amount to pay, and points on what is paid."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from loyalty.staff.discount_rules import add_spend_level
from loyalty.staff.promo_codes import PromoSpec, add_promo
from models import Member, PromoUse, Staff, StaffRole
from tests.conftest import NOW
from tests.test_api import PHONE, Till, _till


@pytest.fixture
async def till(any_db: str) -> AsyncIterator[Till]:
    async for till in _till():
        owner = await Staff.create(telegram_id=1, role=StaffRole.OWNER, created_at=NOW)
        # The owner's rules, by the functions /discounts and /promo call.
        await add_spend_level(owner, 200_000, Decimal("10"), now=NOW)
        await add_promo(owner, PromoSpec("YALDA", "amount", Decimal("25000"), max_uses=1), now=NOW)
        yield till


async def test_a_purchase_is_priced_with_its_discounts_and_code(till: Till) -> None:
    status, body, _ = await till.call(
        "POST",
        "/purchases",
        json={"receipt": "R1", "amount": 300_000, "member": PHONE, "promo_code": "yalda"},
    )
    assert status == 201
    # 300,000 less 10% from 200,000 on (30,000) less the code's 25,000: 245,000 to pay,
    # 24 points on it at one point per 10,000.
    assert (body["discount"], body["payable"], body["points"], body["balance"]) == (
        55_000,
        245_000,
        24,
        44,
    )
    assert body["discounts"] == [
        {"kind": "spend", "percent": "10", "amount": 30_000},
        {"kind": "promo", "code": "YALDA", "amount": 25_000},
    ]
    # The same request again: the first answer, the code counted once.
    again = await till.call(
        "POST",
        "/purchases",
        json={"receipt": "R1", "amount": 300_000, "member": PHONE, "promo_code": "yalda"},
    )
    assert (again[0], again[1]["payable"], again[2]["Idempotent-Replayed"]) == (
        201,
        245_000,
        "true",
    )
    assert await PromoUse.all().count() == 1
    assert (await Member.get(phone="+989121234567")).balance == 44


async def test_a_code_used_up_refuses_the_purchase_and_says_why(till: Till) -> None:
    first = {"receipt": "R1", "amount": 100_000, "member": PHONE, "promo_code": "YALDA"}
    assert (await till.call("POST", "/purchases", json=first))[0] == 201
    second = {"receipt": "R2", "amount": 100_000, "member": PHONE, "promo_code": "YALDA"}
    status, body, _ = await till.call("POST", "/purchases", json=second)
    assert status == 422
    assert body["error"]["code"] == "promo_used_up"
    assert body["error"]["field"] == "promo_code"
    # Nothing of the second purchase was stored: 20 for joining, 7 for the first (75,000).
    assert (await Member.get(phone="+989121234567")).balance == 27


async def test_without_rules_that_apply_nothing_is_taken_off(till: Till) -> None:
    status, body, _ = await till.call(
        "POST", "/purchases", json={"receipt": "R1", "amount": 150_000, "member": PHONE}
    )
    assert status == 201
    assert (body["discount"], body["discounts"], body["payable"], body["points"]) == (
        0,
        [],
        150_000,
        15,
    )
