"""`club backup` copies the SQLite database consistently while purchases keep arriving."""

import asyncio
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from bot.backup import backup_sqlite, sqlite_path
from loyalty import earning
from loyalty.members import register_member
from tests.conftest import NOW
from tests.waiting import eventually


def ledger_mismatches(path: Path) -> list[tuple[int, int, int]]:
    """Members whose cached balance differs from the sum of their ledger rows."""
    with sqlite3.connect(path) as conn:
        return conn.execute(
            "SELECT m.id, m.balance, COALESCE(SUM(e.amount), 0) FROM member m"
            " LEFT JOIN ledger_entry e ON e.member_id = m.id GROUP BY m.id"
            " HAVING m.balance != COALESCE(SUM(e.amount), 0)"
        ).fetchall()


async def test_backup_while_purchases_are_written(db: str, tmp_path: Path) -> None:
    ids = [(await register_member(f"0912{n:07d}", now=NOW)).member.id for n in range(5)]
    stop = asyncio.Event()
    written = 0

    async def buy() -> None:
        nonlocal written
        while not stop.is_set():
            await earning.award_purchase(ids[written % 5], 150_000, receipt=f"r{written}", now=NOW)
            written += 1

    writer = asyncio.create_task(buy())

    def under_way() -> bool:  # the writer is well under way before the copy starts
        assert not writer.done(), writer
        return written >= 20

    await eventually(under_way, "20 purchases")
    copies: list[Path] = []
    overlapped = 0  # copies during which at least one purchase was committed
    while overlapped < 3 and len(copies) < 100:
        started = written
        copies.append(await asyncio.to_thread(backup_sqlite, sqlite_path(db), tmp_path / f"copy{len(copies)}.sqlite3"))
        overlapped += written > started
    stop.set()
    await writer

    assert overlapped == 3  # purchases were committed while copies were being taken
    for copy in copies:
        with sqlite3.connect(copy) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            purchases = conn.execute("SELECT COUNT(*) FROM purchase").fetchone()[0]
            earned = conn.execute("SELECT COUNT(*) FROM ledger_entry WHERE kind = 'earn'").fetchone()[0]
            outbox = conn.execute("SELECT COUNT(*) FROM outbox_message WHERE key LIKE 'earned:%'").fetchone()[0]
        assert 20 <= purchases <= written
        assert purchases == earned == outbox  # whole transactions only
        assert ledger_mismatches(copy) == []
    assert not list(tmp_path.glob("*.partial"))


ROOT = str(Path(__file__).resolve().parents[1])  # this checkout, wherever the test runs


def run_club(tmp_path: Path, database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "DEFAULT_LOCALE": "en", "BOT_TOKEN": "", "PYTHONPATH": ROOT}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )


def test_backup_command(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path}/club.sqlite3"
    assert run_club(tmp_path, url, "member", "add", "09121234567").returncode == 0
    done = run_club(tmp_path, url, "backup", "copies/club.sqlite3")
    target = tmp_path / "copies" / "club.sqlite3"
    assert (done.returncode, done.stdout) == (0, f"Backup written to {target}.\n")
    assert ledger_mismatches(target) == []
    with sqlite3.connect(target) as conn:
        assert conn.execute("SELECT COUNT(*) FROM member").fetchone() == (1,)

    missing = run_club(tmp_path, f"sqlite://{tmp_path}/none.sqlite3", "backup", "x.sqlite3")
    assert (missing.returncode, missing.stdout) == (1, "")
    assert missing.stderr == f"There is no database at {tmp_path}/none.sqlite3 to back up.\n"

    postgres = run_club(tmp_path, "postgres://club@127.0.0.1:1/club", "backup", "x.sqlite3")
    assert (postgres.returncode, postgres.stdout) == (
        0, "This database is not a SQLite file: back it up with pg_dump.\n"
    )
