"""The club's look in a real browser (Debian's chromium driven by Playwright): the owner
opens the link `/panel` gave, names the club, picks its colour and uploads its logo and
cover on the settings page; a member opening the club from Telegram sees them. Skips, with
the reason, as tests/test_web_browser.py does.

Screenshots of the settings page and of the member's card go to `test-artifacts/web/`."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from PIL import Image

from loyalty.pictures import prepare
from loyalty.staff import panel
from models import ClubRules
from tests import helpers
from tests.conftest import NOW
from tests.staff_harness import OWNER
from tests.test_member_dialogs import USER
from tests.test_web_browser import ARTIFACTS, CHROMIUM, browser, opened_from_telegram, phone
from tests.test_web_look import png
from tests.test_web_panel_browser import link_from_the_bot
from tests.web_harness import Clock, init_data, pages_app

pytest.importorskip("playwright.async_api", reason="Playwright is not installed")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no chromium to drive (apt-get install chromium; .ci/run does it as root)",
)
__all__ = ["browser"]  # the fixture, shared with tests/test_web_browser.py


@pytest.fixture
async def club(db: str, tmp_path: Path) -> AsyncIterator[str]:
    """The pages, in Persian, on a real port: their address."""
    panel.forget_figures()
    app = pages_app(Clock(), owner_ids=(OWNER,), media_dir=tmp_path / "media")
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url("/club/"))
    finally:
        await server.close()


def cover() -> bytes:
    """A wide picture: a gradient, as a photo would be stored (JPEG)."""
    out = io.BytesIO()
    Image.linear_gradient("L").resize((900, 300)).convert("RGB").save(out, "JPEG")
    return out.getvalue()


async def test_the_owner_uploads_a_logo_and_the_member_sees_it(browser: Any, club: str) -> None:
    await helpers.member(NOW, phone="09121110000", telegram_id=USER, locale="fa", first_name="Sara")
    logo = png((240, 120))
    owner = await phone(browser)
    await owner.goto(await link_from_the_bot(club))
    await owner.wait_for_url("**/club/panel/")
    await owner.click("#nav-settings")
    await owner.wait_for_selector("#settings")
    await owner.fill("#f-name", "کافه سارا")
    await owner.fill("#f-colour", "#aa3300")
    await owner.set_input_files(
        "#f-logo", files=[{"name": "logo.png", "mimeType": "image/png", "buffer": logo}]
    )
    await owner.set_input_files(
        "#f-cover", files=[{"name": "cover.jpg", "mimeType": "image/jpeg", "buffer": cover()}]
    )
    await owner.click("#save")
    await owner.wait_for_selector("#message")
    assert await owner.text_content("#message") == "تنظیمات ذخیره شد."
    assert await owner.evaluate("document.querySelector('#current-logo').naturalWidth") == 240
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await owner.screenshot(path=str(ARTIFACTS / "panel-settings-fa.png"), full_page=True)
    rules = await ClubRules.get(id=1)
    assert (rules.name, rules.colour, rules.logo) == ("کافه سارا", "#aa3300", prepare(logo).name)

    member = await phone(browser)  # a browser of its own: the member's cookie, not the owner's
    await member.goto(opened_from_telegram(club, init_data(USER, language_code="fa")))
    await member.wait_for_url("**/club/card")
    await member.wait_for_load_state("load")
    assert await member.text_content("header h1") == "کافه سارا"
    assert await member.evaluate("document.querySelector('#logo').naturalWidth") == 240
    assert await member.evaluate("document.querySelector('#cover').naturalWidth") > 0
    # The colour arrives by its stylesheet: the page allows no inline style.
    background = "getComputedStyle(document.querySelector('header')).backgroundColor"
    assert await member.evaluate(background) == "rgb(170, 51, 0)"
    await member.screenshot(path=str(ARTIFACTS / "card-look-fa.png"), full_page=True)
