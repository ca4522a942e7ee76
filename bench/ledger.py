"""Benchmark 4: 1,000 concurrent purchases over 100 members, then every ledger sum checked.

    python -m bench.ledger                      # SQLite file in a temporary folder
    python -m bench.ledger --database-url postgres://postgres@127.0.0.1:5432/test
    python -m bench.ledger --runs 5             # best and spread of five runs
    python -m bench.ledger --till               # each purchase with a tier discount, a
                                                # promo code and a gift card paying part

The PostgreSQL database is emptied first: never point it at a club in use.

Prints a table and one JSON line. Targets on a 2-core machine: 500 purchases/s on SQLite,
1,000 on PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from tortoise import Tortoise
from tortoise.transactions import in_transaction

from bot import patches
from bot.db import close_db, open_db
from bot.settings import Settings
from loyalty import earning, giftcards, ledger, till
from loyalty.clock import utcnow
from loyalty.members import register_member
from loyalty.rules import current_config
from loyalty.staff import club_settings, promo_codes
from loyalty.staff.promo_codes import PromoSpec
from models import Member, PromoCode, Staff, StaffRole, Tier

MEMBERS = 100
PURCHASES = 1_000


async def _reset_postgres() -> None:
    tables = [m._meta.db_table for m in Tortoise.apps["models"].values()] + ["member_interest"]
    async with in_transaction() as conn:
        await conn.execute_script(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")


async def _till_setup(ids: list[int]) -> tuple[dict[int, Member], dict[int, str]]:
    """The owner's 5 % standing discount on every tier, promo code BENCH (1,000 off, no
    limit), and a gift card of 10,000,000 for each member."""
    now = utcnow()
    owner = await Staff.create(telegram_id=1, role=StaffRole.OWNER, created_at=now)
    for tier in await Tier.all():
        await club_settings.set_tier(owner, tier.id, discount_percent=5, now=now)
    await promo_codes.add_promo(owner, PromoSpec("BENCH", "amount", Decimal(1000)), now=now)
    members = {m.id: m for m in await Member.filter(id__in=ids)}
    cards = {}
    for member_id in ids:
        sold = await giftcards.sell(owner, 10_000_000, members[member_id].phone, now=now)
        cards[member_id] = sold.card.code
    return members, cards


async def run(database_url: str, concurrency: int, till_variant: bool = False) -> dict[str, object]:
    await open_db(database_url)
    if database_url.startswith("postgres"):
        await _reset_postgres()
        await close_db()
        await open_db(database_url)
    ids = [(await register_member(f"0912{n:07d}")).member.id for n in range(MEMBERS)]
    gate = asyncio.Semaphore(concurrency)
    if till_variant:
        members, cards = await _till_setup(ids)
        branch_id = (await current_config()).branch(None).id
        tz = ZoneInfo("Asia/Tehran")

    async def purchase(i: int) -> None:
        async with gate:
            member_id, receipt = ids[i % MEMBERS], f"bench-{i}"
            if not till_variant:
                await earning.award_purchase(member_id, 100_000 + i, receipt=receipt)
                return
            # As a till's POST /api/v1/purchases with gift_card and promo_code: the card's
            # payment and the purchase (its discounts and the code's use) in one transaction.
            async with in_transaction():
                await giftcards.spend_at_branch(
                    branch_id, cards[member_id], 20_000, receipt, actor="bench"
                )
                await till.record_purchase(
                    members[member_id],
                    100_000 + i,
                    receipt=receipt,
                    branch_id=branch_id,
                    promo_code="BENCH",
                    now=utcnow(),
                    tz=tz,
                )

    started = time.perf_counter()
    await asyncio.gather(*(purchase(i) for i in range(PURCHASES)))
    elapsed = time.perf_counter() - started
    mismatched = [
        m.id for m in await Member.filter(id__in=ids) if m.balance != await ledger.ledger_sum(m.id)
    ]
    if till_variant:
        promo = await PromoCode.get(code="BENCH")
        assert promo.uses == PURCHASES, promo.uses
    await close_db()
    return {
        "benchmark": "ledger (till: tier discount, promo code, gift card)"
        if till_variant
        else "ledger",
        "database": database_url.split(":", 1)[0],
        "purchases": PURCHASES,
        "members": MEMBERS,
        "concurrency": concurrency,
        "seconds": round(elapsed, 3),
        "per_second": round(PURCHASES / elapsed, 1),
        "ledger_equals_balance": not mismatched,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--concurrency", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=1, help="repeat, each on a fresh database")
    parser.add_argument(
        "--till",
        action="store_true",
        help="each purchase with a tier discount, a promo code and a gift card spend",
    )
    args = parser.parse_args()
    results = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as folder:
            url = (
                args.database_url or f"sqlite://{Path(folder) / 'bench.sqlite3'}?busy_timeout=10000"
            )
            results.append(asyncio.run(run(url, args.concurrency, args.till)))
    rates = sorted(float(r["per_second"]) for r in results)  # type: ignore[arg-type]
    result = {
        **max(results, key=lambda r: float(r["per_second"])),  # type: ignore[arg-type]
        "runs": len(results),
        "per_second_runs": [r["per_second"] for r in results],
        "per_second_median": rates[len(rates) // 2],
        "ledger_equals_balance": all(r["ledger_equals_balance"] for r in results),
        # Figures from a busy machine mean little: the load says how busy it was.
        "load_average": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }
    for key, value in result.items():
        print(f"{key:>24}  {value}")
    print(json.dumps(result))


if __name__ == "__main__":
    patches.apply(Settings())  # as `club` does at start-up, before aiogram is imported
    main()
