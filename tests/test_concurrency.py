"""Many requests at once never overdraw, double-award or lose a point (SQLite and PostgreSQL)."""

import asyncio

from loyalty import earning, ledger, members, rewards
from loyalty.errors import ErrorCode, LoyaltyError
from models import Card, Member, Purchase, Voucher
from tests.conftest import NOW
from tests.helpers import member, reward, set_rules


async def test_fifty_simultaneous_redemptions_against_three(any_db: str) -> None:
    await set_rules(signup_bonus=30)
    m = await member(NOW)
    prize = await reward(10)
    results = await asyncio.gather(
        *(rewards.redeem_reward(m.id, prize.id, now=NOW) for _ in range(50)), return_exceptions=True
    )
    issued = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, LoyaltyError)]
    assert len(issued) == 3
    assert len(refused) == 47
    assert {e.code for e in refused} == {ErrorCode.NOT_ENOUGH_POINTS}
    fresh = await Member.get(id=m.id)
    assert fresh.balance == 0
    assert await Voucher.filter(member_id=m.id).count() == 3
    assert await ledger.ledger_sum(m.id) == 0


async def test_stock_of_two_under_twenty_members_at_once(any_db: str) -> None:
    crowd = [await member(NOW) for _ in range(20)]
    prize = await reward(5, stock=2)
    results = await asyncio.gather(
        *(rewards.redeem_reward(m.id, prize.id, now=NOW) for m in crowd), return_exceptions=True
    )
    assert sum(not isinstance(r, BaseException) for r in results) == 2
    assert await Voucher.all().count() == 2
    assert sum(m.balance for m in await Member.all()) == 20 * 20 - 2 * 5


async def test_same_receipt_sent_twenty_times_at_once(any_db: str) -> None:
    m = await member(NOW)
    results = await asyncio.gather(
        *(earning.award_purchase(m.id, 250_000, receipt="R1", now=NOW) for _ in range(20))
    )
    assert {r.purchase.id for r in results} == {results[0].purchase.id}
    assert sum(not r.replayed for r in results) == 1
    assert await Purchase.all().count() == 1
    assert (await Member.get(id=m.id)).balance == 45


async def test_concurrent_purchases_keep_ledger_and_balance_equal(any_db: str) -> None:
    crowd = [await member(NOW) for _ in range(10)]
    await asyncio.gather(
        *(
            earning.award_purchase(m.id, 100_000 + i, receipt=f"{m.id}-{i}", now=NOW)
            for m in crowd
            for i in range(10)
        )
    )
    for m in crowd:
        fresh = await Member.get(id=m.id)
        assert fresh.balance == 20 + 10 * 10
        assert await ledger.ledger_sum(m.id) == fresh.balance


async def test_cards_replaced_five_times_at_once_leave_one_active(any_db: str) -> None:
    m = await member(NOW)
    new = await asyncio.gather(*(members.replace_card(m.id, now=NOW) for _ in range(5)))
    active = await Card.filter(member_id=m.id, active=True).values_list("number", flat=True)
    assert len(active) == 1
    assert active[0] in {done.card.number for done in new}
    assert await Card.filter(member_id=m.id).count() == 6


async def test_one_request_to_replace_a_card_sent_five_times_at_once_replaces_it_once(
    any_db: str,
) -> None:
    m = await member(NOW)
    old = (await members.active_card(m.id)).number
    done = await asyncio.gather(
        *(members.replace_card(m.id, request="tg-1-7", now=NOW) for _ in range(5))
    )
    assert await Card.filter(member_id=m.id).count() == 2
    new = (await members.active_card(m.id)).number
    assert {(d.card.number, d.old) for d in done} == {(new, old)}
    assert sorted(d.replayed for d in done) == [False, True, True, True, True]
