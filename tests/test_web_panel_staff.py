"""The panel for staff through HTTP: opened as a Mini App from the button `/panel` gives
(Telegram's signed sign-in data), its cookie for Telegram Web's frame, the staff member's
language, the staff and invitations page, the audit log. In a real browser:
tests/test_web_panel_browser.py."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from aiohttp.test_utils import TestClient

from bot.settings import Settings
from handlers.format import digits, moment
from handlers.web.session import COOKIE, Sessions, session_secret
from loyalty.errors import LoyaltyError
from loyalty.staff import panel, places, team
from loyalty.staff.access import identify
from models import AuditEntry, Branch, Staff, StaffInvite, StaffRole
from tests import helpers
from tests.conftest import NOW
from tests.staff_harness import CASHIER, MANAGER, OWNER, STRANGER, Harness, harness
from tests.web_harness import TEHRAN, TOKEN, Clock, init_data, page, pages_client, text_of

BASE = "https://club.example.com/club/"
NOT_STAFF = "The panel is for the club's staff. Members open the club from the bot's menu."
# No user in forged data, so no language of theirs: the club's (Persian).
FORGED = "نتوانستیم هویت شما را تأیید کنیم. در ربات /panel را بفرستید و پنل را دوباره باز کنید."
STALE = "This page is out of date. Close it and send /panel in the bot again."
# Refused before anyone is known: in the club's language.
FORM_OUT_OF_DATE = "این فرم قدیمی شده است: صفحه را دوباره باز کنید."


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def bot(any_db: str) -> AsyncIterator[Harness]:
    settings = Settings(
        owner_ids=[OWNER],
        default_locale="en",
        timezone="Asia/Tehran",
        web_app_url=BASE,
        _env_file=None,
    )
    panel.forget_figures()
    async with harness(settings) as h:
        yield h


@pytest.fixture
async def client(bot: Harness, clock: Clock) -> AsyncIterator[TestClient]:
    """The pages in Persian by default: an English page is the staff member's language."""
    async with pages_client(clock, owner_ids=(OWNER,)) as client_:
        yield client_


async def app_sign_in(client: TestClient, data: str) -> tuple[int, str, str]:
    response = await client.post(
        "/club/panel/signin", data={"init_data": data}, allow_redirects=False
    )
    return response.status, response.headers.get("Location", ""), await response.text()


async def link_sign_in(client: TestClient, bot: Harness, user: int) -> None:
    [text] = await bot.send(user, "/panel")
    address = urlsplit(text.split("\n")[1])
    response = await client.get(f"{address.path}?{address.query}", allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/club/panel/"


async def csrf_of(client: TestClient, path: str = "/club/panel/staff") -> str:
    html = await (await client.get(path)).text()
    return page(html).xpath('//input[@name="csrf"]')[0].get("value")


def session_csrf(client: TestClient) -> str:
    """The CSRF token of the client's session, for a form its page does not show."""
    cookie = client.session.cookie_jar.filter_cookies(client.make_url("/club/"))[COOKIE].value
    return Sessions(session_secret(TOKEN), timedelta(hours=12)).csrf(cookie)


# ---- the Mini App ------------------------------------------------------------------------------


async def test_panel_offers_the_mini_app_beside_the_link(bot: Harness) -> None:
    await bot.send(OWNER, "/panel")
    sent = bot.api.last_message(OWNER)
    assert sent is not None
    [[button]] = sent["reply_markup"]["inline_keyboard"]
    assert button == {"text": "Open the panel", "web_app": {"url": BASE + "panel/app"}}


async def test_staff_sign_in_from_the_mini_app(
    bot: Harness, client: TestClient, clock: Clock
) -> None:
    opened = await client.get("/club/panel/app")
    html = await opened.text()
    form = page(html).get_element_by_id("signin")
    assert opened.status == 200 and form.get("action") == "/club/panel/signin"
    assert form.get("data-signed-in") == "0" and form.get("data-next") == "/club/panel/"

    response = await client.post(
        "/club/panel/signin", data={"init_data": init_data(OWNER)}, allow_redirects=False
    )
    assert response.status == 303 and response.headers["Location"] == "/club/panel/"
    owner = await Staff.get(telegram_id=OWNER)
    cookie = response.cookies[COOKIE]
    assert cookie.value.startswith(f"staff:{owner.id}.")
    assert cookie["samesite"] == "Lax" and not cookie["secure"] and cookie["httponly"] is True
    assert owner.role is StaffRole.OWNER and owner.name == "Sara"
    [entry] = await AuditEntry.filter(action="panel_app_signin")
    assert (entry.staff_id, entry.details) == (owner.id, {})

    home = await client.get("/club/panel/")
    root = page(await home.text())
    assert home.status == 200 and root.get("lang") == "en" and root.get("dir") == "ltr"
    assert text_of(await home.text(), "nav-home") == "Dashboard"
    again = await client.get("/club/panel/app")
    assert page(await again.text()).get_element_by_id("signin").get("data-signed-in") == "1"


async def test_forged_stale_or_no_staff_sign_in_is_refused(
    bot: Harness, client: TestClient, clock: Clock
) -> None:
    forged = init_data(OWNER, hash="0" * 64)
    status, where, html = await app_sign_in(client, forged)
    assert (status, where, text_of(html, "refused")) == (401, "", FORGED)
    other_bot = init_data(OWNER, token="654321:ANOTHER-bot")
    status, _, html = await app_sign_in(client, other_bot)
    assert status == 401 and text_of(html, "refused") == FORGED
    stale = init_data(OWNER, auth_date=NOW - timedelta(hours=2))
    status, _, html = await app_sign_in(client, stale)
    assert status == 401 and text_of(html, "refused") == STALE

    # A member of the club who is not staff, reading English: told so, in English.
    await helpers.member(NOW, first_name="Ali", telegram_id=STRANGER, locale="en")
    status, _, html = await app_sign_in(client, init_data(STRANGER, language_code="fa"))
    assert status == 403 and text_of(html, "refused") == NOT_STAFF
    assert page(html).get("lang") == "en"
    # Revoked staff are nobody's staff any more.
    await Staff.create(telegram_id=CASHIER, role=StaffRole.CASHIER, active=False, created_at=NOW)
    status, _, html = await app_sign_in(client, init_data(CASHIER))
    assert status == 403 and text_of(html, "refused") == NOT_STAFF

    assert COOKIE not in client.session.cookie_jar.filter_cookies(client.make_url("/club/"))
    assert await AuditEntry.filter(action="panel_app_signin").count() == 0
    nobody = await client.get("/club/panel/", allow_redirects=False)
    assert nobody.status == 303 and nobody.headers["Location"] == "/club/"


async def test_a_staff_session_is_no_members_session(bot: Harness, client: TestClient) -> None:
    await helpers.member(NOW, first_name="Sara", telegram_id=OWNER, locale="en")
    assert (await app_sign_in(client, init_data(OWNER)))[0] == 303
    card = await client.get("/club/card", allow_redirects=False)
    assert card.status == 303 and card.headers["Location"] == "/club/"
    # The sign-in page does not send a staff session on to the card (and back, forever).
    signin = page(await (await client.get("/club/")).text()).get_element_by_id("signin")
    assert signin.get("data-signed-in") == "0"
    # Signing in as the member replaces the staff session in this browser.
    member = await client.post("/club/signin", data={"init_data": init_data(OWNER)})
    assert member.status == 200 and str(member.url).endswith("/club/card")
    away = await client.get("/club/panel/", allow_redirects=False)
    assert away.status == 303


# ---- cookies over HTTPS ------------------------------------------------------------------------


async def test_over_https_the_session_cookie_is_samesite_none_and_secure(
    bot: Harness, clock: Clock
) -> None:
    await helpers.member(NOW, first_name="Sara", telegram_id=STRANGER)
    async with pages_client(clock, secure=True, owner_ids=(OWNER,)) as client:
        staff = await client.post(
            "/club/panel/signin", data={"init_data": init_data(OWNER)}, allow_redirects=False
        )
        member = await client.post(
            "/club/signin", data={"init_data": init_data(STRANGER)}, allow_redirects=False
        )
        [text] = await bot.send(OWNER, "/panel")
        address = urlsplit(text.split("\n")[1])
        link = await client.get(f"{address.path}?{address.query}", allow_redirects=False)
        # The test speaks plain HTTP, where the client keeps a Secure cookie to itself.
        session = {"Cookie": f"{COOKIE}={member.cookies[COOKIE].value}"}
        invite = await (await client.get("/club/invite", headers=session)).text()
        csrf = page(invite).xpath('//input[@name="csrf"]')[0].get("value")
        signed_out = await client.post(
            "/club/signout", data={"csrf": csrf}, headers=session, allow_redirects=False
        )
    for response in (staff, member, link, signed_out):
        assert response.status == 303
        cookie = response.cookies[COOKIE]
        assert (cookie["samesite"], cookie["secure"], cookie["httponly"]) == ("None", True, True)
        assert cookie["path"] == "/club/"
    assert signed_out.cookies[COOKIE].value == ""  # removed as it was set: SameSite=None
    # Over HTTPS the staff member's Telegram language is kept the same way.
    language = staff.cookies["club_language"]
    assert (language.value, language["samesite"], language["secure"]) == ("en", "None", True)


async def test_over_plain_http_the_cookies_stay_lax(bot: Harness, client: TestClient) -> None:
    await helpers.member(NOW, first_name="Sara", telegram_id=STRANGER)
    for path, user in (("/club/panel/signin", OWNER), ("/club/signin", STRANGER)):
        response = await client.post(
            path, data={"init_data": init_data(user)}, allow_redirects=False
        )
        cookie = response.cookies[COOKIE]
        assert (cookie["samesite"], cookie["secure"]) == ("Lax", "")
    signed_out = await client.post(
        "/club/signout", data={"csrf": await csrf_of(client, "/club/invite")}
    )
    assert signed_out.status == 200 and str(signed_out.url).endswith("/club/")


# ---- the staff member's language ---------------------------------------------------------------


async def test_the_panel_speaks_the_staff_members_language(
    bot: Harness, client: TestClient
) -> None:
    """The club reads Persian; a manager whose stored language is English reads English,
    as the bot answers them; one with neither reads the club's Persian."""
    await Staff.create(telegram_id=MANAGER, role=StaffRole.MANAGER, created_at=NOW)
    await helpers.member(NOW, first_name="Sara", telegram_id=MANAGER, locale="en")
    await link_sign_in(client, bot, MANAGER)
    html = await (await client.get("/club/panel/staff")).text()
    assert page(html).get("lang") == "en"
    assert text_of(html, "nav-members") == "Members" and text_of(html, "nav-staff") == "Staff"
    assert text_of(html, "make-invite") == "Make an invitation"

    await link_sign_in(client, bot, OWNER)  # no member's language, no Mini App: the club's
    html = await (await client.get("/club/panel/")).text()
    assert page(html).get("lang") == "fa" and text_of(html, "nav-staff") == "کارکنان"


# ---- the staff and invitations -----------------------------------------------------------------


async def test_the_owner_invites_a_cashier_then_withdraws_the_invitation(
    bot: Harness, client: TestClient
) -> None:
    owner = await identify(OWNER, [OWNER], now=NOW)
    assert owner is not None
    north = await places.add_branch(owner, "North", now=NOW)
    assert (await app_sign_in(client, init_data(OWNER)))[0] == 303
    html = await (await client.get("/club/panel/staff")).text()
    assert [o.get("value") for o in page(html).xpath('//select[@id="role"]/option')] == [
        "cashier",
        "manager",
    ]
    branches = [o.text_content() for o in page(html).xpath('//select[@id="branch"]/option')]
    open_ones = [b.name for b in await Branch.filter(active=True).order_by("id")]
    assert branches == ["all branches", *open_ones] and open_ones[-1] == "North"

    csrf = await csrf_of(client)
    [key] = page(html).xpath('//form[@id="invite"]/input[@name="request"]/@value')
    for _ in range(2):  # pressed twice: one invitation
        made = await client.post(
            "/club/panel/staff/invite",
            data={"csrf": csrf, "request": key, "role": "cashier", "branch": str(north.id)},
            allow_redirects=False,
        )
    [invite] = await StaffInvite.all()
    assert made.status == 303
    assert made.headers["Location"] == f"/club/panel/staff?invite={invite.id}"
    assert (invite.role, invite.branch_id, invite.created_by_id) == (
        StaffRole.CASHIER,
        north.id,
        owner.id,
    )
    html = await (await client.get(made.headers["Location"])).text()
    assert text_of(html, "message") == (
        "A one-time invitation for a cashier: "
        f"https://t.me/club_test_bot?start=staff_{invite.token}"
    )
    assert [r.get("id") for r in page(html).xpath('//table[@id="invites"]/tbody/tr')] == [
        f"invite-{invite.id}"
    ]
    audited = await AuditEntry.get(action="staff_invite")
    assert audited.details == {"role": "cashier", "branch": north.id, "invite": invite.id}

    withdrawn = await client.post(
        f"/club/panel/invites/{invite.id}/withdraw", data={"csrf": csrf}, allow_redirects=False
    )
    assert withdrawn.status == 303
    html = await (await client.get(withdrawn.headers["Location"])).text()
    assert text_of(html, "message") == (
        f"Invitation #{invite.id} withdrawn: its link no longer works."
    )
    assert page(html).xpath('//table[@id="invites"]') == []
    assert await StaffInvite.all().count() == 0
    with pytest.raises(LoyaltyError):
        await team.accept_invite(f"staff_{invite.token}", CASHIER, now=NOW)
    assert await Staff.filter(telegram_id=CASHIER).count() == 0
    [entry] = await AuditEntry.filter(action="staff_invite_withdrawn")
    assert (entry.staff_id, entry.details) == (owner.id, {"invite": invite.id})
    again = await client.post(f"/club/panel/invites/{invite.id}/withdraw", data={"csrf": csrf})
    assert again.status == 400
    assert text_of(await again.text(), "message") == (
        "This invitation link is not valid or was already used."
    )


async def test_the_owner_revokes_a_cashier(bot: Harness, client: TestClient) -> None:
    cashier = await Staff.create(
        telegram_id=CASHIER, name="Kaveh", role=StaffRole.CASHIER, created_at=NOW
    )
    await link_sign_in(client, bot, OWNER)
    owner = await Staff.get(telegram_id=OWNER)
    html = await (await client.get("/club/panel/staff")).text()
    rows = page(html).xpath('//table[@id="staff"]/tbody/tr')
    assert [r.get("id") for r in rows] == [f"staff-{cashier.id}", f"staff-{owner.id}"]
    assert page(html).xpath(f'//button[@id="revoke-{owner.id}"]') == []  # not oneself
    ident = digits(str(cashier.id), "fa")
    cells = [
        td.text_content().strip() for td in page(html).xpath(f'//tr[@id="staff-{cashier.id}"]/td')
    ]
    assert cells == [ident, "Kaveh", "صندوقدار", "همه شعبه‌ها", "لغو دسترسی"]
    revoked = await client.post(
        f"/club/panel/staff/{cashier.id}/revoke",
        data={"csrf": await csrf_of(client)},
        allow_redirects=False,
    )
    assert revoked.status == 303
    html = await (await client.get(revoked.headers["Location"])).text()
    assert text_of(html, "message") == f"کارمند #{ident} دیگر دسترسی ندارد."
    assert not (await Staff.get(id=cashier.id)).active
    [entry] = await AuditEntry.filter(action="staff_revoke")
    assert (entry.staff_id, entry.details) == (owner.id, {"target": cashier.id})


async def test_a_manager_invites_cashiers_of_their_branch_only(
    bot: Harness, client: TestClient
) -> None:
    owner = await identify(OWNER, [OWNER], now=NOW)
    assert owner is not None
    north = await places.add_branch(owner, "North", now=NOW)
    south = await places.add_branch(owner, "South", now=NOW)
    await Staff.create(
        telegram_id=MANAGER, role=StaffRole.MANAGER, branch_id=north.id, created_at=NOW
    )
    await helpers.member(NOW, first_name="Sara", telegram_id=MANAGER, locale="en")
    await link_sign_in(client, bot, MANAGER)
    html = await (await client.get("/club/panel/staff")).text()
    assert [o.get("value") for o in page(html).xpath('//select[@id="role"]/option')] == ["cashier"]
    assert [o.get("value") for o in page(html).xpath('//select[@id="branch"]/option')] == [
        str(north.id)
    ]
    csrf = await csrf_of(client)
    for role, branch in (("manager", str(north.id)), ("cashier", str(south.id))):
        refused = await client.post(
            "/club/panel/staff/invite", data={"csrf": csrf, "role": role, "branch": branch}
        )
        assert refused.status == 403 and text_of(await refused.text(), "message") == "Not allowed."
    for role, branch in (("owner", ""), ("cashier", "north"), ("", "")):
        refused = await client.post(
            "/club/panel/staff/invite", data={"csrf": csrf, "role": role, "branch": branch}
        )
        assert refused.status == 400
        assert text_of(await refused.text(), "message") == "This value is not understood."
    assert await StaffInvite.all().count() == 0
    made = await client.post(
        "/club/panel/staff/invite", data={"csrf": csrf, "role": "cashier", "branch": ""}
    )
    assert made.status == 200
    [invite] = await StaffInvite.all()
    assert (invite.role, invite.branch_id) == (StaffRole.CASHIER, north.id)


async def test_a_cashier_is_refused_the_staff_and_audit_pages(
    bot: Harness, client: TestClient
) -> None:
    cashier = await Staff.create(telegram_id=CASHIER, role=StaffRole.CASHIER, created_at=NOW)
    await helpers.member(NOW, first_name="Kaveh", telegram_id=CASHIER, locale="en")
    assert (await app_sign_in(client, init_data(CASHIER)))[0] == 303
    html = await (await client.get("/club/panel/")).text()
    assert page(html).xpath('//a[@id="nav-staff" or @id="nav-audit"]') == []
    staff = await client.get("/club/panel/staff")
    assert staff.status == 403
    assert text_of(await staff.text(), "refused") == "This page is for managers and the owner."
    audit = await client.get("/club/panel/audit")
    assert audit.status == 403 and text_of(await audit.text(), "refused") == (
        "This page is for the owner."
    )
    csrf = session_csrf(client)
    posted = await client.post(
        "/club/panel/staff/invite", data={"csrf": csrf, "role": "cashier", "branch": ""}
    )
    assert posted.status == 403
    assert text_of(await posted.text(), "refused") == "This page is for managers and the owner."
    assert await StaffInvite.all().count() == 0
    assert (await Staff.get(id=cashier.id)).active


async def test_staff_forms_need_the_pages_csrf_token(bot: Harness, client: TestClient) -> None:
    cashier = await Staff.create(telegram_id=CASHIER, role=StaffRole.CASHIER, created_at=NOW)
    await link_sign_in(client, bot, OWNER)
    csrf = await csrf_of(client)
    for token in (None, "0" * 64, csrf[:-1]):
        form = {"role": "cashier", "branch": ""} | ({"csrf": token} if token else {})
        response = await client.post("/club/panel/staff/invite", data=form)
        assert response.status == 403 and await response.text() == FORM_OUT_OF_DATE
        revoke = {"csrf": token} if token else {}
        response = await client.post(f"/club/panel/staff/{cashier.id}/revoke", data=revoke)
        assert response.status == 403 and await response.text() == FORM_OUT_OF_DATE
    assert await StaffInvite.all().count() == 0
    assert (await Staff.get(id=cashier.id)).active


# ---- the audit log -----------------------------------------------------------------------------


async def test_the_audit_page_lists_filters_and_pages(bot: Harness, client: TestClient) -> None:
    await helpers.member(NOW, first_name="Sara", telegram_id=OWNER, locale="en")
    assert (await app_sign_in(client, init_data(OWNER)))[0] == 303
    owner = await Staff.get(telegram_id=OWNER)
    made = await client.post(
        "/club/panel/staff/invite",
        data={"csrf": await csrf_of(client), "role": "cashier", "branch": ""},
    )
    assert made.status == 200
    [invite] = await StaffInvite.all()
    when = moment(NOW, "en", TEHRAN)

    html = await (await client.get("/club/panel/audit")).text()
    lines = [li.text_content() for li in page(html).xpath('//ul[@id="log"]/li')]
    assert lines == [
        f"{when} Sara: staff invitation made (role: cashier, branch: #{invite.branch_id}, "
        f"invitation: #{invite.id})",
        f"{when} Sara: signed in to the panel in Telegram",
    ]
    assert text_of(html, "page") == "Page 1" and page(html).xpath('//a[@id="next"]') == []

    only = await (await client.get("/club/panel/audit", params={"action": "staff_invite"})).text()
    assert len(page(only).xpath('//ul[@id="log"]/li')) == 1
    chosen = page(only).xpath('//select[@id="action"]/option[@selected]')
    assert [o.get("value") for o in chosen] == ["staff_invite"]
    for entry in range(60):
        await AuditEntry.create(
            action="member_view",
            staff_id=None,
            actor="cli",
            details={"member": entry},
            created_at=NOW,
        )
    nobody = await (
        await client.get("/club/panel/audit", params={"action": "member_view", "staff": owner.id})
    ).text()
    assert text_of(nobody, "empty") == "Nothing recorded yet."
    first = await (await client.get("/club/panel/audit", params={"action": "member_view"})).text()
    assert len(page(first).xpath('//ul[@id="log"]/li')) == 50
    assert text_of(first, "next") == "Older"
    second = await (
        await client.get("/club/panel/audit", params={"action": "member_view", "page": "2"})
    ).text()
    lines = [li.text_content() for li in page(second).xpath('//ul[@id="log"]/li')]
    assert len(lines) == 10 and lines[-1] == f"{when} the club command: member viewed (member: #0)"
    assert text_of(second, "page") == "Page 2" and page(second).xpath('//a[@id="next"]') == []
    unknown = await client.get("/club/panel/audit", params={"action": "x" * 500, "page": "x"})
    assert unknown.status == 200 and len(page(await unknown.text()).xpath("//ul/li")) == 50
