"""Gift cards' rules: the ledger, concurrency, codes, expiry and figures (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from jobs import giftcards as giftcards_job
from loyalty import giftcards
from loyalty.codes import (
    VOUCHER_ALPHABET,
    clean_gift_card_code,
    new_gift_card_code,
    show_gift_card_code,
)
from loyalty.errors import ErrorCode, LoyaltyError
from models import AuditEntry, GiftCard, GiftCardEntry, GiftCardKind, Staff, StaffRole
from tests.conftest import NOW
from tests.helpers import member, set_rules


async def _cashier() -> Staff:
    return await Staff.create(telegram_id=3000, role=StaffRole.CASHIER, created_at=NOW)


async def _sum(card_id: int) -> int:
    return sum(await GiftCardEntry.filter(card_id=card_id).values_list("amount", flat=True))


def test_codes_are_long_with_a_check_character() -> None:
    code = new_gift_card_code()
    assert len(code) == 16 and set(code) <= set(VOUCHER_ALPHABET)
    shown = show_gift_card_code(code)
    assert shown.count("-") == 3
    assert clean_gift_card_code(shown.lower().replace("-", " ")) == code
    # One character changed, or two neighbours swapped: the check character refuses it.
    other = VOUCHER_ALPHABET[(VOUCHER_ALPHABET.index(code[3]) + 1) % 32]
    typos = [code[:3] + other + code[4:]]
    if code[5] != code[6]:
        typos.append(code[:5] + code[6] + code[5] + code[7:])
    for typo in [*typos, code[:-1], code + "A", "0" * 16]:
        with pytest.raises(LoyaltyError) as refused:
            clean_gift_card_code(typo)
        assert refused.value.code is ErrorCode.INVALID_GIFT_CODE


async def test_twenty_spends_at_once_never_overdraw(any_db: str) -> None:
    staff = await _cashier()
    sold = await giftcards.sell(staff, 100_000, request="sale", now=NOW)
    code = sold.card.code
    results = await asyncio.gather(
        *(
            giftcards.spend(staff, code, 7_000, f"R{i}", now=NOW)
            for i in range(20)  # 140,000 together: 14 fit
        ),
        return_exceptions=True,
    )
    spent = [r for r in results if isinstance(r, giftcards.Movement)]
    refused = [r for r in results if isinstance(r, LoyaltyError)]
    assert len(spent) == 14 and len(refused) == 6
    assert {e.code for e in refused} == {ErrorCode.GIFT_CARD_BALANCE}
    card = await GiftCard.get(id=sold.card.id)
    assert card.balance == 2_000
    assert await _sum(card.id) == 2_000
    assert sorted(r.balance for r in spent) == list(range(2_000, 100_000, 7_000))


async def test_the_same_receipt_at_once_spends_once(any_db: str) -> None:
    staff = await _cashier()
    sold = await giftcards.sell(staff, 50_000, request="sale", now=NOW)
    results = await asyncio.gather(
        *(giftcards.spend(staff, sold.card.code, 10_000, "R1", now=NOW) for _ in range(10))
    )
    assert sum(not r.replayed for r in results) == 1
    assert {r.balance for r in results} == {40_000}
    assert (await GiftCard.get(id=sold.card.id)).balance == 40_000
    assert await GiftCardEntry.filter(kind=GiftCardKind.SPEND).count() == 1


async def test_refunds_of_a_receipt_at_once_put_back_at_most_what_it_paid(any_db: str) -> None:
    staff = await _cashier()
    sold = await giftcards.sell(staff, 50_000, request="sale", now=NOW)
    await giftcards.spend(staff, sold.card.code, 30_000, "R1", now=NOW)
    results = await asyncio.gather(
        *(
            giftcards.refund(staff, sold.card.code, 10_000, "R1", request=f"q{i}", now=NOW)
            for i in range(5)
        ),
        return_exceptions=True,
    )
    assert sum(isinstance(r, giftcards.Movement) for r in results) == 3
    assert {r.code for r in results if isinstance(r, LoyaltyError)} == {
        ErrorCode.GIFT_REFUND_TOO_LARGE
    }
    assert (await GiftCard.get(id=sold.card.id)).balance == 50_000
    assert await _sum(sold.card.id) == 50_000


async def test_every_movement_is_keyed_and_audited(db: str) -> None:
    staff = await _cashier()
    m = await member(NOW, phone="09121111111")
    sold = await giftcards.sell(staff, 20_000, "09121111111", request="s1", now=NOW)
    again = await giftcards.sell(staff, 20_000, "09121111111", request="s1", now=NOW)
    assert again.replayed and again.card.id == sold.card.id
    assert sold.card.member_id == m.id and sold.currency == "toman"
    code = sold.card.code
    await giftcards.top_up(staff, code, 5_000, request="t1", now=NOW)
    await giftcards.top_up(staff, code, 5_000, request="t1", now=NOW)
    await giftcards.spend(staff, code, 12_000, "R9", now=NOW)
    await giftcards.refund(staff, code, 2_000, "R9", request="f1", now=NOW)
    card = await GiftCard.get(id=sold.card.id)
    assert card.balance == 20_000 + 5_000 - 12_000 + 2_000
    kinds = await GiftCardEntry.filter(card_id=card.id).order_by("id").values_list("kind", "amount")
    assert kinds == [
        (GiftCardKind.ISSUE, 20_000),
        (GiftCardKind.TOPUP, 5_000),
        (GiftCardKind.SPEND, -12_000),
        (GiftCardKind.REFUND, 2_000),
    ]
    actions = await AuditEntry.all().order_by("id").values_list("action", flat=True)
    assert actions == ["giftcard_sell", "giftcard_topup", "giftcard_spend", "giftcard_refund"]


async def test_blocked_and_expired_cards_move_nothing(db: str) -> None:
    await set_rules(gift_card_valid_days=30)
    staff = await _cashier()
    lost = await giftcards.sell(staff, 10_000, request="a", now=NOW)
    await giftcards.block(staff, lost.card.code, now=NOW)
    for attempt in (
        giftcards.spend(staff, lost.card.code, 1_000, now=NOW),
        giftcards.top_up(staff, lost.card.code, 1_000, now=NOW),
    ):
        with pytest.raises(LoyaltyError) as refused:
            await attempt
        assert refused.value.code is ErrorCode.GIFT_CARD_BLOCKED
    old = await giftcards.sell(staff, 8_000, request="b", now=NOW)
    assert old.card.expires_at == NOW + timedelta(days=30)
    later = NOW + timedelta(days=30)
    with pytest.raises(LoyaltyError) as refused:
        await giftcards.spend(staff, old.card.code, 1_000, now=later)
    assert refused.value.code is ErrorCode.GIFT_CARD_EXPIRED
    # The daily job; the blocked card expires too, and a second run expires nothing.
    assert await giftcards_job.run(later) == {"expired": 2}
    assert await giftcards_job.run(later) == {"expired": 0}
    assert (await GiftCard.get(id=old.card.id)).balance == 0
    assert await _sum(old.card.id) == 0
    figures = await giftcards.figures(NOW, later)
    assert (figures.outstanding, figures.sold, figures.spent, figures.expired) == (
        0,
        18_000,
        0,
        18_000,
    )


async def test_bad_amounts_never_reach_a_card(db: str) -> None:
    staff = await _cashier()
    sold = await giftcards.sell(staff, 10_000, request="a", now=NOW)
    for amount in (0, -5):
        with pytest.raises(LoyaltyError) as refused:
            await giftcards.spend(staff, sold.card.code, amount, now=NOW)
        assert refused.value.code is ErrorCode.INVALID_AMOUNT
    with pytest.raises(LoyaltyError) as refused:
        await giftcards.spend(staff, sold.card.code, 10_001, now=NOW)
    assert refused.value.code is ErrorCode.GIFT_CARD_BALANCE
    assert refused.value.values["balance"] == 10_000
    assert await GiftCardEntry.all().count() == 1
