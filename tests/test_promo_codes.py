"""Promo codes: why a code is refused, and uses counted exactly under concurrency."""

from __future__ import annotations

import asyncio
from datetime import date
from decimal import Decimal

import pytest
from tortoise.transactions import in_transaction

from loyalty import promos
from loyalty.errors import ErrorCode, LoyaltyError
from models import Branch, PromoCode, PromoUse, Tier
from tests.conftest import NOW
from tests.helpers import member as make_member

TODAY = date(2026, 3, 1)


async def promo(**values: object) -> PromoCode:
    fields = {"code": "YALDA", "kind": "percent", "value": Decimal(10), "created_at": NOW}
    return await PromoCode.create(**{**fields, **values})


async def use(code: PromoCode, member_id: int, receipt: str, gross: int = 100_000) -> None:
    result = promos.effect(
        code,
        gross=gross,
        payable=gross,
        tier=None,
        tiers=[],
        branch_id=1,
        group_id=None,
        today=TODAY,
    )
    async with in_transaction():
        await promos.claim(
            code, member_id, branch_id=1, receipt=receipt, gross=gross, result=result, now=NOW
        )


async def test_fifty_uses_at_once_of_a_code_limited_to_ten_give_exactly_ten(any_db: str) -> None:
    code = await promo(max_uses=10)
    members = [await make_member(NOW) for _ in range(50)]
    outcomes = await asyncio.gather(
        *[use(code, m.id, f"R{n}") for n, m in enumerate(members)], return_exceptions=True
    )
    refused = [o for o in outcomes if isinstance(o, LoyaltyError)]
    assert [o for o in outcomes if o is not None and not isinstance(o, LoyaltyError)] == []
    assert {o.code for o in refused} == {ErrorCode.PROMO_USED_UP}
    assert len(refused) == 40
    assert await PromoUse.all().count() == 10
    fresh = await PromoCode.get(id=code.id)
    # 10% of 100,000 each time: the code's figures.
    assert (fresh.uses, fresh.discount_total, fresh.sales_total) == (10, 100_000, 900_000)


async def test_uses_per_member_and_once_per_purchase(any_db: str) -> None:
    code = await promo(max_per_member=2)
    m = await make_member(NOW)
    await use(code, m.id, "R1")
    with pytest.raises(LoyaltyError) as again:
        await use(code, m.id, "R1")
    assert again.value.code is ErrorCode.PROMO_ONCE_PER_PURCHASE
    await use(code, m.id, "R2")
    with pytest.raises(LoyaltyError) as third:
        await use(code, m.id, "R3")
    assert third.value.code is ErrorCode.PROMO_MEMBER_LIMIT
    fresh = await PromoCode.get(id=code.id)
    assert (fresh.uses, await PromoUse.all().count()) == (2, 2)


async def test_refusals_say_why(db: str) -> None:
    silver = await Tier.get(code="silver")
    bronze = await Tier.get(code="bronze")
    tiers = [bronze, silver]
    north = await Branch.create(name="North")

    def refusal(code: PromoCode, **kw: object) -> ErrorCode:
        args = {
            "gross": 100_000,
            "payable": 100_000,
            "tier": bronze,
            "tiers": tiers,
            "branch_id": 1,
            "group_id": None,
            "today": TODAY,
        }
        with pytest.raises(LoyaltyError) as refused:
            promos.effect(code, **{**args, **kw})  # type: ignore[arg-type]
        return refused.value.code

    assert refusal(await promo(code="A", ends=date(2026, 2, 28))) is ErrorCode.PROMO_EXPIRED
    assert refusal(await promo(code="B", starts=date(2026, 3, 2))) is ErrorCode.PROMO_NOT_STARTED
    assert refusal(await promo(code="C", max_uses=1, uses=1)) is ErrorCode.PROMO_USED_UP
    assert refusal(await promo(code="D", min_purchase=100_001)) is ErrorCode.PROMO_BELOW_MINIMUM
    assert refusal(await promo(code="E", branch_id=north.id)) is ErrorCode.PROMO_OTHER_BRANCH
    assert refusal(await promo(code="F", group_id=None, tier_id=silver.id)) is ErrorCode.PROMO_TIER
    with pytest.raises(LoyaltyError) as unknown:
        await promos.find("nope")
    assert unknown.value.code is ErrorCode.PROMO_NOT_FOUND


async def test_what_each_kind_gives(db: str) -> None:
    args = {
        "gross": 250_005,
        "payable": 200_005,
        "tier": None,
        "tiers": [],
        "branch_id": 1,
        "group_id": None,
        "today": TODAY,
    }
    percent = promos.effect(await promo(code="P", value=Decimal("12.5")), **args)  # type: ignore[arg-type]
    assert (percent.discount, percent.points) == (25_001, 0)  # 25,000.625 of what is payable
    amount = promos.effect(await promo(code="A", kind="amount", value=300_000), **args)  # type: ignore[arg-type]
    assert (amount.discount, amount.points) == (200_005, 0)  # never more than payable
    points = promos.effect(await promo(code="B", kind="points", value=50), **args)  # type: ignore[arg-type]
    assert (points.discount, points.points) == (0, 50)
