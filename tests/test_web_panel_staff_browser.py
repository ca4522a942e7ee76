"""The panel as a Mini App in a real browser (Debian's chromium driven by Playwright): the
owner opens the button `/panel` gives, the page's script signs in with Telegram's data,
the panel reads the owner's language (Persian), they invite a cashier and find it in the
audit log. Skips, with the reason, as tests/test_web_browser.py does.

Screenshots of the staff page and the audit log go to `test-artifacts/web/`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from handlers.format import digits
from loyalty.staff import panel
from models import AuditEntry, StaffInvite, StaffRole
from tests.staff_harness import OWNER
from tests.test_web_browser import ARTIFACTS, CHROMIUM, browser, opened_from_telegram, phone
from tests.web_harness import Clock, init_data, pages_app

pytest.importorskip("playwright.async_api", reason="Playwright is not installed")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no chromium to drive (apt-get install chromium; .ci/run does it as root)",
)
__all__ = ["browser"]  # the fixture, shared with tests/test_web_browser.py


@pytest.fixture
async def club(db: str) -> AsyncIterator[str]:
    """The pages, English by default, on a real port: their address."""
    panel.forget_figures()
    server = TestServer(
        pages_app(Clock(), default_locale="en", owner_ids=(OWNER,)), host="127.0.0.1"
    )
    await server.start_server()
    try:
        yield str(server.make_url("/club/"))
    finally:
        await server.close()


async def test_the_owner_opens_the_panel_in_telegram_and_reads_the_audit(
    browser: Any, club: str
) -> None:
    page = await phone(browser)
    # The owner's Telegram app is in Persian: the club's English default gives way to it.
    await page.goto(opened_from_telegram(f"{club}panel/app", init_data(OWNER, language_code="fa")))
    await page.wait_for_url("**/club/panel/")
    assert await page.get_attribute("html", "dir") == "rtl"
    assert await page.text_content("#nav-audit") == "کارنامهٔ رویدادها"

    await page.click("#nav-staff")
    await page.select_option("#role", "cashier")
    await page.click("#make-invite")
    await page.wait_for_selector("#message")
    [invite] = await StaffInvite.all()
    assert invite.role is StaffRole.CASHIER
    assert await page.text_content("#message") == (
        f"دعوت یک‌بارمصرف برای صندوقدار: https://t.me/club_test_bot?start=staff_{invite.token}"
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "panel-staff-fa.png"), full_page=True)

    await page.click("#nav-audit")
    await page.wait_for_selector("#log")
    lines = await page.locator("#log li").all_text_contents()
    assert [line.split(" Sara: ", 1)[1] for line in lines] == [
        f"ساخت دعوت‌نامهٔ کارکنان (نقش: صندوقدار، شعبه: #{digits(str(invite.branch_id), 'fa')}، "
        f"دعوت‌نامه: #{digits(str(invite.id), 'fa')})",
        "دیدن گزارش (روز: ۸۴)",  # the dashboard: twelve weeks of figures
        "ورود به پنل در تلگرام",
    ]
    await page.select_option("#action", "panel_app_signin")
    await page.click("#show")
    await page.wait_for_url("**/panel/audit?action=panel_app_signin*")
    assert await page.locator("#log li").count() == 1
    await page.screenshot(path=str(ARTIFACTS / "panel-audit-fa.png"), full_page=True)
    assert await AuditEntry.filter(action="panel_app_signin").count() == 1
