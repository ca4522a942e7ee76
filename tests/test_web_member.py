"""The member's pages on the open web: signing in by a code sent to the phone (through the
outbox and the fake Kavenegar), its limits and sign-out; then the rewards page. Over HTTP
as a browser posts; the same in a real browser in tests/test_web_member_browser.py."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient

from handlers.notifications import render
from handlers.web.session import COOKIE
from loyalty import earning, inbox, rewards, web_signin
from models import (
    Channel,
    InboxItem,
    LedgerEntry,
    Member,
    OutboxMessage,
    Voucher,
    WebSignInCode,
)
from tests import helpers
from tests.conftest import NOW
from tests.sms_harness import SmsLine, sms_line
from tests.test_member_dialogs import USER, open_chat
from tests.web_harness import TEHRAN, Clock, init_data, page, pages_client, text_of

PHONE = "09121110000"
SENT = "If this number is a member's, a code is on its way by SMS. It is good for 5 minutes."
SENT_FA = (
    "اگر این شماره عضو باشگاه باشد، یک کد با پیامک برایش فرستاده می‌شود. کد تا ۵ دقیقه معتبر است."
)
WRONG_FA = "این کد اشتباه است یا دیگر معتبر نیست. آن را بررسی کنید یا کد تازه‌ای بخواهید."
TOO_MANY_FA = "کد بیش از حد درخواست شده است. چند دقیقه دیگر دوباره امتحان کنید."
NOT_ENOUGH = "Not enough points: you have 70, this needs 500."
EARNING_FA = [
    "۱ امتیاز برای هر ۱۰٬۰۰۰ تومان خرید.",
    "۲۰ امتیاز برای عضویت.",
    "۵۰ امتیاز وقتی دوستی که دعوت کرده\u200cاید اولین خریدش را می\u200cکند.",
    "۵ امتیاز برای نظرتان، روزی یک بار.",
]
TIERS_FA = [
    "برنزی: از ۰ امتیاز",
    "نقره\u200cای: از ۵۰۰ امتیاز · امتیاز ×۱٫۲۵ · ۵٪ تخفیف",
    "طلایی: از ۲٬۰۰۰ امتیاز · امتیاز ×۱٫۵ · ۱۰٪ تخفیف",
]
PERSIAN = str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789")


async def member_without_telegram(locale: str = "fa") -> Member:
    return await helpers.member(
        NOW, phone=PHONE, telegram_id=None, locale=locale, first_name="Sara"
    )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def client(any_db: str, clock: Clock) -> AsyncIterator[TestClient]:
    async with pages_client(clock) as client_:
        yield client_


@pytest.fixture
async def line(any_db: str) -> AsyncIterator[SmsLine]:
    async with sms_line() as line_:
        yield line_


async def ask(client: TestClient, phone: str = PHONE) -> tuple[int, str]:
    response = await client.post("/club/phone", data={"phone": phone})
    return response.status, await response.text()


async def delivered_code(line: SmsLine, clock: Clock) -> str:
    """The code in the latest SMS to the member, as the outbox sends it."""
    await line.deliver(clock.now)
    text = line.texts_to(PHONE)[-1]
    return re.search(r"[۰-۹0-9]{6}", text).group(0).translate(PERSIAN)  # type: ignore[union-attr]


async def enter(client: TestClient, code: str, phone: str = PHONE) -> tuple[int, str, str]:
    response = await client.post(
        "/club/code", data={"phone": phone, "code": code}, allow_redirects=False
    )
    return response.status, response.headers.get("Location", ""), await response.text()


async def test_a_member_without_telegram_signs_in_by_a_code_sent_by_sms(
    client: TestClient, line: SmsLine, clock: Clock
) -> None:
    member = await member_without_telegram()
    html = await (await client.get("/club/")).text()
    assert page(html).xpath("//form[@id='phone-form']/@action") == ["/club/phone"]
    status, html = await ask(client, "۰۹۱۲ ۱۱۱ ۰۰۰۰")  # as a phone's keyboard writes it
    assert (status, text_of(html, "message")) == (200, SENT_FA)
    await line.deliver(clock.now)
    [text] = line.texts_to(PHONE)
    code = re.search(r"[۰-۹]{6}", text).group(0)  # type: ignore[union-attr]
    assert text == f"کد ورود به باشگاه: {code}. تا ۵ دقیقه معتبر است؛ آن را به کسی ندهید."
    # Kept as a hash only: the code is in no row of the sign-in codes.
    row = await WebSignInCode.get()
    assert code.translate(PERSIAN) not in str(row.__dict__) and row.member_id == member.id
    assert PHONE[1:] not in str(row.__dict__)

    assert await enter(client, code) == (303, "/club/card", "")  # Persian digits are fine
    # Used, the code leaves its sent SMS too: no row holds it any more.
    assert [m.params for m in await OutboxMessage.filter(template="web_code")] == [{}]
    cookie = client.session.cookie_jar.filter_cookies(client.make_url("/club/card"))[COOKIE]
    assert cookie.value.startswith(f"member:{member.id}.")
    card = await (await client.get("/club/card")).text()
    assert text_of(card, "balance") == "۲۰" and page(card).get("dir") == "rtl"
    # Single use: the same code again is refused.
    client.session.cookie_jar.clear()
    status, _, html = await enter(client, code)
    assert (status, text_of(html, "message")) == (401, WRONG_FA)


async def test_a_code_lasts_five_minutes_and_a_few_tries(
    client: TestClient, line: SmsLine, clock: Clock
) -> None:
    await member_without_telegram()
    await ask(client)
    code = await delivered_code(line, clock)
    clock.advance(minutes=5, seconds=1)
    assert (await enter(client, code))[0] == 401  # out of date
    clock.advance(minutes=1)
    await ask(client)
    code = await delivered_code(line, clock)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        assert (await enter(client, wrong))[0] == 401
    assert (await enter(client, code))[0] == 401  # five wrong tries spent it
    assert (await WebSignInCode.filter(tries=5).count()) == 1
    # Never used, the codes leave their SMS when the hourly job finds them expired, and
    # the requests are forgotten once they count toward no limit.
    sent = await OutboxMessage.filter(template="web_code").order_by("id")
    assert [m.params.keys() for m in sent] == [{"code"}, {"code"}]
    await web_signin.forget(clock.now)  # the first expired, the second not yet
    after = await OutboxMessage.filter(template="web_code").order_by("id")
    assert [m.params for m in after] == [{}, {"code": code}]
    clock.advance(hours=1, seconds=1)
    await web_signin.forget(clock.now)
    assert [m.params for m in await OutboxMessage.filter(template="web_code")] == [{}, {}]
    assert await WebSignInCode.filter().count() == 0


async def test_a_stranger_is_answered_as_a_member_and_sent_nothing(
    client: TestClient, line: SmsLine, clock: Clock
) -> None:
    await member_without_telegram()
    member_answer = await ask(client)
    stranger_answer = await ask(client, "09351234567")
    # The same page but for the number in it: nobody learns who is a member.
    assert stranger_answer == (member_answer[0], member_answer[1].replace(PHONE, "09351234567"))
    await line.deliver(clock.now)
    assert line.texts_to("09351234567") == [] and len(line.texts_to(PHONE)) == 1
    assert await OutboxMessage.filter(template="web_code").count() == 1
    assert (await enter(client, "000000", "09351234567"))[0] == 401
    status, html = await ask(client, "02188776655")  # a landline
    assert (status, text_of(html, "message")) == (
        400,
        "این شماره موبایل نیست. آن را به شکل ۰۹۱۲۱۲۳۴۵۶۷ بنویسید.",
    )


async def test_codes_are_limited_per_phone_and_per_address(
    client: TestClient, line: SmsLine, clock: Clock
) -> None:
    await member_without_telegram()
    for _ in range(3):
        assert (await ask(client))[0] == 200
    status, html = await ask(client)
    assert (status, text_of(html, "message")) == (429, TOO_MANY_FA)
    await line.deliver(clock.now)
    assert len(line.texts_to(PHONE)) == 3
    clock.advance(minutes=15, seconds=1)
    assert (await ask(client))[0] == 200  # the phone's window has passed
    # One address asking for many numbers: ten codes an hour (the refused one is not counted).
    for n in range(6):
        assert (await ask(client, f"0935123450{n}"))[0] == 200
    assert (await ask(client, "09351234599"))[0] == 429
    # Behind the club's proxy, the address the proxy adds is the client's: another one
    # is not limited by this one's requests (a client's own earlier entry is not believed).
    behind = {"X-Forwarded-For": "203.0.113.9, 198.51.100.7"}
    other = await client.post("/club/phone", data={"phone": "09351234599"}, headers=behind)
    assert other.status == 200
    for n in range(9):  # the same client, claiming nine other addresses before it
        headers = {"X-Forwarded-For": f"203.0.113.{n}, 198.51.100.7"}
        await client.post("/club/phone", data={"phone": f"0935123460{n}"}, headers=headers)
    last = await client.post("/club/phone", data={"phone": "09351234611"}, headers=behind)
    assert last.status == 429
    clock.advance(hours=1)
    assert (await ask(client, "09351234599"))[0] == 200


async def test_codes_asked_for_at_once_keep_the_limit(
    client: TestClient, line: SmsLine, clock: Clock
) -> None:
    await member_without_telegram()
    answers = await asyncio.gather(*(ask(client) for _ in range(12)))
    assert sorted(status for status, _ in answers) == [200] * 3 + [429] * 9
    await line.deliver(clock.now)
    assert len(line.texts_to(PHONE)) == 3
    assert await WebSignInCode.filter(code_hash__not_isnull=True).count() == 3


async def test_sign_out_needs_the_form_and_clears_the_session(
    client: TestClient, line: SmsLine, clock: Clock
) -> None:
    await member_without_telegram("en")
    await ask(client)
    await enter(client, await delivered_code(line, clock))
    html = await (await client.get("/club/card")).text()
    csrf = page(html).xpath("//form[@action='/club/signout']/input[@name='csrf']/@value")[0]
    assert (await client.post("/club/signout", data={"csrf": "x"})).status == 403
    assert (await client.get("/club/card", allow_redirects=False)).status == 200
    response = await client.post("/club/signout", data={"csrf": csrf}, allow_redirects=False)
    assert (response.status, response.headers["Location"]) == (303, "/club/")
    assert (await client.get("/club/card", allow_redirects=False)).status == 303


def test_the_code_sms_fits_one_part() -> None:
    fa = render("web_code", {"code": "123456"}, "fa", sms=True, tz=TEHRAN)
    en = render("web_code", {"code": "123456"}, "en", sms=True, tz=TEHRAN)
    assert fa == "کد ورود به باشگاه: ۱۲۳۴۵۶. تا ۵ دقیقه معتبر است؛ آن را به کسی ندهید."
    assert en == "Your club sign-in code: 123456. Good for 5 minutes; tell it to nobody."
    assert len(fa) <= 70 and len(en) <= 160


async def test_no_code_and_no_phone_is_logged(
    client: TestClient, line: SmsLine, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    await member_without_telegram()
    caplog.set_level(logging.DEBUG)
    await ask(client)
    code = await delivered_code(line, clock)
    await enter(client, "123")
    await enter(client, code)
    # The club's own logs and the access log. The drivers' SQL traces at DEBUG show
    # parameters (Tortoise's, and aiosqlite's when statements go through its thread).
    traces = ("tortoise", "aiosqlite")
    logged = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith(traces))
    assert code not in logged and "1110000" not in logged
    assert "page code asked: sent" in logged
    assert await LedgerEntry.filter().count() == 1  # signing in changes no balance


# ---- rewards and vouchers ---------------------------------------------------------------------


async def signed_in_by_telegram(client: TestClient, locale: str = "en") -> Member:
    """A Telegram member with 70 points (20 for joining, 50 for a purchase), signed in."""
    member = await helpers.member(
        NOW, phone=PHONE, telegram_id=USER, locale=locale, first_name="Sara"
    )
    await earning.award_purchase(member.id, 500_000, receipt="r1", now=NOW)
    response = await client.post("/club/signin", data={"init_data": init_data(USER)})
    assert response.status == 200
    return await Member.get(id=member.id)


async def confirm_form(client: TestClient, reward_id: int) -> dict[str, str]:
    html = await (await client.get(f"/club/rewards/{reward_id}")).text()
    form = page(html).get_element_by_id("redeem")
    return {field.get("name"): field.get("value") for field in form.xpath(".//input")}


async def test_a_member_redeems_on_the_page_and_the_chat_shows_the_same_balance(
    client: TestClient,
) -> None:
    member = await signed_in_by_telegram(client)
    cheap = await helpers.reward(50, name="Coffee")
    dear = await helpers.reward(500, name="Lunch")
    html = await (await client.get("/club/rewards")).text()
    assert text_of(html, f"reward-{cheap.id}") == "Coffee · 50 points Take it"
    assert text_of(html, f"reward-{dear.id}") == "Lunch · 500 points Not yet within reach"

    form = await confirm_form(client, cheap.id)
    html = await (await client.get(f"/club/rewards/{cheap.id}")).text()
    assert text_of(html, "question") == "Take Coffee for 50 points? You have 70 points."
    # The same form sent twice (a double tap): one voucher, one debit.
    first = await client.post(f"/club/rewards/{cheap.id}", data=form, allow_redirects=False)
    second = await client.post(f"/club/rewards/{cheap.id}", data=form, allow_redirects=False)
    assert first.status == second.status == 303
    assert first.headers["Location"] == second.headers["Location"]
    voucher = await Voucher.get(member_id=member.id)
    assert first.headers["Location"] == f"/club/vouchers/{voucher.id}"
    assert await Voucher.filter(member_id=member.id).count() == 1
    assert (await Member.get(id=member.id)).balance == 20
    html = await (await client.get(first.headers["Location"])).text()
    assert text_of(html, "voucher-code") == voucher.code
    assert page(html).xpath("//div[@class='qr']/svg")
    assert text_of(html, "voucher-status").startswith("valid until ")

    # The chat's points window says the same balance.
    chat = open_chat()
    await chat.send("/start")
    await chat.click("My points")
    assert chat.text.startswith("Your balance: 20 points\n")
    html = await (await client.get("/club/vouchers")).text()
    assert page(html).xpath("//ul[@id='vouchers']/li/a/bdi/text()") == [voucher.code]


async def test_a_form_sent_twice_at_once_redeems_once(client: TestClient) -> None:
    member = await signed_in_by_telegram(client)
    coffee = await helpers.reward(30, name="Coffee")
    form = await confirm_form(client, coffee.id)
    url = f"/club/rewards/{coffee.id}"
    answers = await asyncio.gather(
        *(client.post(url, data=form, allow_redirects=False) for _ in range(4))
    )
    assert {(a.status, a.headers["Location"]) for a in answers} == {
        (303, f"/club/vouchers/{(await Voucher.get(member_id=member.id)).id}")
    }
    assert (await Member.get(id=member.id)).balance == 40
    # A new confirmation is a new form: a second voucher.
    await client.post(url, data=await confirm_form(client, coffee.id))
    assert await Voucher.filter(member_id=member.id).count() == 2
    assert (await Member.get(id=member.id)).balance == 10


async def test_redeeming_needs_the_form_and_the_points(client: TestClient) -> None:
    member = await signed_in_by_telegram(client)
    dear = await helpers.reward(500, name="Lunch")
    form = await confirm_form(client, dear.id)
    forged = await client.post(f"/club/rewards/{dear.id}", data={**form, "csrf": "x"})
    assert forged.status == 403
    no_key = await client.post(
        f"/club/rewards/{dear.id}", data={"csrf": form["csrf"]}, allow_redirects=False
    )
    assert (no_key.status, no_key.headers["Location"]) == (303, "/club/rewards")
    response = await client.post(f"/club/rewards/{dear.id}", data=form)
    assert (response.status, text_of(await response.text(), "error")) == (409, NOT_ENOUGH)
    assert await Voucher.filter(member_id=member.id).count() == 0
    assert (await Member.get(id=member.id)).balance == 70


async def test_a_phone_session_redeems_too_and_sees_only_its_own_vouchers(
    client: TestClient, line: SmsLine, clock: Clock
) -> None:
    member = await member_without_telegram("en")
    await earning.award_purchase(member.id, 500_000, receipt="r1", now=NOW)
    other = await helpers.member(NOW, phone="09351112222", telegram_id=None, locale="en")
    await earning.award_purchase(other.id, 500_000, receipt="r2", now=NOW)
    theirs = await rewards.redeem_reward(other.id, (await helpers.reward(30)).id, key="k")
    await ask(client)
    await enter(client, await delivered_code(line, clock))
    coffee = await helpers.reward(50, name="Coffee")
    form = await confirm_form(client, coffee.id)
    response = await client.post(f"/club/rewards/{coffee.id}", data=form)
    assert response.status == 200 and (await Member.get(id=member.id)).balance == 20
    assert (await client.get(f"/club/vouchers/{theirs.voucher.id}")).status == 404


# ---- invite, rules, writing to the club --------------------------------------------------------


async def test_the_invite_page_shows_the_chats_link(client: TestClient) -> None:
    member = await signed_in_by_telegram(client)
    html = await (await client.get("/club/invite")).text()
    link = f"https://t.me/club_test_bot?start=ref_{member.referral_code}"
    assert text_of(html, "invite-link") == link
    assert text_of(html, "invited") == "Friends who joined through you: 0"


async def test_the_rules_page_reads_the_clubs_rules(client: TestClient) -> None:
    await signed_in_by_telegram(client, "fa")
    html = await (await client.get("/club/rules")).text()
    root = page(html)
    assert root.xpath("//ul[@id='earning']/li/text()") == EARNING_FA
    assert [
        " ".join(li.text_content().split()) for li in root.xpath("//ul[@id='tiers']/li")
    ] == TIERS_FA
    assert text_of(html, "expiry") == "امتیازها ۳۶۵ روز پس از گرفتن منقضی می‌شوند."
    await helpers.set_rules(expiry_days=0)
    html = await (await client.get("/club/rules")).text()
    assert text_of(html, "expiry") == "امتیازها هرگز منقضی نمی‌شوند."


async def test_writing_to_the_club_reaches_the_staff_inbox(
    client: TestClient, line: SmsLine, clock: Clock
) -> None:
    member = await member_without_telegram("en")
    await ask(client)
    await enter(client, await delivered_code(line, clock))
    html = await (await client.get("/club/write")).text()
    csrf = page(html).xpath("//form[@id='write']/input[@name='csrf']/@value")[0]
    key = page(html).xpath("//form[@id='write']/input[@name='request']/@value")[0]
    assert (await client.post("/club/write", data={"csrf": "x", "text": "hi"})).status == 403
    empty = await client.post("/club/write", data={"csrf": csrf, "request": key, "text": "  "})
    assert empty.status == 400
    keyless = await client.post("/club/write", data={"csrf": csrf, "text": "hi"})
    assert (keyless.status, text_of(await keyless.text(), "message")) == (
        400,
        "This form is out of date: open the page again.",
    )
    assert await InboxItem.filter().count() == 0
    form = {"csrf": csrf, "request": key, "text": "Is the shop open on Friday?"}
    sent = await client.post("/club/write", data=form)
    assert (sent.status, text_of(await sent.text(), "message")) == (
        200,
        "Your message was sent. We will answer you soon.",
    )
    # Send pressed twice, or the form posted again after a reload: still one message.
    again = await client.post("/club/write", data=form)
    assert text_of(await again.text(), "message") == (
        "Your message was sent. We will answer you soon."
    )
    [item] = await inbox.open_items()
    assert (item.member_id, item.text, item.channel) == (
        member.id,
        "Is the shop open on Friday?",
        Channel.SMS,  # no Telegram: the answer goes by SMS
    )
