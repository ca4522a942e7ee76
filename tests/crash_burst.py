"""A burst of purchases in its own process, for tests/test_crash.py to kill midway.

    python tests/crash_burst.py DATABASE_URL ACK_FILE PURCHASES MEMBERS

Each receipt is written to ACK_FILE (flushed and fsynced) only after award_purchase has
returned, the moment a cashier would see "points earned".
"""

import asyncio
import os
import sys
from typing import TextIO

from bot import patches
from bot.db import close_db, open_db
from bot.settings import Settings
from loyalty import earning
from models import Member

CONCURRENCY = 8


async def burst(url: str, ack: TextIO, purchases: int, members: int) -> None:
    await open_db(url, run_migrations=False)
    ids = sorted(await Member.all().values_list("id", flat=True))[:members]
    gate = asyncio.Semaphore(CONCURRENCY)

    async def buy(n: int) -> None:
        async with gate:
            await earning.award_purchase(ids[n % len(ids)], 100_000 + n, receipt=f"crash-{n}")
        ack.write(f"crash-{n}\n")
        ack.flush()
        os.fsync(ack.fileno())

    await asyncio.gather(*(buy(n) for n in range(purchases)))
    await close_db()


if __name__ == "__main__":
    url, ack_path, purchases, members = sys.argv[1:5]
    patches.apply(Settings(_env_file=None))  # as `club` does at start-up
    with open(ack_path, "a", encoding="utf-8") as ack:
        asyncio.run(burst(url, ack, int(purchases), int(members)))
