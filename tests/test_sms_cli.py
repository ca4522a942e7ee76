"""`club sms <from> <text>`: one inbound SMS processed locally, the answer printed."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import _run, build_parser
from bot.settings import Settings


async def test_club_sms_prints_the_answer(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = Settings(_env_file=None, database_url=f"sqlite://{tmp_path}/club.sqlite3")

    async def club(*argv: str) -> str:
        assert await _run(build_parser().parse_args(["sms", *argv]), settings) == 0
        return capsys.readouterr().out.strip()

    assert (await club("09121234567", "عضويت", "علی")).startswith("خوش آمدید! کارت ")
    assert await club("۰۹۱۲۱۲۳۴۵۶۷", "امتیاز") != ""
    assert await club("09121234567", "۱۱") == "دیگر پیامک تبلیغاتی نمی‌فرستیم. برای دریافت دوباره ۱۲ بفرستید."
    assert await club("10008663", "عضویت") == "به این پیام پاسخی فرستاده نمی‌شود."
