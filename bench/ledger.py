"""Benchmark 4: 1,000 concurrent purchases over 100 members, then every ledger sum checked.

    python -m bench.ledger                      # SQLite file in a temporary folder
    python -m bench.ledger --database-url postgres://postgres@127.0.0.1:5432/test
    python -m bench.ledger --runs 5             # best and spread of five runs

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
from pathlib import Path

from tortoise import Tortoise
from tortoise.transactions import in_transaction

from bot import patches
from bot.db import close_db, open_db
from bot.settings import Settings
from loyalty import earning, ledger
from loyalty.members import register_member
from models import Member

MEMBERS = 100
PURCHASES = 1_000


async def _reset_postgres() -> None:
    tables = [m._meta.db_table for m in Tortoise.apps["models"].values()] + ["member_interest"]
    async with in_transaction() as conn:
        await conn.execute_script(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")


async def run(database_url: str, concurrency: int) -> dict[str, object]:
    await open_db(database_url)
    if database_url.startswith("postgres"):
        await _reset_postgres()
        await close_db()
        await open_db(database_url)
    ids = [(await register_member(f"0912{n:07d}")).member.id for n in range(MEMBERS)]
    gate = asyncio.Semaphore(concurrency)

    async def purchase(i: int) -> None:
        async with gate:
            await earning.award_purchase(ids[i % MEMBERS], 100_000 + i, receipt=f"bench-{i}")

    started = time.perf_counter()
    await asyncio.gather(*(purchase(i) for i in range(PURCHASES)))
    elapsed = time.perf_counter() - started
    mismatched = [
        m.id for m in await Member.filter(id__in=ids) if m.balance != await ledger.ledger_sum(m.id)
    ]
    await close_db()
    return {
        "benchmark": "ledger",
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
    args = parser.parse_args()
    results = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as folder:
            url = (
                args.database_url or f"sqlite://{Path(folder) / 'bench.sqlite3'}?busy_timeout=10000"
            )
            results.append(asyncio.run(run(url, args.concurrency)))
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
