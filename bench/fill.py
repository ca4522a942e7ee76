"""A large club written straight into the database, for the benchmarks that need one.

Setup, not measured: rows are written in bulk (executemany on SQLite, COPY on PostgreSQL),
so Member.save does not run and the birthday keys are set here with models.members.birthday_keys.
The members look like a real club's: mostly Persian readers, birth dates over the whole
year (29 February and Esfand 30 included), most in the lowest tier, purchases spread
over a year, some who never bought, some deleted.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from functools import cache

from tortoise import Tortoise

from models import Tier
from models.members import birthday_keys

COLUMNS = (
    "phone",
    "telegram_id",
    "first_name",
    "last_name",
    "gender",
    "birth_date",
    "birthday_jalali",
    "birthday_gregorian",
    "customer_type",
    "company_name",
    "locale",
    "preferred_channel",
    "consent_telegram",
    "consent_sms",
    "reachable_telegram",
    "reachable_sms",
    "balance",
    "tier_id",
    "referral_code",
    "joined_at",
    "last_purchase_at",
    "deleted_at",
)
BATCH = 20_000
TIER_SHARES = (("bronze", 0.70), ("silver", 0.22), ("gold", 0.08))
FIRST_BIRTH = date(1950, 1, 1)
BIRTH_DAYS = (date(2008, 12, 31) - FIRST_BIRTH).days
LEAP_BIRTHS = (
    date(2000, 2, 29),
    date(2001, 3, 20),
    date(1992, 2, 29),
    date(1997, 3, 20),
)  # 1379-12-30, 1375-12-30


@cache
def _keys(born: date) -> tuple[int | None, int | None]:
    return birthday_keys(born)


def _member(
    n: int, rng: random.Random, tiers: list[int], weights: list[float], now: datetime
) -> tuple:
    born = None
    if rng.random() < 0.85:
        born = (
            LEAP_BIRTHS[n % 4]
            if n % 1000 == 0
            else FIRST_BIRTH + timedelta(days=rng.randrange(BIRTH_DAYS))
        )
    jalali, gregorian = _keys(born) if born else (None, None)
    joined = now - timedelta(days=rng.uniform(1, 3 * 365))
    bought = None if rng.random() < 0.1 else max(joined, now - timedelta(days=rng.uniform(0, 365)))
    deleted = now - timedelta(days=rng.uniform(0, 30)) if rng.random() < 0.02 else None
    on_telegram = deleted is None and rng.random() < 0.7
    return (
        None if deleted else f"+98912{n:07d}",
        10_000_000 + n if on_telegram else None,
        f"M{n}",
        "",
        rng.choice(("male", "female", "unspecified")),
        born,
        jalali,
        gregorian,
        "individual",
        "",
        "fa" if rng.random() < 0.8 else "en",
        "telegram" if on_telegram else "sms",
        deleted is None,
        deleted is None and rng.random() < 0.9,
        on_telegram,
        deleted is None,
        rng.randrange(0, 3000),
        rng.choices(tiers, weights)[0],
        f"B{n:09d}",
        joined,
        bought,
        deleted,
    )


async def fill_members(count: int, *, now: datetime | None = None, seed: int = 5) -> None:
    """Add `count` members to an open, migrated database with its default tiers."""
    now = now or datetime.now(UTC)
    rng = random.Random(seed)
    by_code = {t.code: t.id for t in await Tier.all()}
    tiers = [by_code[code] for code, _ in TIER_SHARES]
    weights = [share for _, share in TIER_SHARES]
    connection = Tortoise.get_connection("default")
    postgres = connection.capabilities.dialect == "postgres"
    insert = f"INSERT INTO member ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
    for start in range(0, count, BATCH):
        rows = [
            _member(n, rng, tiers, weights, now) for n in range(start, min(count, start + BATCH))
        ]
        if postgres:
            async with connection.acquire_connection() as raw:
                await raw.copy_records_to_table("member", records=rows, columns=COLUMNS)
        else:
            await connection.execute_many(insert, [list(row) for row in rows])
    if postgres:
        await connection.execute_script("ANALYZE member")
    else:
        await connection.execute_script("ANALYZE")


PURCHASE_COLUMNS = (
    "branch_id",
    "receipt",
    "member_id",
    "amount",
    "points",
    "refunded_amount",
    "refunded_points",
    "created_at",
)


async def fill_purchases(
    count: int, members: int, *, now: datetime | None = None, seed: int = 7
) -> None:
    """Add `count` purchases over the last year by members 1..`members`, at the first branch.

    A few members buy often and most rarely (a Pareto draw), as in a real shop; one in
    fifty purchases was later returned in full.
    """
    now = now or datetime.now(UTC)
    rng = random.Random(seed)
    connection = Tortoise.get_connection("default")
    postgres = connection.capabilities.dialect == "postgres"
    branch = (await connection.execute_query_dict("SELECT MIN(id) AS id FROM branch"))[0]["id"]
    columns, marks = ", ".join(PURCHASE_COLUMNS), ", ".join("?" * len(PURCHASE_COLUMNS))
    insert = f"INSERT INTO purchase ({columns}) VALUES ({marks})"
    for start in range(0, count, BATCH):
        rows = []
        for n in range(start, min(count, start + BATCH)):
            amount = rng.randrange(50_000, 5_000_000, 10_000)
            member = min(members, int(rng.paretovariate(1.2) * members / 20) % members + 1)
            rows.append(
                (
                    branch,
                    f"F{n}",
                    member,
                    amount,
                    amount // 10_000,
                    amount if rng.random() < 0.02 else 0,
                    0,
                    now - timedelta(days=rng.uniform(0, 365)),
                )
            )
        if postgres:
            async with connection.acquire_connection() as raw:
                await raw.copy_records_to_table("purchase", records=rows, columns=PURCHASE_COLUMNS)
        else:
            await connection.execute_many(insert, [list(row) for row in rows])
    await connection.execute_script("ANALYZE purchase" if postgres else "ANALYZE")
