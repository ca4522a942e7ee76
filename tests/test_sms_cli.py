"""`club sms <from> <text>`: one inbound SMS processed locally, the answer printed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import _run, build_parser
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


async def test_club_sms_prints_the_answer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings(_env_file=None, database_url=f"sqlite://{tmp_path}/club.sqlite3")

    async def club(*argv: str) -> str:
        assert await _run(build_parser().parse_args(["sms", *argv]), settings) == 0
        return capsys.readouterr().out.strip()

    assert (await club("09121234567", "عضويت", "علی")).startswith("خوش آمدید! کارت ")
    assert await club("۰۹۱۲۱۲۳۴۵۶۷", "امتیاز") != ""
    assert (
        await club("09121234567", "۱۱")
        == "دیگر پیامک تبلیغاتی نمی‌فرستیم. برای دریافت دوباره ۱۲ بفرستید."
    )
    assert await club("10008663", "عضویت") == "به این پیام پاسخی فرستاده نمی‌شود."
    assert await club("+14155550100", "JOIN") == "به این پیام پاسخی فرستاده نمی‌شود."


@pytest.mark.parametrize("argv", [[b"09121234567", b"\xff\xfe hi"], [b"0912\xff", b"JOIN"]])
def test_club_sms_with_bytes_that_are_not_utf8_prints_one_line(
    tmp_path: Path, argv: list[bytes]
) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite://{tmp_path}/club.sqlite3",
        "DEFAULT_LOCALE": "en",
    }
    done = subprocess.run(
        [sys.executable.encode(), b"-m", b"bot.cli", b"sms", *argv],
        env=env,
        cwd=ROOT,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert (done.returncode, done.stdout) == (1, b"")
    assert done.stderr.decode() == "The sender and the text must be valid UTF-8.\n"
