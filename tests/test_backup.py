"""`club backup` copies the SQLite database consistently while purchases keep arriving."""

import asyncio
import io
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image
from tortoise import Tortoise

from bot.backup import TargetInDataFolder, backup_sqlite, sqlite_path
from bot.db import apply_migrations, close_db, open_db
from loyalty import earning
from loyalty.members import register_member
from loyalty.pictures import PictureFolder, prepare
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


async def test_backup_while_purchases_are_written(
    db: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    copies_folder = tmp_path_factory.mktemp("copies")  # outside the database's folder
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
        target = copies_folder / f"copy{len(copies)}.sqlite3"
        copies.append(await asyncio.to_thread(backup_sqlite, sqlite_path(db), target))
        overlapped += written > started
    stop.set()
    await writer

    assert overlapped == 3  # purchases were committed while copies were being taken
    for copy in copies:
        with sqlite3.connect(copy) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            purchases = conn.execute("SELECT COUNT(*) FROM purchase").fetchone()[0]
            earned = conn.execute(
                "SELECT COUNT(*) FROM ledger_entry WHERE kind = 'earn'"
            ).fetchone()[0]
            outbox = conn.execute(
                "SELECT COUNT(*) FROM outbox_message WHERE key LIKE 'earned:%'"
            ).fetchone()[0]
        assert 20 <= purchases <= written
        assert purchases == earned == outbox  # whole transactions only
        assert ledger_mismatches(copy) == []
    assert not list(copies_folder.glob("*.partial"))


ROOT = str(Path(__file__).resolve().parents[1])  # this checkout, wherever the test runs


def run_club(tmp_path: Path, database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEFAULT_LOCALE": "en",
        "BOT_TOKEN": "",
        "PYTHONPATH": ROOT,
    }
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_backup_command(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path}/data/club.sqlite3"
    assert run_club(tmp_path, url, "member", "add", "09121234567").returncode == 0
    done = run_club(tmp_path, url, "backup", "copies/club.sqlite3")
    target = tmp_path / "copies" / "club.sqlite3"
    assert (done.returncode, done.stdout) == (0, f"Backup written to {target}.\n")
    assert ledger_mismatches(target) == []
    with sqlite3.connect(target) as conn:
        assert conn.execute("SELECT COUNT(*) FROM member").fetchone() == (1,)

    # The pages' pictures (MEDIA_DIR, data/media by default) go beside it, new ones only.
    media = tmp_path / "data" / "media"
    media.mkdir()
    logo = PictureFolder(media).save(prepare(_png()))
    (media / "notes.txt").write_text("not a stored picture")
    again = run_club(tmp_path, url, "backup", "copies/club.sqlite3")
    kept = tmp_path / "copies" / "media"
    assert again.stdout == (f"Backup written to {target}.\nNew pictures copied to {kept}: 1.\n")
    assert sorted(p.name for p in kept.iterdir()) == [logo]
    assert (kept / logo).read_bytes() == (media / logo).read_bytes()
    third = run_club(tmp_path, url, "backup", "copies/club.sqlite3")
    assert third.stdout == f"Backup written to {target}.\n"  # nothing new to copy

    missing = run_club(tmp_path, f"sqlite://{tmp_path}/none.sqlite3", "backup", "x.sqlite3")
    assert (missing.returncode, missing.stdout) == (1, "")
    assert missing.stderr == f"There is no database at {tmp_path}/none.sqlite3 to back up.\n"

    postgres = run_club(tmp_path, "postgres://club@127.0.0.1:1/club", "backup", "x.sqlite3")
    assert (postgres.returncode, postgres.stdout) == (
        0,
        "This database is not a SQLite file: back it up with pg_dump.\n",
    )


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 20, 30)).save(out, "PNG")
    return out.getvalue()


REFUSED = (
    "A backup cannot be written in {folder}, the database's own folder: choose a path outside it.\n"
)


@pytest.mark.parametrize(
    "target", ["data/club.sqlite3", "live.sqlite3", "{tmp}/data/backups/club.sqlite3"]
)
async def test_backup_refuses_the_live_database_and_its_folder(tmp_path: Path, target: str) -> None:
    """`club backup data/club.sqlite3` while the bot ran replaced the live file: the
    purchases the bot recorded afterwards went to a file no longer there."""
    url = "sqlite://data/club.sqlite3?busy_timeout=10000"  # the default, in the club's folder
    database = tmp_path / "data" / "club.sqlite3"
    await apply_migrations(f"sqlite://{database}")
    (tmp_path / "live.sqlite3").symlink_to(database)
    await open_db(f"sqlite://{database}?busy_timeout=10000")  # the running bot's connection
    try:
        member = (await register_member("09121234567", now=NOW)).member
        target = target.format(tmp=tmp_path)
        refused = await asyncio.to_thread(run_club, tmp_path, url, "backup", target)
        assert (refused.returncode, refused.stdout) == (1, "")
        assert refused.stderr == REFUSED.format(folder=tmp_path / "data")
        await earning.award_purchase(member.id, 150_000, receipt="after", now=NOW)
        # As the bot's connection does by itself every 1,000 pages: with the live file
        # replaced, it wrote into the old one, which no longer had a name.
        await Tortoise.get_connection("default").execute_query("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        await close_db()
    with sqlite3.connect(database) as conn:
        assert conn.execute("SELECT receipt FROM purchase").fetchall() == [("after",)]
    files = [p.name for p in (tmp_path / "data").iterdir() if not p.name.endswith(("-wal", "-shm"))]
    assert files == ["club.sqlite3"]


@pytest.mark.parametrize(
    "target",
    [
        "data/club.sqlite3",
        "./data/../data/club.sqlite3",
        "live.sqlite3",
        "hard.sqlite3",
        "data/club.sqlite3-wal",
        "data/backups/club.sqlite3",
        "data",
        "data/",
    ],
)
def test_every_way_to_name_the_database_or_its_folder_is_refused(
    tmp_path: Path, target: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = tmp_path / "data" / "club.sqlite3"
    database.parent.mkdir()
    sqlite3.connect(database).close()
    (tmp_path / "live.sqlite3").symlink_to(database)
    os.link(database, tmp_path / "hard.sqlite3")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(TargetInDataFolder) as refused:
        backup_sqlite(Path("data/club.sqlite3"), Path(target))
    assert refused.value.folder == tmp_path / "data"
    copy = backup_sqlite(Path("data/club.sqlite3"), Path("data-copy.sqlite3"))
    assert copy == tmp_path / "data-copy.sqlite3"


def test_backup_refusal_in_persian(tmp_path: Path) -> None:
    url = "sqlite://data/club.sqlite3"
    assert run_club(tmp_path, url, "migrate").returncode == 0
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DEFAULT_LOCALE": "fa",
        "BOT_TOKEN": "",
        "PYTHONPATH": ROOT,
    }
    refused = subprocess.run(
        [sys.executable, "-m", "bot.cli", "backup", "data/club.sqlite3"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert refused.returncode == 1
    folder = tmp_path / "data"
    assert refused.stderr == (
        f"نسخهٔ پشتیبان را نمی‌توان در {folder}، پوشهٔ خود پایگاه داده، "
        "نوشت: مسیری بیرون از آن انتخاب کنید.\n"
    )
