"""The panel's inbox and campaigns in a real browser (Debian's chromium driven by
Playwright): the owner opens the link `/panel` gave in the bot, answers a member's message
from the inbox, then schedules a campaign to a tier. Skips, with the reason, as
tests/test_web_browser.py does. Screenshots go to `test-artifacts/web/`."""

from __future__ import annotations

from typing import Any

import pytest

from loyalty import inbox as member_inbox
from models import Campaign, Channel, OutboxMessage
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


async def test_the_owner_answers_the_inbox_and_schedules_a_campaign(
    browser: Any, club: str
) -> None:
    sara = await helpers.member(NOW, first_name="Sara", last_name="Rad", telegram_id=501)
    item = await member_inbox.send_message(
        sara.id, "آیا جمعه باز هستید؟", channel=Channel.TELEGRAM, now=NOW
    )
    link = await link_from_the_bot(club)
    page = await phone(browser)
    await page.goto(link)
    await page.wait_for_url("**/club/panel/")

    await page.click("#nav-inbox")
    await page.click(f"#item-{item.id} a")
    await page.wait_for_selector("#reply")
    assert await page.text_content("#text") == "آیا جمعه باز هستید؟"
    await page.fill("#reply-text", "بله، از ساعت ۱۰ تا ۲۲.")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "panel-inbox-item-fa.png"), full_page=True)
    await page.click("#send")
    await page.wait_for_selector("#message")
    assert await page.text_content("#message") == f"پاسخ #{_fa(item.id)} برای عضو فرستاده شد."
    assert await page.text_content("#empty") == "صندوق پیام‌ها خالی است."
    [reply] = await OutboxMessage.all()
    assert (reply.member_id, reply.template, reply.params) == (
        sara.id,
        "staff_reply",
        {"text": "بله، از ساعت ۱۰ تا ۲۲."},
    )

    await page.click("#nav-campaigns")
    await page.wait_for_selector("#new-campaign")
    await page.select_option("#tier", "bronze")
    await page.select_option("#channel", "telegram")
    await page.fill("#text", "امتیاز دوبرابر در جمعه!")
    await page.fill("#when", "۱۸:۳۰")
    await page.screenshot(path=str(ARTIFACTS / "panel-campaign-new-fa.png"), full_page=True)
    await page.click("#create")
    await page.wait_for_selector("#message")
    [campaign] = await Campaign.all()
    assert await page.text_content("#message") == f"کمپین شماره {_fa(campaign.id)} زمان‌بندی شد."
    row = f"#campaign-{campaign.id}"
    assert await page.text_content(f"{row} .status") == "زمان‌بندی‌شده"
    assert await page.text_content(f"{row} .sent") == "۰ از ۱"
    await page.screenshot(path=str(ARTIFACTS / "panel-campaigns-fa.png"), full_page=True)
    assert (campaign.audience, campaign.text) == ({"tier": "bronze"}, "امتیاز دوبرابر در جمعه!")


def _fa(value: int) -> str:
    return str(value).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
