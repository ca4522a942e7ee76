import pytest
from pydantic import ValidationError

from bot.settings import DEFAULT_DATABASE_URL, Settings


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "OWNER_IDS", "TIMEZONE", "DEFAULT_LOCALE", "BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
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
    monkeypatch.setenv("TIMEZONE", "Mars/Olympus")
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
    assert names == {name.upper() for name in Settings.model_fields}
    settings = Settings(_env_file=example)
    assert settings.redis_url is None and settings.bot_token is None and settings.owner_ids == []
