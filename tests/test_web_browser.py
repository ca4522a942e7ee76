"""The club's pages in a real browser: Debian's chromium driven by Playwright, opened as
Telegram opens a Mini App (`/club/#tgWebAppData=<initData>`), so the page's own script
signs in. Skips, with the reason, without Playwright or a chromium to drive.

A screenshot of the card page is written to `test-artifacts/web/` (git ignores it;
TEST_ARTIFACTS names another folder)."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from aiohttp.test_utils import TestServer

from loyalty import earning
from models import Card, Member
from tests import helpers
from tests.conftest import NOW
from tests.test_member_dialogs import USER
from tests.web_harness import Clock, init_data, pages_app

playwright_api = pytest.importorskip(
    "playwright.async_api", reason="Playwright is not installed (pip install -e '.[test]')"
)

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS") or ROOT / "test-artifacts") / "web"
PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def chromium() -> str | None:
    for path in ("/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if os.access(path, os.X_OK):
            return path
    return shutil.which("chromium")


CHROMIUM = chromium()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no chromium to drive (apt-get install chromium; .ci/run does it as root)",
)


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    async with playwright_api.async_playwright() as p:
        launched = await p.chromium.launch(executable_path=CHROMIUM)
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def club(db: str) -> AsyncIterator[str]:
    """The pages on a real port: their address."""
    server = TestServer(pages_app(Clock()), host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url("/club/"))
    finally:
        await server.close()


async def joined(locale: str) -> tuple[Member, str]:
    member = await helpers.member(
        NOW, phone="09121110000", telegram_id=USER, locale=locale, first_name="Sara"
    )
    await earning.award_purchase(member.id, 500_000, receipt="r1", now=NOW)
    card = await Card.get(member_id=member.id, active=True)
    return await Member.get(id=member.id), card.number


def opened_from_telegram(club: str, data: str) -> str:
    """The address a Telegram client opens: the page with initData in its fragment."""
    return f"{club}#tgWebAppData={quote(data, safe='')}&tgWebAppVersion=8.0"


async def phone(browser: Any) -> Any:
    context = await browser.new_context(viewport={"width": 390, "height": 844})
    return await context.new_page()


async def test_a_member_opening_the_page_sees_their_card(browser: Any, club: str) -> None:
    member, number = await joined("en")
    page = await phone(browser)
    await page.goto(opened_from_telegram(club, init_data(USER)))
    await page.wait_for_url("**/club/card")
    assert await page.text_content("#card-number") == number
    assert await page.text_content("#balance") == str(member.balance) == "70"
    assert await page.get_attribute("html", "dir") == "ltr"
    assert await page.locator(".qr svg").count() == 1
    # A reload keeps the session: the cookie, not the fragment, says who this is.
    await page.reload()
    assert await page.text_content("#card-number") == number


async def test_the_persian_card_page_right_to_left_and_its_screenshot(
    browser: Any, club: str
) -> None:
    _, number = await joined("fa")
    page = await phone(browser)
    await page.goto(opened_from_telegram(club, init_data(USER, language_code="fa")))
    await page.wait_for_url("**/club/card")
    assert await page.get_attribute("html", "dir") == "rtl"
    assert await page.get_attribute("html", "lang") == "fa"
    assert await page.text_content("#card-number") == number.translate(PERSIAN)
    assert await page.text_content("#balance") == "۷۰"
    assert await page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "card-fa.png"
    await page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes().startswith(b"\x89PNG")


async def test_forged_and_stale_init_data_are_refused(browser: Any, club: str) -> None:
    await joined("en")
    page = await phone(browser)
    forged = init_data(USER, token="654321:another-bot")
    await page.goto(opened_from_telegram(club, forged))
    await page.wait_for_selector("#refused")
    assert await page.text_content("#refused") == (
        "نتوانستیم هویت شما را تأیید کنیم. باشگاه را دوباره از منوی ربات باز کنید."
    )
    assert await page.context.cookies() == []

    page = await phone(browser)
    stale = init_data(USER, auth_date=NOW - timedelta(hours=2))
    await page.goto(opened_from_telegram(club, stale))
    await page.wait_for_selector("#refused")
    assert await page.text_content("#refused") == (
        "This page is out of date. Close it and open the club again from the bot's menu."
    )
    assert await page.context.cookies() == []

    # Opened outside Telegram: no sign-in data, no session, a line saying where to open it.
    page = await phone(browser)
    await page.goto(club)
    await page.wait_for_selector("#outside:not([hidden])")
    assert await page.text_content("#outside") == "این صفحه را از ربات باشگاه در تلگرام باز کنید."
