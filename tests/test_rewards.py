"""Redeeming: every check, vouchers used once, points back for cancelled or expired vouchers."""

from datetime import timedelta

import pytest

from loyalty import corrections, ledger, rewards
from loyalty.codes import VOUCHER_ALPHABET
from loyalty.errors import ErrorCode, LoyaltyError
from models import EntryKind, LedgerEntry, Member, Reward, Tier, Voucher, VoucherStatus
from tests.conftest import NOW
from tests.helpers import member, reward, set_rules

DAY = timedelta(days=1)


async def _refused(member_id: int, reward_id: int, code: ErrorCode, now=NOW) -> None:
    before = (await Member.get(id=member_id)).balance
    with pytest.raises(LoyaltyError) as caught:
        await rewards.redeem_reward(member_id, reward_id, now=now)
    assert caught.value.code is code
    assert (await Member.get(id=member_id)).balance == before
    assert await Voucher.filter(member_id=member_id).count() == 0


async def test_redeem_issues_a_readable_voucher(any_db: str) -> None:
    await set_rules(voucher_valid_days=10)
    m = await member(NOW)
    prize = await reward(15, name="Espresso")
    result = await rewards.redeem_reward(m.id, prize.id, now=NOW)
    assert result.balance == 5
    code = result.voucher.code
    assert len(code) == 8 and set(code) <= set(VOUCHER_ALPHABET)
    assert not set(code) & set("01OI")
    assert result.voucher.expires_at == NOW + 10 * DAY
    entry = await LedgerEntry.get(member_id=m.id, kind=EntryKind.REDEEM)
    assert (entry.amount, entry.voucher_id) == (-15, result.voucher.id)


async def test_not_enough_points(any_db: str) -> None:
    m = await member(NOW)
    await _refused(m.id, (await reward(21)).id, ErrorCode.NOT_ENOUGH_POINTS)


async def test_tier_too_low(any_db: str) -> None:
    m = await member(NOW)
    gold = await Tier.get(code="gold")
    await _refused(m.id, (await reward(5, min_tier=gold)).id, ErrorCode.TIER_TOO_LOW)


async def test_out_of_stock_and_stock_is_counted(any_db: str) -> None:
    m = await member(NOW)
    prize = await reward(5, stock=1)
    await rewards.redeem_reward(m.id, prize.id, now=NOW)
    assert (await Reward.get(id=prize.id)).stock == 0
    before = (await Member.get(id=m.id)).balance
    with pytest.raises(LoyaltyError) as caught:
        await rewards.redeem_reward(m.id, prize.id, now=NOW)
    assert caught.value.code is ErrorCode.REWARD_OUT_OF_STOCK
    assert (await Member.get(id=m.id)).balance == before


async def test_validity_window(any_db: str) -> None:
    m = await member(NOW)
    later = await reward(5, valid_from=NOW + DAY)
    over = await reward(5, valid_until=NOW - DAY)
    await _refused(m.id, later.id, ErrorCode.REWARD_NOT_STARTED)
    await _refused(m.id, over.id, ErrorCode.REWARD_ENDED)
    inactive = await reward(5, active=False)
    await _refused(m.id, inactive.id, ErrorCode.REWARD_INACTIVE)
    await _refused(m.id, 9999, ErrorCode.REWARD_NOT_FOUND)


async def test_same_redeem_key_twice_issues_one_voucher(any_db: str) -> None:
    m = await member(NOW)
    prize = await reward(5)
    first = await rewards.redeem_reward(m.id, prize.id, key="tap-1", now=NOW)
    again = await rewards.redeem_reward(m.id, prize.id, key="tap-1", now=NOW)
    assert again.replayed and again.voucher.id == first.voucher.id
    assert (await Member.get(id=m.id)).balance == 15


async def test_voucher_used_once(any_db: str) -> None:
    m = await member(NOW)
    voucher = (await rewards.redeem_reward(m.id, (await reward(5)).id, now=NOW)).voucher
    used = await rewards.use_voucher(voucher.code.lower(), now=NOW + DAY)
    assert used.status is VoucherStatus.USED
    with pytest.raises(LoyaltyError) as caught:
        await rewards.use_voucher(voucher.code, now=NOW + DAY)
    assert caught.value.code is ErrorCode.VOUCHER_USED
    with pytest.raises(LoyaltyError) as unknown:
        await rewards.use_voucher("ZZZZZZZZ", now=NOW)
    assert unknown.value.code is ErrorCode.VOUCHER_NOT_FOUND


async def test_cancelled_and_expired_vouchers_return_points(any_db: str) -> None:
    await set_rules(voucher_valid_days=5)
    m = await member(NOW)
    prize = await reward(5, stock=10)
    one = (await rewards.redeem_reward(m.id, prize.id, now=NOW)).voucher
    two = (await rewards.redeem_reward(m.id, prize.id, now=NOW)).voucher
    assert (await Member.get(id=m.id)).balance == 10
    await rewards.cancel_voucher(one.code, now=NOW)
    assert (await Member.get(id=m.id)).balance == 15
    assert await rewards.expire_vouchers(now=NOW + 6 * DAY) == 1
    assert await rewards.expire_vouchers(now=NOW + 6 * DAY) == 0
    assert (await Member.get(id=m.id)).balance == 20
    assert (await Voucher.get(id=two.id)).status is VoucherStatus.EXPIRED
    assert (await Reward.get(id=prize.id)).stock == 10
    with pytest.raises(LoyaltyError) as caught:
        await rewards.use_voucher(two.code, now=NOW + 6 * DAY)
    assert caught.value.code is ErrorCode.VOUCHER_EXPIRED
    assert await ledger.ledger_sum(m.id) == 20


async def test_adjust_and_undo(any_db: str) -> None:
    m = await member(NOW)
    entry, replayed = await corrections.adjust(m.id, -15, "wrong card at the till", now=NOW)
    assert not replayed
    assert (await Member.get(id=m.id)).balance == 5
    back = await corrections.undo(entry.id, now=NOW)
    assert (back.amount, back.reverses_id) == (15, entry.id)
    with pytest.raises(LoyaltyError) as caught:
        await corrections.undo(entry.id, now=NOW)
    assert caught.value.code is ErrorCode.ALREADY_REVERSED
    with pytest.raises(LoyaltyError) as zero:
        await corrections.adjust(m.id, 0, "nothing", now=NOW)
    assert zero.value.code is ErrorCode.INVALID_AMOUNT
    assert (await Member.get(id=m.id)).balance == 20


async def test_catalogue_offers_what_can_be_handed_out_now_cheapest_first(any_db: str) -> None:
    from models import Branch

    main = await Branch.first()
    north = await Branch.create(name="North")
    gold = await Tier.get(code="gold")
    tea = await reward(30, name="Tea")
    cake = await reward(20, name="Cake", branch=north)
    lunch = await reward(90, name="Lunch", min_tier=gold)
    await reward(5, name="Later", valid_from=NOW + DAY)
    await reward(5, name="Over", valid_until=NOW - DAY)
    await reward(5, name="Gone", stock=0)
    await reward(5, name="Off", active=False)
    offered = await rewards.catalog(now=NOW)
    assert [r.name for r in offered] == ["Cake", "Tea", "Lunch"]
    assert [r.min_tier.code if r.min_tier else None for r in offered] == [None, None, "gold"]
    assert [r.id for r in await rewards.catalog(now=NOW, branch_id=main.id)] == [tea.id, lunch.id]
    assert [r.id for r in await rewards.catalog(now=NOW, branch_id=north.id)] == [
        cake.id,
        tea.id,
        lunch.id,
    ]

    rich = await member(NOW)
    await Member.filter(id=rich.id).update(balance=100)
    rich = await Member.get(id=rich.id)
    assert [r.name for r in await rewards.affordable(rich, now=NOW)] == [
        "Cake",
        "Tea",
    ]  # gold only for gold
    await Member.filter(id=rich.id).update(tier_id=gold.id)
    assert [r.name for r in await rewards.affordable(await Member.get(id=rich.id), now=NOW)] == [
        "Cake",
        "Tea",
        "Lunch",
    ]
    await Member.filter(id=rich.id).update(balance=25)
    assert [
        r.name for r in await rewards.affordable(await Member.get(id=rich.id), offered=offered)
    ] == ["Cake"]
