"""Rewards with every field, and the tiers' thresholds, multipliers and discounts."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import asyncpg
import pytest

from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.staff import catalogue, club_settings
from models import AuditEntry, Branch, ProductGroup, Reward, RewardKind, Staff, StaffRole, Tier
from tests.conftest import NOW, POSTGRES_URL
from tests.helpers import waiting_for_lock

pytestmark = pytest.mark.asyncio


async def _staff(role: StaffRole, branch: Branch | None = None, telegram_id: int = 1) -> Staff:
    return await Staff.create(telegram_id=telegram_id, role=role, branch=branch, created_at=NOW)


async def test_a_reward_with_every_field_then_edited(db: str) -> None:
    owner = await _staff(StaffRole.OWNER)
    gold = await Tier.get(code="gold")
    group = await ProductGroup.create(name="Cakes")
    start, until = catalogue.open_window(NOW, 30)
    spec = catalogue.RewardSpec(
        name="  Cake   deal ",
        cost=300,
        kind=RewardKind.PERCENT_DISCOUNT,
        value=20,
        product_group_id=group.id,
        stock=10,
        min_tier_id=gold.id,
        valid_from=start,
        valid_until=until,
    )
    reward = await catalogue.save_reward(owner, spec, now=NOW)
    row = await Reward.get(id=reward.id)
    assert (
        row.name,
        row.cost,
        row.kind,
        row.value,
        row.product_group_id,
        row.stock,
        row.min_tier_id,
        row.branch_id,
    ) == ("Cake deal", 300, RewardKind.PERCENT_DISCOUNT, 20, group.id, 10, gold.id, None)
    assert row.valid_until == NOW + timedelta(days=30)

    await catalogue.save_reward(
        owner, replace(catalogue.reward_spec(row), stock=None, cost=250), row.id, now=NOW
    )
    row = await Reward.get(id=reward.id)
    assert (row.stock, row.cost) == (None, 250)
    assert await AuditEntry.filter(action__in=["reward_add", "reward_edit"]).count() == 2


@pytest.mark.parametrize(
    "change, code",
    [
        ({"cost": 0}, ErrorCode.INVALID_SETTING),
        ({"kind": RewardKind.PERCENT_DISCOUNT, "value": 101}, ErrorCode.INVALID_SETTING),
        ({"kind": RewardKind.FIXED_DISCOUNT, "value": 0}, ErrorCode.INVALID_SETTING),
        ({"stock": -1}, ErrorCode.INVALID_SETTING),
        ({"min_tier_id": 999}, ErrorCode.INVALID_SETTING),
        ({"branch_id": 999}, ErrorCode.BRANCH_NOT_FOUND),
        (
            {"kind": RewardKind.FIXED_DISCOUNT, "value": 5000, "product_group_id": 999},
            ErrorCode.GROUP_NOT_FOUND,
        ),
        ({"valid_from": NOW, "valid_until": NOW}, ErrorCode.INVALID_DATE),
        ({"name": "   "}, ErrorCode.INVALID_NAME),
    ],
)
async def test_bad_rewards_are_refused_and_nothing_is_written(
    db: str, change: dict, code: ErrorCode
) -> None:
    owner = await _staff(StaffRole.OWNER)
    spec = replace(catalogue.RewardSpec(name="Coffee", cost=100), **change)
    with pytest.raises(LoyaltyError) as refused:
        await catalogue.save_reward(owner, spec, now=NOW)
    assert refused.value.code is code
    assert await Reward.all().count() == 0
    assert await AuditEntry.all().count() == 0


async def test_branch_manager_adds_for_their_branch_only(db: str) -> None:
    main = await Branch.first()
    north = await Branch.create(name="North")
    manager = await _staff(StaffRole.MANAGER, main)
    reward = await catalogue.save_reward(
        manager, catalogue.RewardSpec(name="Tea", cost=50), now=NOW
    )
    assert reward.branch_id == main.id
    with pytest.raises(LoyaltyError) as refused:
        await catalogue.save_reward(
            manager, catalogue.RewardSpec(name="Tea", cost=50, branch_id=north.id), now=NOW
        )
    assert refused.value.code is ErrorCode.NOT_ALLOWED
    cashier = await _staff(StaffRole.CASHIER, main, telegram_id=2)
    with pytest.raises(LoyaltyError):
        await catalogue.save_reward(cashier, catalogue.RewardSpec(name="Tea", cost=50), now=NOW)
    assert await Reward.all().count() == 1


async def test_tiers_are_set_by_the_owner_only(db: str) -> None:
    owner = await _staff(StaffRole.OWNER)
    manager = await _staff(StaffRole.MANAGER, telegram_id=2)
    silver = await Tier.get(code="silver")
    await club_settings.set_tier_value(owner, silver.id, "threshold", "۸۰۰", now=NOW)
    await club_settings.set_tier_value(owner, silver.id, "multiplier", "۱٫۵", now=NOW)
    await club_settings.set_tier(owner, silver.id, discount_percent=7, now=NOW)
    silver = await Tier.get(code="silver")
    assert (silver.threshold, silver.multiplier, silver.discount_percent) == (
        800,
        Decimal("1.5"),
        7,
    )
    with pytest.raises(LoyaltyError) as refused:
        await club_settings.set_tier(manager, silver.id, threshold=900, now=NOW)
    assert refused.value.code is ErrorCode.NOT_ALLOWED
    assert await AuditEntry.filter(action="tier_set").count() == 3


@pytest.mark.parametrize(
    "field, raw",
    [
        ("threshold", "2000"),  # gold's threshold: the order would be unclear
        ("threshold", "0"),  # only the lowest tier starts at 0
        ("threshold", "abc"),
        ("threshold", "-5"),
        ("multiplier", "101"),
        ("multiplier", "NaN"),
        ("discount_percent", "150"),
        ("colour", "1"),
    ],
)
async def test_bad_tier_values_change_nothing(db: str, field: str, raw: str) -> None:
    owner = await _staff(StaffRole.OWNER)
    silver = await Tier.get(code="silver")
    with pytest.raises(LoyaltyError) as refused:
        await club_settings.set_tier_value(owner, silver.id, field, raw, now=NOW)
    assert refused.value.code is ErrorCode.INVALID_SETTING
    silver = await Tier.get(code="silver")
    assert (silver.threshold, silver.multiplier, silver.discount_percent) == (
        500,
        Decimal("1.25"),
        5,
    )


async def test_lowest_tier_stays_at_zero(db: str) -> None:
    owner = await _staff(StaffRole.OWNER)
    bronze = await Tier.get(code="bronze")
    with pytest.raises(LoyaltyError):
        await club_settings.set_tier(owner, bronze.id, threshold=10, now=NOW)
    await club_settings.set_tier(owner, bronze.id, multiplier=Decimal("1.1"), now=NOW)
    assert (await Tier.get(code="bronze")).threshold == 0


async def test_two_tier_changes_at_once_cannot_share_a_threshold(any_db: str) -> None:
    # Another owner's chat moves silver to 700, not yet committed; gold is set to 700 now.
    if any_db != "postgres":
        pytest.skip("SQLite has one writer: the two changes cannot overlap")
    owner = await _staff(StaffRole.OWNER)
    silver, gold = await Tier.get(code="silver"), await Tier.get(code="gold")
    other = await asyncpg.connect(POSTGRES_URL)
    try:
        held = other.transaction()
        await held.start()
        await other.execute("UPDATE tier SET threshold = 700 WHERE id = $1", silver.id)
        change = asyncio.create_task(club_settings.set_tier(owner, gold.id, threshold=700, now=NOW))
        await waiting_for_lock(other, change)  # it must wait for the other change
        await held.commit()
        with pytest.raises(LoyaltyError) as refused:
            await change
    finally:
        await other.close()
    assert refused.value.code is ErrorCode.INVALID_SETTING
    assert sorted(await Tier.all().values_list("threshold", flat=True)) == [0, 700, 2000]
