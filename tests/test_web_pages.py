"""The club's pages through HTTP, as the Mini App's page posts and follows them: sign-in by
Telegram's initData, the session cookie, the card page in Persian and English, the menu's
button that opens them. The same in a real browser: tests/test_web_browser.py."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import timedelta

import jdatetime
import pytest
from aiogram_dialog.test_tools import BotClient
from aiogram_dialog.test_tools.memory_storage import JsonMemoryStorage
from aiohttp.test_utils import TestClient

from bot.app import build_bot, build_dispatcher, build_web_app
from bot.sandbox import LocalSession
from bot.settings import Settings
from handlers.telegram.middlewares import ThrottleMiddleware
from handlers.web.session import COOKIE, STAFF, TELEGRAM, Sessions, Subject
from loyalty import earning
from models import Card, LedgerEntry, Member
from tests import helpers
from tests.conftest import NOW
from tests.test_member_dialogs import USER, Chat_, MessageManager
from tests.web_harness import TEHRAN, TOKEN, Clock, init_data, page, pages_client, text_of

PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
# Told in the club's language: nothing in forged data is to be believed, its language neither.
FORGED = "نتوانستیم هویت شما را تأیید کنیم. باشگاه را دوباره از منوی ربات باز کنید."
STALE = "This page is out of date. Close it and open the club again from the bot's menu."


async def joined(locale: str = "en") -> Member:
    """A member with a purchase: 20 for joining and 50 for it."""
    member = await helpers.member(
        NOW, phone="09121110000", telegram_id=USER, locale=locale, first_name="Sara"
    )
    await earning.award_purchase(member.id, 500_000, receipt="r1", now=NOW)
    return await Member.get(id=member.id)


async def card_number(member: Member) -> str:
    return (await Card.get(member_id=member.id, active=True)).number


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def client(any_db: str, clock: Clock) -> AsyncIterator[TestClient]:
    async with pages_client(clock) as client_:
        yield client_


async def sign_in(client: TestClient, data: str) -> tuple[int, str, str]:
    """The sign-in post: its status, where it leads and the page it answers."""
    response = await client.post("/club/signin", data={"init_data": data}, allow_redirects=False)
    return response.status, response.headers.get("Location", ""), await response.text()


async def test_a_member_signs_in_and_sees_their_card(client: TestClient) -> None:
    member = await joined()
    assert member.balance == 70
    response = await client.post(
        "/club/signin", data={"init_data": init_data(USER)}, allow_redirects=False
    )
    assert response.status == 303 and response.headers["Location"] == "/club/card"
    cookie = response.cookies[COOKIE]
    assert cookie["httponly"] is True and cookie["samesite"] == "Lax"
    assert cookie["path"] == "/club/" and not cookie["secure"]
    assert int(cookie["max-age"]) == 12 * 3600

    card = await client.get("/club/card")
    html = await card.text()
    assert card.status == 200 and card.headers["Cache-Control"] == "no-store"
    assert "script-src 'self'" in card.headers["Content-Security-Policy"]
    root = page(html)
    assert root.get("lang") == "en" and root.get("dir") == "ltr"
    assert text_of(html, "card-number") == await card_number(member)
    assert text_of(html, "balance") == "70"
    assert text_of(html, "tier") == "Bronze"
    assert text_of(html, "next") == "450 more points to reach Silver."
    assert root.xpath("//div[@class='qr']/svg")  # the card's QR code, drawn in the page
    rows = [" | ".join(td.text_content() for td in tr) for tr in root.xpath("//tbody/tr")]
    assert rows == ["2026-03-01 | +50 | purchase", "2026-03-01 | +20 | for joining"]
    assert text_of(html, "page") == "Page 1 of 1"
    assert (
        root.xpath("//progress")[0].get("value") == "10"
    )  # 50 purchase points of the 500 to Silver


async def test_forged_init_data_is_refused(client: TestClient) -> None:
    await joined()
    genuine = init_data(USER)
    forgeries = [
        init_data(USER, token="654321:another-bot"),  # signed for another bot
        init_data(1, user='{"id":4242,"first_name":"Sara"}'),  # another user's, renamed
        genuine.replace("hash=", "hash=0"),
        genuine.split("&hash=")[0],  # no signature
        "",
        "%ZZ&&=",
    ]
    for data in forgeries:
        status, location, html = await sign_in(client, data)
        assert (status, location, text_of(html, "refused")) == (401, "", FORGED), data
    response = await client.post("/club/signin", data={"init_data": "x"}, allow_redirects=False)
    assert COOKIE not in response.cookies
    # Without a session the card page sends the reader back to the sign-in page.
    card = await client.get("/club/card", allow_redirects=False)
    assert (card.status, card.headers["Location"]) == (303, "/club/")


async def test_stale_init_data_is_refused(client: TestClient, clock: Clock) -> None:
    await joined()
    clock.advance(seconds=3601)  # opened an hour and a second ago
    status, _, html = await sign_in(client, init_data(USER))
    assert (status, text_of(html, "refused")) == (401, STALE)
    # ...in the member's language, as the signature was Telegram's
    member = await Member.get(telegram_id=USER)
    await Member.filter(id=member.id).update(locale="fa")
    status, _, html = await sign_in(client, init_data(USER))
    assert status == 401 and text_of(html, "refused") == (
        "این صفحه قدیمی شده است. آن را ببندید و باشگاه را دوباره از منوی ربات باز کنید."
    )
    clock.now = NOW  # an hour younger: accepted; five minutes in the future: refused
    assert (await sign_in(client, init_data(USER, auth_date=NOW - timedelta(hours=1))))[0] == 303
    assert (await sign_in(client, init_data(USER, auth_date=NOW + timedelta(minutes=5))))[0] == 401


async def test_a_stranger_is_asked_to_join_first(client: TestClient) -> None:
    status, _, html = await sign_in(client, init_data(USER, language_code="en"))
    assert (status, text_of(html, "refused")) == (
        403,
        "You are not a member of the club yet. Join in the bot first: send /start.",
    )


async def test_a_session_lasts_its_time_and_cannot_be_forged(
    client: TestClient, clock: Clock
) -> None:
    await joined()
    await sign_in(client, init_data(USER))
    issued = client.session.cookie_jar.filter_cookies(client.make_url("/club/card"))[COOKIE].value
    subject, rest = issued.split(".", 1)
    assert subject == f"tg:{USER}"
    client.session.cookie_jar.clear()
    client.session.cookie_jar.update_cookies({COOKIE: f"tg:4243.{rest}"})  # another member's id
    assert (await client.get("/club/card", allow_redirects=False)).status == 303
    client.session.cookie_jar.clear()
    client.session.cookie_jar.update_cookies({COOKIE: f"staff:{USER}.{rest}"})  # another kind
    assert (await client.get("/club/card", allow_redirects=False)).status == 303
    client.session.cookie_jar.clear()
    client.session.cookie_jar.update_cookies({COOKIE: issued})
    assert (await client.get("/club/card", allow_redirects=False)).status == 200
    clock.advance(hours=12, seconds=1)
    assert (await client.get("/club/card", allow_redirects=False)).status == 303


async def test_the_persian_page_reads_right_to_left_in_persian_digits(
    client: TestClient,
) -> None:
    member = await joined(locale="fa")
    await sign_in(client, init_data(USER, language_code="fa"))
    html = await (await client.get("/club/card")).text()
    root = page(html)
    assert root.get("lang") == "fa" and root.get("dir") == "rtl"
    assert text_of(html, "card-number") == (await card_number(member)).translate(PERSIAN)
    assert text_of(html, "balance") == "۷۰" and text_of(html, "tier") == "برنزی"
    assert text_of(html, "next") == "۴۵۰ امتیاز دیگر تا سطح نقره‌ای."
    joined_at = (await LedgerEntry.filter(member_id=member.id).order_by("id").first()).created_at
    jalali = jdatetime.date.fromgregorian(date=joined_at.astimezone(TEHRAN).date())
    date = f"{jalali.year:04d}/{jalali.month:02d}/{jalali.day:02d}".translate(PERSIAN)
    rows = [[td.text_content() for td in tr] for tr in root.xpath("//tbody/tr")]
    assert rows[-1] == [date, "+۲۰", "برای عضویت"]
    assert text_of(html, "page") == "صفحه ۱ از ۱"
    visible = root.xpath("//main")[0].text_content()
    assert not any(ch.isascii() and ch.isdigit() for ch in visible.replace("QR", ""))


async def test_the_history_comes_a_page_at_a_time(client: TestClient) -> None:
    member = await joined()
    for n in range(2, 12):  # 12 entries in all: a page of 10 and a page of 2
        await earning.award_purchase(member.id, 100_000 * n, receipt=f"r{n}", now=NOW)
    await sign_in(client, init_data(USER))
    first = page(await (await client.get("/club/card")).text())
    assert len(first.xpath("//tbody/tr")) == 10
    assert [a.text_content() for a in first.xpath("//nav[@class='pager']/a")] == ["Older"]
    assert first.xpath("//nav[@class='pager']/a")[0].get("href") == "?page=2"
    html = await (await client.get("/club/card?page=2")).text()
    second = page(html)
    assert [" | ".join(td.text_content() for td in tr) for tr in second.xpath("//tbody/tr")] == [
        "2026-03-01 | +50 | purchase",
        "2026-03-01 | +20 | for joining",
    ]
    assert text_of(html, "page") == "Page 2 of 2"
    assert [a.text_content() for a in second.xpath("//nav[@class='pager']/a")] == ["Newer"]
    for odd in ("0", "-1", "x", "۲", "99999999"):
        assert text_of(await (await client.get(f"/club/card?page={odd}")).text(), "page") in (
            "Page 1 of 2",
            "Page 2 of 2",
        )


async def test_cookies_are_secure_behind_https(any_db: str, clock: Clock) -> None:
    await joined()
    async with pages_client(clock, secure=True) as client:
        response = await client.post(
            "/club/signin", data={"init_data": init_data(USER)}, allow_redirects=False
        )
        assert response.status == 303 and response.cookies[COOKIE]["secure"] is True


async def test_the_sign_in_page_and_its_files(client: TestClient) -> None:
    response = await client.get("/club", allow_redirects=False)
    assert (response.status, response.headers["Location"]) == (302, "/club/")
    html = await (await client.get("/club/")).text()
    root = page(html)
    assert root.get("dir") == "rtl"  # nobody known yet: the club's language
    assert text_of(html, "outside") == "این صفحه را از ربات باشگاه در تلگرام باز کنید."
    assert root.xpath("//script")[0].get("src") == "/club/static/signin.js"
    for path in (
        "/club/static/signin.js",
        "/club/static/club.css",
        "/club/fonts/Vazirmatn-Regular.ttf",
    ):
        assert (await client.get(path)).status == 200, path


async def test_the_sign_in_logs_no_secret(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    await joined()
    caplog.set_level(logging.DEBUG)
    data = init_data(USER)
    await sign_in(client, data.replace("hash=", "hash=0"))
    await sign_in(client, data)
    logged = caplog.text
    signature = data.rsplit("hash=", 1)[1]
    assert signature not in logged and TOKEN not in logged and "query_id" not in logged
    assert "page sign-in refused: forged" in logged


# ---- the doors that lead here ----------------------------------------------------------------


async def test_the_bot_serves_the_pages_only_with_a_token(db: str) -> None:
    def paths(settings: Settings) -> set[str]:
        dp = build_dispatcher(settings, storage=JsonMemoryStorage())
        app = build_web_app(settings, dp, build_bot(settings, session=LocalSession()))
        return {resource.canonical for resource in app.router.resources()}

    assert "/club" in paths(Settings(_env_file=None, bot_token=TOKEN))
    assert "/club" not in paths(Settings(_env_file=None, bot_token=None))


def menu_chat(settings: Settings) -> Chat_:
    mm = MessageManager()
    session = LocalSession()
    dp = build_dispatcher(
        settings,
        storage=JsonMemoryStorage(),
        message_manager=mm,
        throttle=ThrottleMiddleware(limit=1000),
    )
    bot = build_bot(settings, session=session)
    return Chat_(BotClient(dp, user_id=USER, chat_id=USER, bot=bot), mm, session)


@pytest.mark.parametrize(
    ("variables", "url"),
    [
        ({"web_app_url": "https://club.example/club/"}, "https://club.example/club/"),
        ({"webhook_url": "https://bot.example/"}, "https://bot.example/club/"),
        ({"webhook_url": "http://bot.example"}, None),  # Telegram opens HTTPS pages only
        ({}, None),
    ],
)
async def test_the_menu_opens_the_pages_at_a_public_https_address(
    db: str, variables: dict[str, str], url: str | None
) -> None:
    await joined()
    chat = menu_chat(Settings(_env_file=None, bot_token=None, default_locale="en", **variables))
    await chat.send("/start")
    markup = chat.mm.last_message().reply_markup
    buttons = [button for row in markup.inline_keyboard for button in row]
    opening = [button for button in buttons if button.web_app is not None]
    if url is None:
        assert opening == [] and chat.buttons()[0] == "My card"
    else:
        assert [(b.text, b.web_app.url) for b in opening] == [("Open the club", url)]
        assert chat.buttons()[:2] == ["Open the club", "My card"]


def test_web_app_url_must_be_https() -> None:
    with pytest.raises(ValueError, match="WEB_APP_URL must be an https:// address"):
        Settings(_env_file=None, web_app_url="http://club.example/club/")


def test_a_forms_csrf_token_is_good_for_its_own_session_only() -> None:
    sessions = Sessions(b"secret", timedelta(hours=1))
    mine = sessions.issue(Subject(TELEGRAM, USER), NOW)
    theirs = sessions.issue(Subject(STAFF, 7), NOW)
    assert sessions.subject(theirs, NOW) == Subject(STAFF, 7)
    assert sessions.csrf_ok(mine, sessions.csrf(mine))
    assert not sessions.csrf_ok(mine, sessions.csrf(theirs))  # another session's form
    assert not sessions.csrf_ok(mine, None) and not sessions.csrf_ok(mine, "")
    assert not sessions.csrf_ok(None, sessions.csrf(mine))  # no session at all
    other_secret = Sessions(b"other", timedelta(hours=1))
    assert not sessions.csrf_ok(mine, other_secret.csrf(mine))
