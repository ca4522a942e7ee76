"""POST /api/v1/purchases prices a purchase as /earn does: the owner's discounts, a promo
code, the amount to pay, and points on what is paid."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from loyalty import campaigns
from loyalty.staff.discount_rules import add_spend_level
from loyalty.staff.promo_codes import PromoSpec, add_batch, add_promo
from models import Member, PromoCode, PromoUse, Staff, StaffRole
from tests.conftest import NOW
from tests.helpers import member as make_member
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


async def test_a_campaign_code_of_another_member_is_refused_and_a_refund_gives_it_back(
    till: Till,
) -> None:
    other = await make_member(NOW, phone="09120000002", telegram_id=600_002)
    owner = await Staff.get(telegram_id=1)
    campaign = await campaigns.create({}, "sms", "Show {code}", now=NOW, status="draft")
    await add_batch(owner, PromoSpec("SPRING", "amount", Decimal(5000)), campaign.id, now=NOW)
    await campaigns.confirm(campaign.id, send_at=NOW)
    await campaigns.run_due(NOW)
    code = (await PromoCode.get(member_id=other.id)).code
    mine = {"receipt": "R1", "amount": 100_000, "member": PHONE, "promo_code": code}
    status, body, _ = await till.call("POST", "/purchases", json=mine)
    assert (status, body["error"]["code"], body["error"]["field"]) == (
        422,
        "promo_not_yours",
        "promo_code",
    )
    theirs = {"receipt": "R2", "amount": 100_000, "member": "09120000002", "promo_code": code}
    assert (await till.call("POST", "/purchases", json=theirs))[1]["payable"] == 95_000
    assert (await PromoCode.get(code=code)).uses == 1
    refund = await till.call(
        "POST", "/purchases/R2/refund", json={}, headers={"Idempotency-Key": "refund-2"}
    )
    assert refund[0] == 200
    promo = await PromoCode.get(code=code)
    assert (promo.uses, promo.discount_total, promo.sales_total) == (0, 0, 0)
