"""Banners in a real browser (Debian's chromium driven by Playwright): the owner uploads a
banner in the panel with its dates typed in Jalali, and a member opening the club from
Telegram sees it on their card page, the picture loaded. Skips, with the reason, as
tests/test_web_browser.py does. Screenshots go to `test-artifacts/web/`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from PIL import Image, ImageDraw

from loyalty.staff import panel
from models import Banner
from tests import helpers
from tests.conftest import NOW
from tests.staff_harness import OWNER
from tests.test_member_dialogs import USER
from tests.test_web_browser import ARTIFACTS, CHROMIUM, browser, opened_from_telegram, phone
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


def a_banner(path: Path) -> Path:
    picture = Image.new("RGB", (900, 300), (15, 118, 110))
    draw = ImageDraw.Draw(picture)
    for n in range(6):
        draw.ellipse((60 + n * 140, 90, 180 + n * 140, 210), fill=(250, 200 - n * 25, 60))
    picture.save(path, "PNG")
    return path


async def test_the_owner_adds_a_banner_and_a_member_sees_it(
    browser: Any, club: str, tmp_path: Path
) -> None:
    await helpers.member(NOW, phone="09121110000", telegram_id=USER, locale="fa", first_name="Sara")
    owner = await phone(browser)
    await owner.goto(await link_from_the_bot(club))
    await owner.wait_for_url("**/club/panel/")
    await owner.click("#nav-banners")
    await owner.wait_for_selector("#add-banner")
    await owner.set_input_files("#picture", str(a_banner(tmp_path / "banner.png")))
    await owner.fill("#caption", "جشنوارهٔ بهار: امتیاز دوبرابر")
    await owner.fill("#link", "https://shop.example.com/spring")
    await owner.fill("#starts", "۱۴۰۴/۱۲/۱۰")
    await owner.fill("#ends", "۱۴۰۴/۱۲/۲۰")
    await owner.click("#save")
    await owner.wait_for_selector("#message")
    assert await owner.text_content("#message") == "ذخیره شد."
    [banner] = await Banner.all()
    assert await owner.text_content(f"#banner-{banner.id} .state") == "در حال نمایش"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await owner.screenshot(path=str(ARTIFACTS / "panel-banners-fa.png"), full_page=True)

    member = await phone(browser)
    await member.goto(opened_from_telegram(club, init_data(USER, language_code="fa")))
    await member.wait_for_url("**/club/card")
    picture = member.locator(f"#banner-{banner.id} img")
    await picture.wait_for()
    await member.wait_for_function("document.querySelector('#banners img').complete")
    assert await picture.evaluate("img => img.naturalWidth") == 900
    link = member.locator(f"#banner-{banner.id} a")
    assert await link.get_attribute("href") == "https://shop.example.com/spring"
    assert await link.get_attribute("target") == "_blank"
    assert await link.get_attribute("rel") == "noopener"
    assert await member.text_content(f"#banner-{banner.id} figcaption") == (
        "جشنوارهٔ بهار: امتیاز دوبرابر"
    )
    await member.screenshot(path=str(ARTIFACTS / "card-banner-fa.png"), full_page=True)
