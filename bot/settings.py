"""The one settings object, read from the environment and `.env`.

Club rules (earning rate, tiers, bonuses) are not here: they live in the database so the
owner can change them from the bot.
"""

import os
import re
from collections.abc import Mapping
from datetime import time
from functools import lru_cache
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

DEFAULT_DATABASE_URL = "sqlite://data/club.sqlite3?busy_timeout=10000"

# Tortoise sets os.environ["TIMEZONE"] = "UTC" each time it opens the database, so the
# club's zone is named CLUB_TIMEZONE. The old name still counts, but only as the process
# found it at start (taken here, before anything can open the database) or in `.env`.
_TIMEZONE_AT_START = os.environ.get("TIMEZONE")


def _without_zone(variables: Mapping[str, str | None]) -> dict[str, str | None]:
    names = ("timezone", "club_timezone")
    return {name: value for name, value in variables.items() if name not in names}


class Settings(BaseSettings):
    # hide_input_in_errors: a mistyped secret must not be printed back in the error.
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", hide_input_in_errors=True
    )

    bot_token: SecretStr | None = None
    owner_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    database_url: str = DEFAULT_DATABASE_URL
    redis_url: str | None = None
    telegram_api_base: str | None = None
    webhook_url: str | None = None
    # Telegram sends it with every webhook call; without it one is derived from the token.
    webhook_secret: SecretStr | None = None
    web_workers: int = Field(default=1, ge=1)  # processes serving WEB_PORT in webhook mode
    web_host: str = "127.0.0.1"
    web_port: int = 8080
    # The club's pages (handlers/web) as Telegram opens them: a public HTTPS address. Empty:
    # WEBHOOK_URL + /club/ when that is HTTPS; neither: no "Open the club" button.
    web_app_url: str | None = None
    # Signs the pages' session cookies; empty: one derived from BOT_TOKEN.
    web_session_secret: SecretStr | None = None
    web_session_hours: float = Field(default=12.0, gt=0)  # a sign-in lasts this long
    # Telegram's sign-in data (initData) is refused once older than this many seconds.
    web_init_max_age: int = Field(default=3600, gt=0)
    # Where pictures staff upload (logo, cover, rewards, banners, gallery) are kept.
    media_dir: Path = Path("data/media")
    # On SIGTERM or Ctrl-C, how long updates in hand may take to finish; the rest wait for the
    # next start.
    shutdown_seconds: float = Field(default=20.0, gt=0)
    kavenegar_api_key: SecretStr | None = None
    kavenegar_sender: str | None = None
    kavenegar_api_base: str | None = None
    sms_webhook_secret: SecretStr | None = None
    sms_poll_seconds: int = 0  # 0: no polling (the webhook brings messages)
    sms_rate_per_minute: int = 5  # inbound SMS from one sender; more are throttled
    sms_quiet_minutes: int = 10  # how long a throttled sender is ignored
    telegram_rate: float = 25.0  # messages per second from the outbox, under Telegram's 30
    api_rate: float = Field(default=10.0, gt=0)  # HTTP API requests per second per key
    api_burst: int = Field(default=20, ge=1)  # requests a key may send at once before that
    sms_quiet_start: time = time(22, 0)  # campaign SMS wait between these local times
    sms_quiet_end: time = time(7, 0)
    birthday_time: time = time(10, 0)  # local time of the daily birthday wishes
    timezone: str = "Asia/Tehran"  # CLUB_TIMEZONE (or TIMEZONE, its old name)
    default_locale: str = "fa"
    # Library patches (bot/patches.py): all, none, or a comma list of their names.
    patches: str = "all"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The new name wins wherever it is set; the environment's TIMEZONE now may be
        # Tortoise's, so its value at start stands in for it.
        env, dotenv = env_settings, dotenv_settings
        if isinstance(env, EnvSettingsSource) and isinstance(dotenv, EnvSettingsSource):
            zone = (
                env.env_vars.get("club_timezone")
                or dotenv.env_vars.get("club_timezone")
                or _TIMEZONE_AT_START
                or dotenv.env_vars.get("timezone")
            )
            env.env_vars = _without_zone(env.env_vars) | ({"timezone": zone} if zone else {})
            dotenv.env_vars = _without_zone(dotenv.env_vars)
        return init_settings, env_settings, dotenv_settings, file_secret_settings

    @field_validator("owner_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return [int(part) for part in value.replace(" ", "").split(",") if part]
        if isinstance(value, int):
            return [value]
        return value

    @field_validator(
        "bot_token",
        "kavenegar_api_key",
        "sms_webhook_secret",
        "redis_url",
        "telegram_api_base",
        "webhook_url",
        "webhook_secret",
        "web_app_url",
        "web_session_secret",
        "kavenegar_sender",
        "kavenegar_api_base",
        mode="before",
    )
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("webhook_secret")
    @classmethod
    def _telegram_secret(cls, value: SecretStr | None) -> SecretStr | None:
        # Telegram refuses setWebhook with anything else; say so at start-up, not as a 400.
        if value is not None and not re.fullmatch(
            r"[A-Za-z0-9_-]{1,256}", value.get_secret_value()
        ):
            raise ValueError("WEBHOOK_SECRET must be 1-256 characters: letters, digits, _ and -")
        return value

    @field_validator("web_app_url")
    @classmethod
    def _https_page(cls, value: str | None) -> str | None:
        # Telegram opens a Mini App only from an HTTPS address.
        if value is not None and not value.startswith("https://"):
            raise ValueError("WEB_APP_URL must be an https:// address")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)  # fail at start-up rather than at the first birthday job
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("default_locale")
    @classmethod
    def _supported_locale(cls, value: str) -> str:
        if value not in ("fa", "en"):
            raise ValueError("DEFAULT_LOCALE must be fa or en")
        return value

    @field_validator("patches")
    @classmethod
    def _known_patches(cls, value: str) -> str:
        from bot.patches import selected  # bot/patches.py reads these settings

        selected(value)  # an unknown name fails at start-up, not silently
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def pages_url(self) -> str | None:
        """The address of the club's pages for Telegram's web_app button: WEB_APP_URL, else
        WEBHOOK_URL + /club/ when that is HTTPS; None: no public HTTPS address."""
        if self.web_app_url:
            return self.web_app_url
        if self.webhook_url and self.webhook_url.startswith("https://"):
            return self.webhook_url.rstrip("/") + "/club/"
        return None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
