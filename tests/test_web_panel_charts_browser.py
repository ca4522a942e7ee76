"""The panel's dashboard and members' import in a real browser (Debian's chromium driven
by Playwright): the owner sees the charts drawn in Persian, uploads a CSV file and
watches its progress page reload itself until the import is done. Skips as
tests/test_web_browser.py does. Screenshots go to `test-artifacts/web/`."""

from __future__ import annotations

from typing import Any

import pytest

from loyalty import earning
from models import Member
from tests import helpers
from tests.conftest import NOW
from tests.test_web_browser import ARTIFACTS, CHROMIUM, browser, phone
from tests.test_web_panel_browser import club, link_from_the_bot

pytest.importorskip("playwright.async_api", reason="Playwright is not installed")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no chromium to drive (apt-get install chromium; .ci/run does it as root)",
)
__all__ = ["browser", "club"]  # the fixtures, shared with the other browser tests

CSV = "phone,first_name,last_name,balance\n09121110001,نیما,صادقی,100\nnot-a-phone,x,y,5\n"


async def test_the_owner_sees_the_charts_and_imports_members(browser: Any, club: str) -> None:
    sara = await helpers.member(NOW, first_name="Sara")
    await earning.award_purchase(sara.id, 500_000, receipt="r1", now=NOW)
    page = await phone(browser)
    refused: list[str] = []  # what the page's CSP refused, as the browser reports it
    page.on("console", lambda m: refused.append(m.text) if "Content Security" in m.text else None)
    await page.goto(await link_from_the_bot(club))
    await page.wait_for_url("**/club/panel/")
    assert await page.text_content("#chart-points figcaption") == "امتیازها در هر هفته"
    assert await page.locator("svg.chart").count() == 7
    # The last week's bar of points issued: 20 for joining and 50 bought, in Persian digits.
    points = page.locator("#chart-points circle title")
    assert await points.nth(11).text_content() == "داده‌شده ۱۴۰۴/۱۲/۰۴: ۷۰"
    box = await page.locator("#chart-members svg").bounding_box()
    assert box is not None and box["width"] > 300
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "panel-charts-fa.png"), full_page=True)

    await page.click("#nav-import")
    await page.wait_for_selector("#import")
    await page.set_input_files(
        "#file", {"name": "members.csv", "mimeType": "text/csv", "buffer": CSV.encode()}
    )
    await page.click("#send")
    await page.wait_for_selector('#state[data-state="done"]')
    assert await page.text_content("#rows") == "ردیف‌های ثبت‌شده: ۱ از ۱"
    assert await page.text_content("#bad") == "۱"
    await page.screenshot(path=str(ARTIFACTS / "panel-import-fa.png"), full_page=True)
    assert (await Member.get(phone="+989121110001")).balance == 100
    assert refused == []
