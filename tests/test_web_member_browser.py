"""The member's pages in a real browser (Debian's chromium through Playwright): signing in
on the open web by a code sent by SMS and its limit, redeeming a reward from the page.
Skips, with the reason, as tests/test_web_browser.py does. Screenshots go to
`test-artifacts/web/` (git ignores it)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from models import Member, Voucher
from tests import helpers
from tests.conftest import NOW
from tests.sms_harness import SmsLine, sms_line
from tests.test_member_dialogs import USER
from tests.test_web_browser import ARTIFACTS, CHROMIUM, joined, opened_from_telegram, phone
from tests.test_web_browser import browser as browser  # noqa: F401 (the fixture)
from tests.web_harness import Clock, init_data, pages_app

pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no chromium to drive (apt-get install chromium; .ci/run does it as root)",
)
PHONE = "09121110000"
PERSIAN = str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def club(db: str, clock: Clock) -> AsyncIterator[str]:
    server = TestServer(pages_app(clock), host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url("/club/"))
    finally:
        await server.close()


@pytest.fixture
async def line(db: str) -> AsyncIterator[SmsLine]:
    async with sms_line() as line_:
        yield line_


async def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    await page.screenshot(path=str(path), full_page=True)
    assert path.read_bytes().startswith(b"\x89PNG")


async def test_a_member_signs_in_by_sms_code_and_the_limit_holds(
    browser: Any, club: str, line: SmsLine, clock: Clock
) -> None:
    await helpers.member(NOW, phone=PHONE, telegram_id=None, locale="fa", first_name="Sara")
    page = await phone(browser)
    await page.goto(club)  # outside Telegram: the phone form
    await page.wait_for_selector("#by-phone:not([hidden])")
    await shot(page, "signin-phone-fa.png")
    await page.fill("#phone", PHONE)
    await page.click("#phone-form button")
    await page.wait_for_selector("#code-form")
    await line.deliver(clock.now)
    [text] = line.texts_to(PHONE)
    code = re.search(r"[۰-۹]{6}", text).group(0).translate(PERSIAN)  # type: ignore[union-attr]
    await page.fill("#code", code)
    await page.click("#code-form button")
    await page.wait_for_url("**/club/card")
    assert await page.text_content("#balance") == "۲۰"
    assert await page.get_attribute("html", "dir") == "rtl"
    await shot(page, "card-by-phone-fa.png")
    # Signing out ends the session: the card sends the reader back to sign in.
    await page.click("#signout")
    await page.wait_for_url("**/club/")
    await page.goto(club.replace("/club/", "/club/card"))
    await page.wait_for_url("**/club/")

    # Two more codes for the phone, then the fourth within 15 minutes is refused.
    for expected in ("#code-form", "#code-form", "#phone-form"):
        await page.goto(club)
        await page.wait_for_selector("#by-phone:not([hidden])")
        await page.fill("#phone", PHONE)
        await page.click("#phone-form button")
        await page.wait_for_selector(expected)
    await page.goto(club)
    await page.wait_for_selector("#by-phone:not([hidden])")
    await page.fill("#phone", PHONE)
    await page.click("#phone-form button")
    await page.wait_for_selector("#message")
    assert await page.text_content("#message") == (
        "کد بیش از حد درخواست شده است. چند دقیقه دیگر دوباره امتحان کنید."
    )
    await line.deliver(clock.now)
    assert len(line.texts_to(PHONE)) == 3


async def test_a_member_redeems_a_reward_from_the_page(browser: Any, club: str) -> None:
    member, _ = await joined("en")
    coffee = await helpers.reward(50, name="Coffee")
    page = await phone(browser)
    await page.goto(opened_from_telegram(club, init_data(USER)))
    await page.wait_for_url("**/club/card")
    await page.click("text=Rewards")
    await page.wait_for_url("**/club/rewards")
    await page.click(f"#reward-{coffee.id} a.take")
    await page.wait_for_selector("#redeem")
    assert await page.text_content("#question") == "Take Coffee for 50 points? You have 70 points."
    await page.click("#yes")
    await page.wait_for_url("**/club/vouchers/*")
    voucher = await Voucher.get(member_id=member.id)
    assert await page.text_content("#voucher-code") == voucher.code
    assert await page.locator(".qr svg").count() == 1
    assert (await Member.get(id=member.id)).balance == 20
    await shot(page, "voucher-en.png")
    await page.click("text=How the club works")
    await page.wait_for_url("**/club/rules")
    await shot(page, "rules-en.png")
