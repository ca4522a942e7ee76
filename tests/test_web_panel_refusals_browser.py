"""What the panel refuses, seen in a real browser (Debian's chromium through Playwright):
a cashier signed in by their own `/panel` link is kept out of the owner's pages, and a
form whose CSRF token was tampered with changes nothing. Persian, right to left.

Skips, with the reason, as tests/test_web_browser.py does; screenshots go to
`test-artifacts/web/`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiohttp.test_utils import TestServer

from bot.settings import Settings
from loyalty.staff import panel
from models import LedgerEntry, Member, Staff, StaffRole
from tests import helpers
from tests.conftest import NOW
from tests.staff_harness import CASHIER, OWNER, harness
from tests.test_web_browser import ARTIFACTS, CHROMIUM, browser, phone
from tests.web_harness import Clock, pages_app

pytest.importorskip("playwright.async_api", reason="Playwright is not installed")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no chromium to drive (apt-get install chromium; .ci/run does it as root)",
)
__all__ = ["browser"]  # the fixture, shared with tests/test_web_browser.py

BASE = "https://club.example.com/club/"
MANAGERS_ONLY = "این صفحه برای مدیران و مالک است."
OUT_OF_DATE = "این فرم قدیمی شده است: صفحه را دوباره باز کنید."


@pytest.fixture
async def club(db: str) -> AsyncIterator[str]:
    panel.forget_figures()
    server = TestServer(pages_app(Clock(), owner_ids=(OWNER,)), host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url("/club/"))
    finally:
        await server.close()


async def link_for(club: str, user: int) -> str:
    settings = Settings(
        owner_ids=[OWNER],
        default_locale="en",
        timezone="Asia/Tehran",
        web_app_url=BASE,
        _env_file=None,
    )
    async with harness(settings) as bot:
        [text] = await bot.send(user, "/panel")
    link = urlsplit(text.split("\n")[1])
    return f"{club.rstrip('/')}{link.path.removeprefix('/club')}?{link.query}"


async def test_a_cashier_is_kept_out_of_the_owners_pages(browser: Any, club: str) -> None:
    await Staff.create(telegram_id=CASHIER, role=StaffRole.CASHIER, created_at=NOW)
    sara = await helpers.member(NOW, first_name="Sara")
    page = await phone(browser)
    await page.goto(await link_for(club, CASHIER))
    await page.wait_for_url("**/club/panel/")
    assert await page.get_attribute("html", "dir") == "rtl"
    assert await page.locator("#nav-members").count() == 0  # not offered
    for path in ("panel/members", f"panel/members/{sara.id}", "panel/staff", "panel/audit"):
        answer = await page.goto(club + path)
        assert answer is not None and answer.status == 403, path
        assert await page.text_content("#refused") is not None
    await page.goto(club + "panel/members")
    assert await page.text_content("#refused") == MANAGERS_ONLY
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "panel-cashier-refused-fa.png"), full_page=True)


async def test_a_tampered_form_changes_nothing(browser: Any, club: str) -> None:
    sara = await helpers.member(NOW, first_name="Sara")
    page = await phone(browser)
    await page.goto(await link_for(club, OWNER))
    await page.wait_for_url("**/club/panel/")
    await page.goto(f"{club}panel/members/{sara.id}")
    assert await page.text_content("#balance") == "۲۰"
    await page.fill("#points", "۵۰۰")
    await page.fill("#note", "هدیه")
    # What a page of another site would post: the session's cookie goes with it, but not
    # the token only our page knows.
    await page.eval_on_selector("#adjust input[name=csrf]", "e => e.value = 'f'.repeat(64)")
    async with page.expect_response(lambda r: r.url.endswith("/adjust")) as posted:
        await page.click("#save")
    answer = await posted.value
    assert answer.status == 403
    assert (await page.text_content("body") or "").strip() == OUT_OF_DATE
    assert (await Member.get(id=sara.id)).balance == 20
    assert await LedgerEntry.filter(member_id=sara.id).count() == 1  # the joining bonus only
