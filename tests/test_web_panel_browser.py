"""The owner's panel in a real browser (Debian's chromium driven by Playwright): the owner
opens the link `/panel` gave in the bot, finds a member by phone, corrects their points
and sees the new balance. Skips, with the reason, as tests/test_web_browser.py does.

Screenshots of the dashboard, the list and the member's page go to `test-artifacts/web/`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiohttp.test_utils import TestServer

from bot.settings import Settings
from loyalty import earning
from loyalty.staff import panel
from models import EntryKind, LedgerEntry, Member
from tests import helpers
from tests.conftest import NOW
from tests.staff_harness import OWNER, harness
from tests.test_web_browser import ARTIFACTS, CHROMIUM, browser, phone
from tests.web_harness import Clock, pages_app

pytest.importorskip("playwright.async_api", reason="Playwright is not installed")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no chromium to drive (apt-get install chromium; .ci/run does it as root)",
)
__all__ = ["browser"]  # the fixture, shared with tests/test_web_browser.py

BASE = "https://club.example.com/club/"


@pytest.fixture
async def club(db: str) -> AsyncIterator[str]:
    """The pages, in Persian, on a real port: their address."""
    panel.forget_figures()
    server = TestServer(pages_app(Clock(), owner_ids=(OWNER,)), host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url("/club/"))
    finally:
        await server.close()


async def link_from_the_bot(club: str) -> str:
    settings = Settings(
        owner_ids=[OWNER],
        default_locale="en",
        timezone="Asia/Tehran",
        web_app_url=BASE,
        _env_file=None,
    )
    async with harness(settings) as bot:
        [text] = await bot.send(OWNER, "/panel")
    link = urlsplit(text.split("\n")[1])
    return f"{club.rstrip('/')}{link.path.removeprefix('/club')}?{link.query}"


async def test_the_owner_signs_in_finds_a_member_and_corrects_points(
    browser: Any, club: str
) -> None:
    sara = await helpers.member(NOW, first_name="Sara", last_name="Rad", phone="09125551234")
    await earning.award_purchase(sara.id, 500_000, receipt="r1", now=NOW)
    for n in range(30):
        await helpers.member(NOW, first_name=f"Member{n}")
    link = await link_from_the_bot(club)
    page = await phone(browser)
    await page.goto(link)
    await page.wait_for_url("**/club/panel/")
    assert await page.get_attribute("html", "dir") == "rtl"
    assert await page.text_content("#members") == "۳۱"
    assert await page.text_content("#issued") == "۶۷۰"  # 20 for joining each, 50 bought
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "panel-dashboard-fa.png"), full_page=True)

    await page.click("#nav-members")
    await page.fill("#q", "۰۹۱۲ ۵۵۵ ۱۲۳۴")
    await page.click("#find")
    await page.wait_for_selector(f"#member-{sara.id}")
    assert await page.text_content("#total") == "اعضای یافته‌شده: ۱"
    await page.screenshot(path=str(ARTIFACTS / "panel-members-fa.png"), full_page=True)

    await page.click(f"#member-{sara.id} a")
    await page.wait_for_selector("#adjust")
    assert await page.text_content("#name") == "Sara Rad"
    assert await page.text_content("#balance") == "۷۰"
    await page.fill("#points", "+۱۲۵")
    await page.fill("#note", "هدیهٔ تولد")
    await page.click("#save")
    await page.wait_for_selector("#message")
    assert await page.text_content("#message") == "اصلاح ثبت شد. موجودی: ۱۹۵."
    assert await page.text_content("#balance") == "۱۹۵"
    await page.screenshot(path=str(ARTIFACTS / "panel-member-fa.png"), full_page=True)
    assert (await Member.get(id=sara.id)).balance == 195
    assert await LedgerEntry.filter(kind=EntryKind.ADJUST).count() == 1
