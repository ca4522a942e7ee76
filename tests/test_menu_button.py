"""The button beside the message field opens the club's pages as a Mini App when they have a
public HTTPS address; without one it lists the commands (a Mini App needs HTTPS)."""

from __future__ import annotations

from bot.app import build_bot, set_menu_button
from bot.settings import Settings
from tests.fakes.bot_api import FakeBotAPI


async def _button_set_with(**settings: str) -> dict:
    async with FakeBotAPI() as api:
        bot = build_bot(
            Settings(
                _env_file=None,
                bot_token=api.token,
                telegram_api_base=api.base_url,
                default_locale="fa",
                **settings,
            )
        )
        try:
            await set_menu_button(bot, Settings(_env_file=None, default_locale="fa", **settings))
        finally:
            await bot.session.close()
        return api.menu_buttons[None]


async def test_the_menu_button_opens_the_pages_at_their_https_address() -> None:
    assert await _button_set_with(web_app_url="https://club.example.com/club/") == {
        "type": "web_app",
        "text": "باز کردن باشگاه",
        "web_app": {"url": "https://club.example.com/club/"},
    }
    # Behind the webhook's address, when that is HTTPS.
    assert (await _button_set_with(webhook_url="https://club.example.com"))["web_app"] == {
        "url": "https://club.example.com/club/"
    }


async def test_without_a_public_https_address_it_lists_the_commands() -> None:
    assert await _button_set_with() == {"type": "commands"}
    assert await _button_set_with(webhook_url="http://10.0.0.5:8080") == {"type": "commands"}
