"""Several processes writing one SQLite file: each waits its turn, none fails half-way.

`club run` holds the database while an owner runs `club earn` or `club import` in a
terminal. Every write there used to risk "database is locked" at once, whatever
busy_timeout said: a transaction that had read before another process committed could
no longer write. Here the real processes run side by side.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import re
import sqlite3
import sys
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from tortoise.exceptions import OperationalError
from tortoise.transactions import in_transaction

from bot.db import close_db, open_db
from loyalty import ledger
from loyalty.members import register_member
from models import LedgerEntry, Member, Purchase
from tests.club_runner import Club, open_fresh
from tests.conftest import NOW
from tests.fakes.bot_api import FakeBotAPI
from tests.waiting import DEADLINE as WAIT
from tests.waiting import eventually

ROOT = str(Path(__file__).resolve().parents[1])
OWNERS = tuple(range(7001, 7301))
# What `club earn` prints for a new member's purchase of 150,000.
EARNED_15 = "15 points earned; balance 35; tier Bronze.\nNext tier: Silver, 485 points away.\n"
BUSY = (
    "The database stayed busy too long (the bot or another command is writing to it): "
    "try again in a moment.\n"
)


def phone(n: int) -> str:
    return f"0912{n:07d}"


async def club(tmp_path: Path, url: str, *args: str) -> tuple[int, str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DEFAULT_LOCALE": "en",
        "BOT_TOKEN": "",
        "PYTHONPATH": ROOT,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        *args,
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    # Twelve of these start at once beside a running bot: on two busy cores each may need
    # minutes of wall time just to import the club, so the bound is three deadlines.
    out, err = await asyncio.wait_for(process.communicate(), 3 * WAIT)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


@asynccontextmanager
async def bot_writing(tmp_path: Path, url: str, members: int) -> AsyncIterator[FakeBotAPI]:
    """`club run`, recording purchases from owners' /earn commands all the while."""
    async with FakeBotAPI() as api:
        for owner in OWNERS:
            api.add_user(owner, language_code="en")
        bot = Club(api, url, tmp_path, owners=OWNERS)
        stop = asyncio.Event()

        def answered() -> int:
            return sum(1 for method, _ in list(api.calls) if method == "sendMessage")

        async def keep_writing() -> None:
            sent = 0
            while not stop.is_set() and sent < 20_000:
                if sent - answered() < 10:  # a few in flight, so the bot writes without pause
                    api.push_message(
                        OWNERS[sent % len(OWNERS)],
                        f"/earn {phone(sent % members)} 100000 bot-{sent}",
                        language_code="en",
                    )
                    sent += 1
                else:
                    await asyncio.sleep(0.005)

        await bot.start()
        writer = asyncio.create_task(keep_writing())
        try:
            await bot.until(lambda: answered() >= 20, "the bot's first answers")
            yield api
        finally:
            stop.set()
            await writer
            await bot.kill()


def bot_answers(api: FakeBotAPI) -> list[str]:
    return [params["text"] for method, params in list(api.calls) if method == "sendMessage"]


async def members_and_close(url: str, count: int) -> list[int]:
    for n in range(count):
        await register_member(phone(n), now=NOW)
    ids = await Member.all().order_by("id").values_list("id", flat=True)
    await close_db()
    return list(ids)


async def assert_ledger_agrees(url: str) -> None:
    await open_db(url, run_migrations=False)
    try:
        for member in await Member.all():
            assert member.balance == await ledger.ledger_sum(member.id)
    finally:
        await close_db()


async def test_club_earn_in_parallel_while_the_bot_records_purchases(tmp_path: Path) -> None:
    url = await open_fresh("sqlite", tmp_path)
    await members_and_close(url, 52)
    async with bot_writing(tmp_path, url, members=40) as api:
        results = await asyncio.gather(
            *[
                club(tmp_path, url, "earn", phone(40 + n), "150000", "--receipt", f"cli-{n}")
                for n in range(12)
            ]
        )
    for status, out, err in results:
        assert (status, out, err) == (0, EARNED_15, "")
    answers = bot_answers(api)
    # The bot's own purchases waited their turn too: none was answered with an error.
    # (a member who reached Silver gets its discount: the answer lists it first)
    assert answers and [a for a in answers if "Purchase recorded: " not in a] == []

    await open_db(url, run_migrations=False)
    try:
        receipts = await Purchase.all().values_list("receipt", flat=True)
        assert sorted(r for r in receipts if r.startswith("cli-")) == sorted(
            f"cli-{n}" for n in range(12)
        )
        assert len(receipts) == len(set(receipts))
    finally:
        await close_db()
    await assert_ledger_agrees(url)


async def test_a_write_refused_too_long_says_so_in_one_line(tmp_path: Path) -> None:
    url = await open_fresh("sqlite", tmp_path)
    await members_and_close(url, 1)
    quick = f"sqlite://{tmp_path / 'club.sqlite3'}?busy_timeout=100"
    holder = sqlite3.connect(tmp_path / "club.sqlite3", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock throughout
    try:
        refused = await club(tmp_path, quick, "earn", phone(0), "150000", "--receipt", "R1")
    finally:
        holder.rollback()
        holder.close()
    assert refused == (1, "", BUSY)
    done = await club(tmp_path, quick, "earn", phone(0), "150000", "--receipt", "R1")
    assert done == (0, EARNED_15, "")


def members_csv(rows: int) -> str:
    lines = ["phone,first_name,balance"] + [
        f"{phone(1000 + n)},Member{n},{n % 50}" for n in range(rows)
    ]
    lines += ["12345,Bad,1", "09125550000,Bad,-5"]  # two refused rows
    return "\n".join(lines) + "\n"


async def test_club_import_while_the_bot_records_purchases(tmp_path: Path) -> None:
    url = await open_fresh("sqlite", tmp_path)
    await members_and_close(url, 40)
    (tmp_path / "members.csv").write_text(members_csv(1500), "utf-8")
    async with bot_writing(tmp_path, url, members=40):
        status, out, err = await club(tmp_path, url, "import", "members.csv")
    assert (status, out.split("\n")[0]) == (
        0,
        "Imported 1,500 new members; 0 were already in the club; 2 rows with errors.",
    )
    assert "[##############################] 1500/1500\n" in err
    await open_db(url, run_migrations=False)
    try:
        assert await Member.filter(phone__startswith="+98912000").count() == 1540
        assert await LedgerEntry.filter(idempotency_key__startswith="import:").count() == 1470
    finally:
        await close_db()
    await assert_ledger_agrees(url)


async def _import_held_part_way(
    tmp_path: Path,
) -> tuple[str, asyncio.subprocess.Process, bytes, list[str]]:
    """`club import` of 4,000 rows, and the write lock taken by another process once a few
    chunks are in; the club's URL, the finished child, its stdout and last lines of stderr.

    The child's stderr is a pipe of one page that the test leaves unread until it holds the
    lock: the progress bar fills that page well before the last row, so the child waits in
    its progress line however slowly the test is scheduled, and cannot finish first."""
    url = await open_fresh("sqlite", tmp_path)
    await members_and_close(url, 0)
    (tmp_path / "members.csv").write_text(members_csv(4000), "utf-8")
    quick = f"sqlite://{tmp_path / 'club.sqlite3'}?busy_timeout=100"
    env = {
        **os.environ,
        "DATABASE_URL": quick,
        "DEFAULT_LOCALE": "en",
        "BOT_TOKEN": "",
        "PYTHONPATH": ROOT,
    }
    read_end, write_end = os.pipe()
    fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, 4096)
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "import",
            "members.csv",
            env=env,
            cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE,
            stderr=write_end,
        )
    finally:
        os.close(write_end)
    assert process.stdout is not None
    try:

        def members_in() -> int:
            with sqlite3.connect(tmp_path / "club.sqlite3", timeout=WAIT) as reader:
                return reader.execute("SELECT COUNT(*) FROM member").fetchone()[0]

        await eventually(lambda: members_in() >= 100, "a few chunks committed")
        holder = sqlite3.connect(tmp_path / "club.sqlite3", isolation_level=None, timeout=WAIT)
        holder.execute("BEGIN IMMEDIATE")  # and now another process keeps the lock
        try:
            with os.fdopen(read_end, "rb") as err:
                read_end = -1
                stderr = asyncio.create_task(asyncio.to_thread(err.read))
                out = await asyncio.wait_for(process.stdout.read(), WAIT)
                await asyncio.wait_for(process.wait(), WAIT)
                rest = await asyncio.wait_for(stderr, WAIT)
        finally:
            holder.rollback()
            holder.close()
    finally:
        if read_end >= 0:
            os.close(read_end)
        if process.returncode is None:
            process.kill()
            await process.wait()
    return url, process, out, rest.decode().split("\n")[-3:]


async def test_an_import_stopped_part_way_says_how_far_and_goes_on_when_run_again(
    tmp_path: Path,
) -> None:
    url, process, out, stopped = await _import_held_part_way(tmp_path)
    assert (process.returncode, out) == (1, b"")
    done = int(re.search(r"stopped after ([\d,]+) of", stopped[0]).group(1).replace(",", ""))
    assert stopped == [
        (
            f"The import stopped after {done:,} of 4,000 rows ({done:,} imported, "
            "0 already in the club): run the same command again for the rest; "
            "nothing is imported twice."
        ),
        BUSY.strip(),
        "",
    ]
    assert 100 <= done < 4000 and done % 25 == 0  # whole chunks only

    status, out, err = await club(tmp_path, url, "import", "members.csv")
    assert "] 4000/4000\n" in err
    assert (status, out.split("\n")[0]) == (
        0,
        (
            f"Imported {4000 - done:,} new members; {done:,} were already in the club; "
            "2 rows with errors."
        ),
    )
    await open_db(url, run_migrations=False)
    try:
        assert await Member.all().count() == 4000
        assert await LedgerEntry.filter(idempotency_key__startswith="import:").count() == 3920
    finally:
        await close_db()
    await assert_ledger_agrees(url)


async def test_a_transaction_that_read_first_still_writes_after_another_process_committed(
    db: str,
) -> None:
    member = (await register_member(phone(0), now=NOW)).member
    path = db.removeprefix("sqlite://").split("?")[0]
    tried, wrote = threading.Event(), threading.Event()

    def another_process() -> None:
        """Writes the member's first name, retrying by hand so that each try is seen."""
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            for _ in range(6000):
                try:
                    other.execute(
                        "UPDATE member SET first_name = 'Other' WHERE id = ?", (member.id,)
                    )
                    break
                except sqlite3.OperationalError:
                    tried.set()
                    time.sleep(0.01)
        finally:
            other.close()
        wrote.set()

    async with in_transaction():
        await Member.get(id=member.id)  # this transaction reads first
        other = asyncio.create_task(asyncio.to_thread(another_process))
        await eventually(lambda: tried.is_set() or wrote.is_set(), "the other process's first try")
        await Member.filter(id=member.id).update(last_name="Mine")  # then writes
    await other
    assert await Member.get(id=member.id).values_list("first_name", "last_name") == (
        "Other",
        "Mine",
    )


async def test_a_transaction_refused_too_long_leaves_the_connection_usable(tmp_path: Path) -> None:
    path = tmp_path / "club.sqlite3"
    await open_fresh("sqlite", tmp_path)
    await close_db()
    await open_db(f"sqlite://{path}?busy_timeout=50", run_migrations=False)
    try:
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(OperationalError, match="database is locked"):
                async with in_transaction():
                    await Member.all().count()
        finally:
            holder.rollback()
            holder.close()
        async with asyncio.timeout(WAIT):
            await register_member(phone(0), now=NOW)
        assert await Member.all().count() == 1
    finally:
        await close_db()
