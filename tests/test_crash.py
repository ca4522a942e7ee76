"""kill -9 in the middle of a burst of purchases costs nothing (SQLite in WAL mode).

A real process records purchases and writes down each acknowledged receipt; it is killed
with SIGKILL after some acknowledgements. Reopened, the database has every acknowledged
purchase exactly once, whole transactions only, and balances equal to ledger sums. The
same burst run again changes nothing that was already recorded.
"""

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from bot.db import apply_migrations, close_db, open_db
from loyalty.members import register_member
from tests.conftest import NOW
from tests.waiting import DEADLINE

ROOT = Path(__file__).resolve().parents[1]
PURCHASES = 400
MEMBERS = 20
KILL_AFTER = 60  # acknowledgements before the kill


def acknowledged(path: Path) -> list[str]:
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").split("\n")
    return [line for line in lines[:-1] if line]  # the last piece may be half-written


def start_burst(url: str, ack: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "tests" / "crash_burst.py"),
            url,
            str(ack),
            str(PURCHASES),
            str(MEMBERS),
        ],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def wait_for_acks(
    process: subprocess.Popen[bytes], ack: Path, count: int, timeout: float = DEADLINE
) -> None:
    deadline = time.monotonic() + timeout
    while len(acknowledged(ack)) < count:
        assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
        assert time.monotonic() < deadline, f"only {len(acknowledged(ack))} acknowledgements"
        time.sleep(0.01)


def total_balance(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT SUM(balance) FROM member").fetchone()[0]


def check_store(path: Path, before: int) -> dict[str, int]:
    """The invariants a crash must not break; returns the receipt counts."""
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        receipts = dict(
            conn.execute("SELECT receipt, COUNT(*) FROM purchase GROUP BY receipt").fetchall()
        )
        per_purchase = conn.execute(
            "SELECT p.receipt, COUNT(e.id) FROM purchase p LEFT JOIN ledger_entry e"
            " ON e.purchase_id = p.id AND e.kind = 'earn'"
            " GROUP BY p.id HAVING COUNT(e.id) != 1 OR SUM(e.amount) != p.points"
        ).fetchall()
        assert per_purchase == []  # each purchase credited once, none half-recorded
        outbox = conn.execute(
            "SELECT COUNT(*) FROM outbox_message WHERE key LIKE 'earned:%'"
        ).fetchone()[0]
        assert outbox == len(receipts)
        mismatched = conn.execute(
            "SELECT m.id FROM member m LEFT JOIN ledger_entry e ON e.member_id = m.id"
            " GROUP BY m.id HAVING m.balance != COALESCE(SUM(e.amount), 0)"
        ).fetchall()
        assert mismatched == []
        earned = conn.execute("SELECT COALESCE(SUM(points), 0) FROM purchase").fetchone()[0]
        balances = conn.execute("SELECT SUM(balance) FROM member").fetchone()[0]
        assert balances == before + earned  # nothing counted twice
    assert all(count == 1 for count in receipts.values())
    return receipts


async def prepare(url: str) -> None:
    await apply_migrations(url)
    await open_db(url, run_migrations=False)
    for n in range(MEMBERS):
        await register_member(f"0912{n:07d}", now=NOW)
    await close_db()


def test_kill_9_during_a_burst_of_purchases(tmp_path: Path) -> None:
    path = tmp_path / "club.sqlite3"
    url = f"sqlite://{path}?busy_timeout=10000"
    ack = tmp_path / "ack.txt"
    asyncio.run(prepare(url))
    before = total_balance(path)

    process = start_burst(url, ack)
    try:
        wait_for_acks(process, ack, KILL_AFTER)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.kill()
        process.wait(timeout=DEADLINE)
    assert process.returncode == -signal.SIGKILL
    acked = acknowledged(ack)
    receipts = check_store(path, before)
    assert set(acked) <= set(receipts)  # nothing acknowledged was lost
    assert len(receipts) < PURCHASES  # the kill did land in the middle

    again = start_burst(url, ack)
    assert again.wait(timeout=DEADLINE) == 0, again.stderr.read().decode() if again.stderr else ""
    receipts = check_store(path, before)
    assert set(receipts) == {f"crash-{n}" for n in range(PURCHASES)}
