import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot import settings as settings_module
from bot.settings import DEFAULT_DATABASE_URL, Settings

ROOT = str(Path(__file__).resolve().parents[1])


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "OWNER_IDS", "CLUB_TIMEZONE", "DEFAULT_LOCALE", "BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(settings_module, "_TIMEZONE_AT_START", None)
    settings = Settings(_env_file=None)
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.timezone == "Asia/Tehran" and settings.default_locale == "fa"
    assert settings.owner_ids == [] and settings.bot_token is None


def test_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OWNER_IDS", "11, 22,33")
    monkeypatch.setenv("BOT_TOKEN", "123:SECRET")
    monkeypatch.setenv("KAVENEGAR_API_KEY", "KEY-XYZ")
    settings = Settings(_env_file=None)
    assert settings.owner_ids == [11, 22, 33]
    assert "SECRET" not in repr(settings) and "KEY-XYZ" not in repr(settings)
    assert settings.bot_token.get_secret_value() == "123:SECRET"


def test_bad_timezone_fails_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLUB_TIMEZONE", "Mars/Olympus")
    with pytest.raises(ValidationError):
        Settings(_env_file=None)


def test_env_example_documents_every_setting_and_loads() -> None:
    from pathlib import Path

    example = Path(__file__).resolve().parent.parent / ".env.example"
    names = {
        line.split("=", 1)[0]
        for line in example.read_text("utf-8").splitlines()
        if line and not line.startswith("#")
    }
    renamed = {"TIMEZONE": "CLUB_TIMEZONE"}  # the old name is still read, not documented
    assert names == {renamed.get(name.upper(), name.upper()) for name in Settings.model_fields}
    settings = Settings(_env_file=example)
    assert settings.redis_url is None and settings.bot_token is None and settings.owner_ids == []


# A process that opens the database and only then reads its settings, as a script or a
# worker may: Tortoise has set TIMEZONE=UTC in its environment by then.
QUIET_AT_2000_UTC = """
import asyncio
from datetime import UTC, datetime

from bot.db import close_db, open_db
from bot.outbox import in_quiet_hours


async def main() -> None:
    await open_db("sqlite://club.sqlite3")
    await close_db()
    from bot.settings import get_settings

    settings = get_settings()
    local = datetime(2026, 3, 1, 20, 0, tzinfo=UTC).astimezone(settings.tz)
    quiet = in_quiet_hours(local.time(), settings.sms_quiet_start, settings.sms_quiet_end)
    print(settings.timezone, local.strftime("%H:%M"), "quiet" if quiet else "sends")


asyncio.run(main())
"""


@pytest.mark.parametrize(
    ("variables", "dotenv"),
    [
        ({"TIMEZONE": "Asia/Tehran"}, ""),  # the old name, in the environment
        ({}, "TIMEZONE=Asia/Tehran\n"),  # the old name, in .env
        ({"CLUB_TIMEZONE": "Asia/Tehran"}, ""),
        ({"CLUB_TIMEZONE": "Asia/Tehran", "TIMEZONE": "Europe/London"}, ""),  # the new name wins
        ({"TIMEZONE": "Europe/London"}, "CLUB_TIMEZONE=Asia/Tehran\n"),  # wherever it is set
    ],
)
def test_the_clubs_zone_survives_opening_the_database(
    tmp_path: Path, variables: dict[str, str], dotenv: str
) -> None:
    (tmp_path / ".env").write_text(dotenv, "utf-8")
    names = ("TIMEZONE", "CLUB_TIMEZONE")
    env = {name: value for name, value in os.environ.items() if name not in names}
    env.update(variables, PYTHONPATH=ROOT)
    done = subprocess.run(
        [sys.executable, "-c", QUIET_AT_2000_UTC],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    # 20:00 UTC is 23:30 in Tehran: inside the quiet hours (22:00-07:00), a campaign SMS waits.
    assert done.stdout == "Asia/Tehran 23:30 quiet\n"


def test_the_new_name_in_this_process(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TIMEZONE", "UTC")  # as Tortoise leaves it
    monkeypatch.setattr(settings_module, "_TIMEZONE_AT_START", None)
    assert Settings(_env_file=None).timezone == "Asia/Tehran"
    monkeypatch.setenv("CLUB_TIMEZONE", "Asia/Dubai")
    assert Settings(_env_file=None).tz.key == "Asia/Dubai"
    assert Settings(_env_file=None, timezone="Europe/Paris").timezone == "Europe/Paris"
