"""The purchase path's copy of the club's set-up follows every change, from any process."""

from __future__ import annotations

import sqlite3
from zoneinfo import ZoneInfo

import asyncpg
import pytest
from tortoise import Tortoise

from loyalty import earning, rewards, tiers, till
from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.members import member_and_config_by_telegram
from loyalty.rules import current_config
from loyalty.staff import club_settings
from models import Branch, ProductGroup, Purchase, Staff, StaffRole, Tier
from models.queries import club as club_sql
from tests.conftest import NOW, POSTGRES_URL
from tests.helpers import member, reward, set_rules

TZ = ZoneInfo("Asia/Tehran")


async def _token() -> str | None:
    return await club_sql.config_token()


async def _elsewhere(statement: str) -> None:
    """Run `statement` on a connection of its own, as another worker process would."""
    connection = Tortoise.get_connection("default")
    if connection.capabilities.dialect == "postgres":
        other = await asyncpg.connect(POSTGRES_URL)
        try:
            await other.execute(statement)
        finally:
            await other.close()
    else:
        with sqlite3.connect(connection.filename) as other:  # type: ignore[attr-defined]
            other.execute(statement)
        other.close()


async def test_an_unchanged_set_up_is_read_once(any_db: str) -> None:
    first = await current_config()
    assert await current_config() is first
    m = await member(NOW)
    await earning.award_purchase(m.id, 100_000, receipt="A", now=NOW)
    assert await current_config() is first


async def test_the_owners_new_rate_applies_to_the_next_purchase(any_db: str) -> None:
    owner = await Staff.create(telegram_id=1, role=StaffRole.OWNER, created_at=NOW)
    m = await member(NOW)
    assert (await earning.award_purchase(m.id, 100_000, receipt="A", now=NOW)).points == 10
    await club_settings.set_rule(owner, "earn_rate", "3", now=NOW)
    assert (await earning.award_purchase(m.id, 100_000, receipt="B", now=NOW)).points == 30
    await set_rules(currency_unit=1_000)  # a bulk UPDATE, not a model's save()
    assert (await earning.award_purchase(m.id, 100_000, receipt="C", now=NOW)).points == 300


async def test_a_change_made_by_another_process_applies_to_the_next_purchase(any_db: str) -> None:
    m = await member(NOW)
    north = await Branch.create(name="North")
    assert (
        await earning.award_purchase(m.id, 100_000, receipt="A", branch_id=north.id, now=NOW)
    ).points == 10
    await _elsewhere("UPDATE club_rules SET earn_rate = 2")
    assert (
        await earning.award_purchase(m.id, 100_000, receipt="B", branch_id=north.id, now=NOW)
    ).points == 20
    await _elsewhere("UPDATE tier SET multiplier = 3 WHERE code = 'bronze'")
    assert (
        await earning.award_purchase(m.id, 100_000, receipt="C", branch_id=north.id, now=NOW)
    ).points == 60
    await _elsewhere(f"UPDATE branch SET active = false WHERE id = {north.id}")
    with pytest.raises(LoyaltyError) as caught:
        await earning.award_purchase(m.id, 100_000, receipt="D", branch_id=north.id, now=NOW)
    assert caught.value.code is ErrorCode.BRANCH_CLOSED  # by name, not "no such branch"
    await _elsewhere("INSERT INTO product_group (name, multiplier, active) VALUES ('Tea', 5, true)")
    tea = await ProductGroup.get(name="Tea")
    assert (
        await earning.award_purchase(m.id, 100_000, receipt="E", group_id=tea.id, now=NOW)
    ).points == 300


async def test_a_discount_rule_made_by_another_process_prices_the_next_purchase(
    any_db: str,
) -> None:
    m = await member(NOW)
    sale = await till.record_purchase(
        m, 200_000, receipt="A", branch_id=(await Branch.first()).id, now=NOW, tz=TZ
    )
    assert (sale.quote.payable, sale.result.points) == (200_000, 20)
    await _elsewhere(
        "INSERT INTO discount_rule (kind, percent, min_amount, active, created_at)"
        " VALUES ('spend', 10, 100000, true, '2026-03-01 09:00:00+00:00')"
    )
    sale = await till.record_purchase(
        m, 200_000, receipt="B", branch_id=(await Branch.first()).id, now=NOW, tz=TZ
    )
    assert (sale.quote.payable, sale.result.points) == (180_000, 18)
    await _elsewhere("UPDATE discount_rule SET active = false")
    sale = await till.record_purchase(
        m, 200_000, receipt="C", branch_id=(await Branch.first()).id, now=NOW, tz=TZ
    )
    assert (sale.quote.payable, sale.result.points) == (200_000, 20)


async def test_the_points_and_rewards_windows_see_a_tier_changed_by_another_process(
    any_db: str,
) -> None:
    m = await member(NOW, telegram_id=77)
    await earning.award_purchase(m.id, 1_000_000, receipt="A", now=NOW)  # 100 points
    silver = await Tier.get(code="silver")
    await reward(50, min_tier=silver)

    async def shown() -> tuple[int, list[int]]:
        found, config = await member_and_config_by_telegram(77)
        assert found is not None and found.balance == 120  # with the sign-up bonus
        progress = await tiers.progress(found, NOW, config)
        offered = await rewards.catalog(now=NOW, config=config)
        return progress.points_to_next, [r.min_tier.threshold for r in offered if r.min_tier]

    assert await shown() == (400, [500])
    await _elsewhere("UPDATE tier SET threshold = 300 WHERE code = 'silver'")
    assert await shown() == (200, [300])
    stranger, config = await member_and_config_by_telegram(78)
    assert stranger is None and [t.threshold for t in config.tiers] == [0, 300, 2000]


@pytest.mark.parametrize(
    "change",
    [
        "INSERT INTO branch (name, active, created_at)"
        " VALUES ('South', true, '2026-03-01 09:00:00+00:00')",
        "UPDATE branch SET earn_rate = 2",
        "DELETE FROM tier WHERE code = 'gold'",
        "INSERT INTO product_group (name, multiplier, active) VALUES ('Tea', 2, true)",
        "UPDATE club_rules SET min_purchase = 1",
        "INSERT INTO festival (name, multiplier, starts_at, ends_at, created_at) VALUES"
        " ('Yalda', 3, '2026-03-01 09:00:00+00:00', '2026-03-02 09:00:00+00:00',"
        " '2026-03-01 09:00:00+00:00')",
        "INSERT INTO discount_rule (kind, percent, min_amount, active, created_at)"
        " VALUES ('spend', 10, 0, true, '2026-03-01 09:00:00+00:00')",
    ],
)
async def test_every_write_of_the_set_up_renews_the_token(any_db: str, change: str) -> None:
    before = await _token()
    assert before is not None
    await Tortoise.get_connection("default").execute_script(change)
    assert await _token() not in (None, before)


async def test_a_new_clubs_branch_rolled_back_with_its_purchase_is_not_kept(any_db: str) -> None:
    m = await member(NOW)
    await set_rules(min_purchase=50_000)
    await Branch.all().delete()
    with pytest.raises(LoyaltyError):  # refused, so the branch made for it is rolled back too
        await earning.award_purchase(m.id, 1_000, receipt="A", now=NOW)
    assert not await Branch.exists()
    result = await earning.award_purchase(m.id, 100_000, receipt="B", now=NOW)
    assert (await Purchase.get(id=result.purchase.id)).branch_id == (await Branch.get()).id
