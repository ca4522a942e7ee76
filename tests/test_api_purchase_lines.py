"""POST /purchases with lines of product groups and with a gift card paying part of it:
real HTTP, SQLite and PostgreSQL, exact points and balances."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal

import pytest

from loyalty import api_keys, festivals
from loyalty.clock import utcnow
from models import GiftCard, GiftCardEntry, LedgerEntry, Member, ProductGroup, Purchase
from tests.helpers import set_rules
from tests.test_api import PHONE, Till, _till, error
from tests.test_api_giftcards import GIFT, _balance, _card


@pytest.fixture
async def till(any_db: str) -> AsyncIterator[Till]:
    async for till in _till():
        till.key = (await api_keys.create_key(1, GIFT, "till-gift")).secret
        yield till


async def _points(receipt: str) -> list[int]:
    return await LedgerEntry.filter(purchase__receipt=receipt).values_list("amount", flat=True)


async def test_lines_earn_each_group_at_its_multiplier_as_one_purchase(till: Till) -> None:
    coffee = await ProductGroup.create(name="Coffee", multiplier=Decimal("2"))
    lines = [
        {"amount": 100_000, "group_id": coffee.id},
        {"amount": 55_000},
        {"amount": 45_000, "group_id": None},
    ]
    purchase = {"receipt": "L-1", "member": PHONE, "lines": lines}
    status, body, _ = await till.call("POST", "/purchases", json=purchase)
    # 100,000 of coffee: 10 points × 2; 100,000 without a group: 10. The join bonus was 20.
    assert (status, body["amount"], body["points"], body["balance"]) == (201, 200_000, 30, 50)
    assert (body["paid_by_gift_card"], body["payable"]) == (0, 200_000)
    again = await till.call("POST", "/purchases", json=purchase)
    assert again[:2] == (201, body) and again[2]["Idempotent-Replayed"] == "true"
    recorded = await Purchase.get(receipt="L-1")
    assert (recorded.amount, recorded.points, recorded.product_group_id) == (200_000, 30, None)  # type: ignore[attr-defined]
    assert await _points("L-1") == [30]
    # Lines of one group are summed before rounding down: two 15,000 lines earn 3, not 2;
    # and the minimum purchase is the receipt's, not each group's.
    await set_rules(min_purchase=20_000)
    small = [{"amount": 15_000, "group_id": coffee.id}, {"amount": 15_000}, {"amount": 15_000}]
    status, body, _ = await till.call(
        "POST", "/purchases", json={"receipt": "L-2", "member": PHONE, "lines": small}
    )
    assert (status, body["points"], body["balance"]) == (201, 3 + 3, 56)
    one_group = [
        {"amount": 30_000, "group_id": coffee.id},
        {"amount": 10_000, "group_id": coffee.id},
    ]
    status, body, _ = await till.call(
        "POST", "/purchases", json={"receipt": "L-3", "member": PHONE, "lines": one_group}
    )
    assert (status, body["points"]) == (201, 8)
    assert (await Purchase.get(receipt="L-3")).product_group_id == coffee.id  # type: ignore[attr-defined]
    assert (await Member.get(id=1)).balance == 64


async def test_bad_lines_name_the_field_and_record_nothing(till: Till) -> None:
    coffee = await ProductGroup.create(name="Coffee", multiplier=Decimal("2"))
    good = {"amount": 10_000, "group_id": coffee.id}
    cases = [
        ([], 422, "invalid_field", "lines"),
        ({"amount": 1}, 422, "invalid_field", "lines"),
        ([good, {"amount": -5}], 422, "invalid_field", "lines[1].amount"),
        ([good, {"amount": 0}], 422, "invalid_field", "lines[1].amount"),
        ([good, {"group_id": 1}], 422, "missing_field", "lines[1].amount"),
        ([good, good, {"amount": 5, "group_id": 99}], 404, "group_not_found", "lines[2].group_id"),
        ([good, {"amount": 5, "price": 3}], 422, "invalid_field", "lines[1].price"),
        ([good, "5000"], 422, "invalid_field", "lines[1]"),
        ([good] * 101, 422, "too_many_lines", "lines"),
    ]
    for lines, status_code, code, field in cases:
        purchase = {"receipt": "L-9", "member": PHONE, "lines": lines}
        status, body, _ = await till.call("POST", "/purchases", json=purchase)
        assert (status, body["error"]["code"], body["error"]["field"]) == (
            status_code,
            code,
            field,
        ), lines
    status, body, _ = await till.call(
        "POST", "/purchases", json={"receipt": "L-9", "member": PHONE, "lines": [good] * 101}
    )
    assert body == error("too_many_lines", "A purchase has at most 100 lines.", "lines")
    both = {"receipt": "L-9", "member": PHONE, "lines": [good], "amount": 10_000}
    status, body, _ = await till.call("POST", "/purchases", json=both)
    assert (status, body["error"]["field"]) == (422, "amount")
    huge = {"receipt": "L-9", "member": PHONE, "lines": [{"amount": 10**11}] * 2}
    status, body, _ = await till.call("POST", "/purchases", json=huge)
    assert (status, body["error"]["code"], body["error"]["field"]) == (
        422,
        "amount_too_large",
        "lines",
    )
    assert await Purchase.all().count() == 0
    assert (await Member.get(id=1)).balance == 20


async def test_a_gift_card_pays_part_of_a_purchase_once(till: Till) -> None:
    code = await _card(100_000)
    purchase = {
        "receipt": "G-1",
        "member": PHONE,
        "amount": 250_000,
        "gift_card": {"code": code, "amount": 60_000},
    }
    # A key that may record purchases but not use gift cards is refused the card.
    status, body, _ = await till.call("POST", "/purchases", json=purchase, key=till.other_branch)
    assert (status, body) == (
        403,
        error("forbidden_scope", "This API key may not do this: it needs the scope giftcards."),
    )
    status, body, _ = await till.call("POST", "/purchases", json=purchase)
    assert (status, body["points"], body["balance"]) == (201, 25, 45)
    assert (body["paid_by_gift_card"], body["payable"]) == (60_000, 190_000)
    assert body["gift_card"]["balance"] == 40_000
    again = await till.call("POST", "/purchases", json=purchase)
    assert again[:2] == (201, body) and again[2]["Idempotent-Replayed"] == "true"
    keyed = await till.call(
        "POST", "/purchases", json=purchase, headers={"Idempotency-Key": "other"}
    )
    assert keyed[0] == 201 and keyed[1]["replayed"] is True
    assert keyed[1]["gift_card"]["balance"] == 40_000
    assert await _balance(code) == 40_000
    spends = await GiftCardEntry.filter(receipt="G-1").values_list("amount", "branch_id")
    assert spends == [(-60_000, 1)]


async def test_a_card_that_cannot_pay_records_neither_purchase_nor_spend(till: Till) -> None:
    code = await _card(40_000)
    purchase = {
        "receipt": "G-2",
        "member": PHONE,
        "amount": 100_000,
        "gift_card": {"code": code, "amount": 50_000},
    }
    status, body, _ = await till.call("POST", "/purchases", json=purchase)
    assert (status, body) == (
        422,
        error(
            "gift_card_balance",
            "Not enough on the gift card: it holds 40,000 toman.",
            "gift_card.amount",
        ),
    )
    over = {**purchase, "gift_card": {"code": code, "amount": 100_001}}
    status, body, _ = await till.call("POST", "/purchases", json=over)
    assert (status, body) == (
        422,
        error(
            "gift_card_over_amount",
            "The gift card cannot pay more than the purchase, 100,000.",
            "gift_card.amount",
        ),
    )
    # The card can pay but the purchase is refused (below the minimum): the card keeps it.
    await set_rules(min_purchase=20_000)
    small = {**purchase, "amount": 10_000, "gift_card": {"code": code, "amount": 10_000}}
    status, body, _ = await till.call("POST", "/purchases", json=small)
    assert (status, body["error"]["code"]) == (422, "below_minimum")
    blocked = {**purchase, "gift_card": {"code": code[:-1] + "?", "amount": 1}}
    status, body, _ = await till.call("POST", "/purchases", json=blocked)
    assert (status, body["error"]["field"]) == (422, "gift_card.code")
    assert await Purchase.all().count() == 0
    assert await _balance(code) == 40_000
    assert (await Member.get(id=1)).balance == 20


async def test_twenty_purchases_paid_by_one_card_at_once_never_overdraw_it(till: Till) -> None:
    code = await _card(100_000)
    answers = await asyncio.gather(
        *(
            till.call(
                "POST",
                "/purchases",
                json={
                    "receipt": f"C-{i}",
                    "member": PHONE,
                    "amount": 20_000,
                    "gift_card": {"code": code, "amount": 7_000},
                },
            )
            for i in range(20)  # 140,000 from the card together: 14 fit
        )
    )
    assert sorted(status for status, _, _ in answers) == [201] * 14 + [422] * 6
    assert await _balance(code) == 2_000
    paid = {body["receipt"] for status, body, _ in answers if status == 201}
    assert set(await Purchase.all().values_list("receipt", flat=True)) == paid
    spent = await GiftCardEntry.filter(amount=-7_000).values_list("receipt", flat=True)
    assert set(spent) == paid
    assert (await Member.get(id=1)).balance == 20 + 14 * 2
    assert (await GiftCard.get(code=code)).balance == 2_000


async def test_a_card_paid_before_for_the_receipt_is_not_spent_again(till: Till) -> None:
    code = await _card(100_000)
    spend = {"amount": 30_000, "receipt": "G-5"}
    assert (await till.call("POST", f"/giftcards/{code}/spend", json=spend))[0] == 200
    purchase = {
        "receipt": "G-5",
        "member": PHONE,
        "amount": 50_000,
        "gift_card": {"code": code, "amount": 30_000},
    }
    status, body, _ = await till.call("POST", "/purchases", json=purchase)
    assert (status, body["points"], body["payable"]) == (201, 5, 20_000)
    assert await _balance(code) == 70_000
    # Without a member no purchase is stored, but the card's payment is.
    anonymous = {"receipt": "G-6", "amount": 50_000, "gift_card": {"code": code, "amount": 50_000}}
    status, body, _ = await till.call("POST", "/purchases", json=anonymous)
    assert (status, body["member"], body["points"], body["payable"]) == (201, None, 0, 0)
    assert await _balance(code) == 20_000
    assert await Purchase.all().values_list("receipt", flat=True) == ["G-5"]


async def test_a_card_cannot_pay_a_receipt_recorded_without_it(till: Till) -> None:
    code = await _card(100_000)
    purchase = {"receipt": "G-7", "member": PHONE, "amount": 50_000}
    assert (await till.call("POST", "/purchases", json=purchase))[0] == 201
    paid = {**purchase, "gift_card": {"code": code, "amount": 10_000}}
    status, body, _ = await till.call("POST", "/purchases", json=paid)
    assert (status, body["error"]["code"], body["error"]["field"]) == (
        422,
        "already_recorded",
        "receipt",
    )
    status, body, _ = await till.call(
        "POST", "/purchases", json=paid, headers={"Idempotency-Key": "again"}
    )
    assert (status, body["error"]["code"]) == (422, "already_recorded")
    assert await _balance(code) == 100_000
    assert (await Member.get(id=1)).balance == 25


async def test_a_festival_of_one_group_multiplies_that_group_s_lines_only(till: Till) -> None:
    coffee = await ProductGroup.create(name="Coffee", multiplier=Decimal("2"))
    now = utcnow()
    await festivals.add_festival(
        "Coffee week",
        Decimal(3),
        now - timedelta(hours=1),
        now + timedelta(hours=1),
        group_id=coffee.id,
        now=now,
    )
    lines = [{"amount": 100_000, "group_id": coffee.id}, {"amount": 100_000}]
    status, body, _ = await till.call(
        "POST", "/purchases", json={"receipt": "F-1", "member": PHONE, "lines": lines}
    )
    # Coffee: 10 points × 2 × 3; the rest: 10.
    assert (status, body["points"], body["balance"]) == (201, 70, 90)
    entry = await LedgerEntry.get(purchase__receipt="F-1")
    assert (entry.amount, entry.note) == (70, "Coffee week ×3")
