"""The owner's panel through HTTP: signing in by the one-time link `/panel` gives in the
bot, who may open which page, the member list among thousands, a correction posted twice,
CSRF, the dashboard. The same in a real browser: tests/test_web_browser.py."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from aiohttp.test_utils import TestClient

from bot.settings import Settings
from handlers.web.session import COOKIE
from loyalty import earning
from loyalty.importing import ImportRecord, import_records
from loyalty.staff import panel, places
from loyalty.staff.access import identify
from models import (
    AuditEntry,
    Card,
    EntryKind,
    Gender,
    LedgerEntry,
    Member,
    PanelLink,
    Staff,
    StaffRole,
)
from tests import helpers
from tests.conftest import NOW
from tests.staff_harness import CASHIER, MANAGER, OWNER, Harness, harness
from tests.web_harness import Clock, page, pages_client, text_of

BASE = "https://club.example.com/club/"
USED = "This link has been used or has expired. Send /panel in the bot for a new one."
MANAGERS_ONLY = "This page is for managers and the owner."
FORM_OUT_OF_DATE = "This form is out of date: open the page again."


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
    async with pages_client(clock, default_locale="en", owner_ids=(OWNER,)) as client_:
        yield client_


async def panel_link(bot: Harness, user: int) -> str:
    """The link `/panel` answers with, as a path on the test server."""
    [text] = await bot.send(user, "/panel")
    intro, link = text.split("\n")
    assert intro == "Your panel link, good once for 5 minutes. Do not share it:"
    assert link.startswith(BASE + "panel/signin?token=")
    address = urlsplit(link)
    return f"{address.path}?{address.query}"


async def signed_in(client: TestClient, bot: Harness, user: int) -> None:
    response = await client.get(await panel_link(bot, user), allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/club/panel/"


async def form_of(client: TestClient, member_id: int) -> dict[str, str]:
    html = await (await client.get(f"/club/panel/members/{member_id}")).text()
    form = page(html).get_element_by_id("adjust")
    return {i.get("name"): i.get("value") or "" for i in form.iter("input")}


async def test_a_panel_link_signs_in_once(bot: Harness, client: TestClient) -> None:
    path = await panel_link(bot, OWNER)
    owner = await Staff.get(telegram_id=OWNER)
    token = path.split("token=", 1)[1]
    [link] = await PanelLink.all()
    assert link.staff_id == owner.id and link.token_hash != token and token not in link.token_hash
    assert link.expires_at == NOW + timedelta(minutes=5) and link.used_at is None

    response = await client.get(path, allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/club/panel/"
    cookie = response.cookies[COOKIE]
    assert cookie.value.startswith(f"staff:{owner.id}.")
    assert cookie["httponly"] is True and cookie["samesite"] == "Lax"
    assert cookie["path"] == "/club/" and not cookie["secure"]
    home = await client.get("/club/panel/")
    assert home.status == 200 and text_of(await home.text(), "members") == "0"

    again = await client.get(path, allow_redirects=False)
    assert again.status == 403 and text_of(await again.text(), "refused") == USED
    actions = (
        await AuditEntry.filter(staff_id=owner.id).order_by("id").values_list("action", flat=True)
    )
    assert [a for a in actions if a.startswith("panel")] == ["panel_link", "panel_signin"]


async def test_an_expired_or_made_up_link_is_refused(
    bot: Harness, client: TestClient, clock: Clock
) -> None:
    path = await panel_link(bot, OWNER)
    clock.advance(minutes=5)
    late = await client.get(path, allow_redirects=False)
    assert late.status == 403 and text_of(await late.text(), "refused") == USED
    assert COOKIE not in late.cookies
    made_up = await client.get("/club/panel/signin?token=" + "A" * 32, allow_redirects=False)
    assert made_up.status == 403
    nobody = await client.get("/club/panel/", allow_redirects=False)
    assert nobody.status == 303 and nobody.headers["Location"] == "/club/"
    assert await PanelLink.filter(used_at__isnull=False).count() == 0


async def test_a_cashier_is_refused_the_managers_pages(bot: Harness, client: TestClient) -> None:
    await Staff.create(telegram_id=CASHIER, role=StaffRole.CASHIER, created_at=NOW)
    member = await helpers.member(NOW, first_name="Sara")
    await signed_in(client, bot, CASHIER)
    home = await client.get("/club/panel/")
    html = await home.text()
    assert home.status == 200
    assert text_of(html, "nothing") == "There is nothing in the panel for your role yet."
    assert page(html).xpath('//a[@id="nav-members"]') == []
    for path in ("/club/panel/members", f"/club/panel/members/{member.id}"):
        refused = await client.get(path)
        assert refused.status == 403 and text_of(await refused.text(), "refused") == MANAGERS_ONLY


async def test_a_correction_needs_the_pages_csrf_token(bot: Harness, client: TestClient) -> None:
    member = await helpers.member(NOW, first_name="Sara")
    await signed_in(client, bot, OWNER)
    form = await form_of(client, member.id)
    for csrf in (None, "0" * 64, form["csrf"][:-1]):
        posted = {**form, "points": "100", "note": "Birthday gift"}
        if csrf is None:
            del posted["csrf"]
        else:
            posted["csrf"] = csrf
        response = await client.post(f"/club/panel/members/{member.id}/adjust", data=posted)
        assert response.status == 403 and await response.text() == FORM_OUT_OF_DATE
    assert (await Member.get(id=member.id)).balance == 20
    assert await LedgerEntry.filter(kind=EntryKind.ADJUST).count() == 0


async def test_a_correction_posted_twice_counts_once(bot: Harness, client: TestClient) -> None:
    member = await helpers.member(NOW, first_name="Sara", phone="09121110000")
    await earning.award_purchase(member.id, 500_000, receipt="r1", now=NOW)
    assert (await Member.get(id=member.id)).balance == 70
    await signed_in(client, bot, OWNER)
    form = {**await form_of(client, member.id), "points": "+۱۲۵", "note": "Lost receipt"}
    for _ in range(2):
        response = await client.post(
            f"/club/panel/members/{member.id}/adjust", data=form, allow_redirects=False
        )
        assert response.status == 303
        assert response.headers["Location"].startswith(f"/club/panel/members/{member.id}?done=")
    shown = await client.get(response.headers["Location"])
    html = await shown.text()
    assert text_of(html, "balance") == "195"
    assert text_of(html, "message") == "Correction recorded. Balance: 195."
    assert (await Member.get(id=member.id)).balance == 195
    [entry] = await LedgerEntry.filter(kind=EntryKind.ADJUST)
    assert (entry.amount, entry.note, entry.member_id) == (125, "Lost receipt", member.id)
    assert await AuditEntry.filter(action="adjust").count() == 1

    too_much = {**await form_of(client, member.id), "points": "-500", "note": "Mistake"}
    refused = await client.post(f"/club/panel/members/{member.id}/adjust", data=too_much)
    assert refused.status == 409
    held_page = await refused.text()
    assert text_of(held_page, "message") == (
        "This correction (-500 points) would leave the balance at -305 (now 195). Record it anyway?"
    )
    assert (await Member.get(id=member.id)).balance == 195  # not recorded until confirmed
    [decide] = page(held_page).xpath("//form[@id='held']/@action")
    csrf = page(held_page).xpath("//form[@id='held']/input[@name='csrf']/@value")[0]
    assert (await client.post(decide, data={"confirm": "yes"})).status == 403  # no CSRF
    confirmed = await client.post(decide, data={"csrf": csrf, "confirm": "yes"})
    assert text_of(await confirmed.text(), "message") == "Correction recorded. Balance: -305."
    assert (await Member.get(id=member.id)).balance == -305
    twice = await client.post(decide, data={"csrf": csrf, "confirm": "yes"})
    assert twice.status == 409 and (await Member.get(id=member.id)).balance == -305
    assert await LedgerEntry.filter(kind=EntryKind.ADJUST).count() == 2
    # Back to 195, then one held and let go: nothing recorded.
    back = {**await form_of(client, member.id), "points": "500", "note": "Fixed"}
    await client.post(f"/club/panel/members/{member.id}/adjust", data=back)
    again = {**await form_of(client, member.id), "points": "-500", "note": "Mistake"}
    held_page = await (
        await client.post(f"/club/panel/members/{member.id}/adjust", data=again)
    ).text()
    [decide] = page(held_page).xpath("//form[@id='held']/@action")
    cancelled = await client.post(decide, data={"csrf": csrf, "confirm": "no"})
    assert text_of(await cancelled.text(), "message") == (
        "Correction cancelled: nothing was recorded."
    )
    assert (await Member.get(id=member.id)).balance == 195
    empty = {**await form_of(client, member.id), "points": "10", "note": "  "}
    refused = await client.post(f"/club/panel/members/{member.id}/adjust", data=empty)
    assert refused.status == 400
    assert (await Member.get(id=member.id)).balance == 195


async def test_search_finds_one_member_among_thousands(bot: Harness, client: TestClient) -> None:
    records = [
        ImportRecord(
            line=n + 2,
            phone=f"+98912{n:07d}",
            first_name=f"Member{n}",
            last_name="Imported",
            birth_date=None,
            gender=Gender.UNSPECIFIED,
            balance=n % 1000,
            tier_code=None,
        )
        for n in range(3000)
    ]
    await import_records(records, now=NOW)
    sara = await helpers.member(NOW, first_name="Sara", last_name="Rad", phone="09125551234")
    card = (await Card.get(member_id=sara.id, active=True)).number
    await signed_in(client, bot, OWNER)

    everyone = await (await client.get("/club/panel/members")).text()
    # Counted and listed up to panel.COUNT_LIMIT (1,000): a full count of a large club is slow.
    assert (
        text_of(everyone, "total") == "Members found: more than 1,000; the first 1,000 are listed."
    )
    assert text_of(everyone, "page") == "Page 1 of 20"
    assert len(page(everyone).xpath('//table[@id="members"]/tbody/tr')) == 50

    for query in ("۰۹۱۲ ۵۵۵ ۱۲۳۴", "+98 912 555 1234", "00989125551234", card, "Sara", "rad"):
        html = await (await client.get("/club/panel/members", params={"q": query})).text()
        rows = page(html).xpath('//table[@id="members"]/tbody/tr')
        assert [r.get("id") for r in rows] == [f"member-{sara.id}"], query
        assert text_of(html, "total") == "Members found: 1"

    missing = await (await client.get("/club/panel/members", params={"q": "09129999999"})).text()
    assert text_of(missing, "total") == "Members found: 0"
    richest = await (await client.get("/club/panel/members", params={"sort": "balance"})).text()
    first = page(richest).xpath('//table[@id="members"]/tbody/tr')[0]
    # 999 points three times: the newest of them first
    assert first.get("id") == f"member-{(await Member.get(phone='+989120002999')).id}"
    last = await (await client.get("/club/panel/members", params={"page": "61"})).text()
    assert text_of(last, "page") == "Page 20 of 20"
    assert len(page(last).xpath('//table[@id="members"]/tbody/tr')) == 50


async def test_a_search_finding_more_than_the_count_limit_lists_that_many(
    bot: Harness, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 1,000 in the club; 60 here, so that 120 members are enough to pass it.
    monkeypatch.setattr(panel, "COUNT_LIMIT", 60)
    records = [
        ImportRecord(
            line=n + 2,
            phone=f"+98912{n:07d}",
            first_name=f"Member{n}",
            last_name="Imported",
            birth_date=None,
            gender=Gender.UNSPECIFIED,
            balance=n,
            tier_code=None,
        )
        for n in range(120)
    ]
    await import_records(records, now=NOW)
    await signed_in(client, bot, OWNER)

    everyone = await (await client.get("/club/panel/members", params={"sort": "balance"})).text()
    assert text_of(everyone, "total") == "Members found: more than 60; the first 60 are listed."
    assert text_of(everyone, "page") == "Page 1 of 2"
    last = await (
        await client.get("/club/panel/members", params={"sort": "balance", "page": "99"})
    ).text()
    assert text_of(last, "page") == "Page 2 of 2"
    rows = page(last).xpath('//table[@id="members"]/tbody/tr')
    # The 51st to 60th highest balances: 69 down to 60.
    ids = await Member.filter(balance__gte=60, balance__lte=69).order_by("-balance")
    assert [r.get("id") for r in rows] == [f"member-{m.id}" for m in ids]
    named = await (await client.get("/club/panel/members", params={"q": "member11"})).text()
    assert text_of(named, "total") == "Members found: 11"  # Member11, Member110 to Member119
    exactly = await (await client.get("/club/panel/members", params={"q": "Member1"})).text()
    # Member1, Member10-19, Member100-119: 31, under the limit
    assert text_of(exactly, "total") == "Members found: 31"


async def test_the_dashboard_shows_the_weeks_figures_kept_a_minute(
    bot: Harness, client: TestClient, clock: Clock
) -> None:
    member = await helpers.member(NOW, first_name="Sara")
    await earning.award_purchase(member.id, 500_000, receipt="r1", now=NOW)
    await signed_in(client, bot, OWNER)
    html = await (await client.get("/club/panel/")).text()
    assert [text_of(html, f) for f in ("members", "joined", "issued", "redeemed")] == [
        "1",
        "1",
        "70",
        "0",
    ]
    await helpers.member(NOW, first_name="Ali")
    clock.advance(seconds=30)
    kept = await (await client.get("/club/panel/")).text()
    assert text_of(kept, "members") == "1"
    clock.advance(seconds=31)
    fresh = await (await client.get("/club/panel/")).text()
    assert text_of(fresh, "members") == "2" and text_of(fresh, "joined") == "2"
    assert await AuditEntry.filter(action="report").count() == 2


async def test_a_branch_manager_sees_and_corrects_their_branch_only(
    bot: Harness, client: TestClient
) -> None:
    owner = await Staff.get_or_none(telegram_id=OWNER) or await identify(OWNER, [OWNER])
    north = await places.add_branch(owner, "North", now=NOW)
    south = await places.add_branch(owner, "South", now=NOW)
    await Staff.create(
        telegram_id=MANAGER, role=StaffRole.MANAGER, branch_id=north.id, created_at=NOW
    )
    ours = await helpers.member(NOW, first_name="Sara", branch_id=north.id)
    theirs = await helpers.member(NOW, first_name="Sahar", branch_id=south.id)
    await signed_in(client, bot, MANAGER)

    html = await (await client.get("/club/panel/members")).text()
    rows = page(html).xpath('//table[@id="members"]/tbody/tr')
    assert [r.get("id") for r in rows] == [f"member-{ours.id}"]
    assert page(html).xpath('//select[@id="branch"]') == []  # one branch: nothing to choose
    # Another branch asked for by hand, or its member by name: still their own branch only.
    html = await (
        await client.get("/club/panel/members", params={"branch": str(south.id), "q": "Sah"})
    ).text()
    assert text_of(html, "total") == "Members found: 0"
    refused = await client.get(f"/club/panel/members/{theirs.id}")
    assert refused.status == 403
    assert text_of(await refused.text(), "refused") == "This member belongs to another branch."
    form = await form_of(client, ours.id)
    posted = await client.post(
        f"/club/panel/members/{theirs.id}/adjust",
        data={**form, "points": "10", "note": "Gift"},
    )
    assert posted.status == 403
    assert (await Member.get(id=theirs.id)).balance == 20


async def test_no_link_without_a_public_https_address(db: str) -> None:
    async with harness() as h:  # no WEB_APP_URL, no HTTPS webhook
        assert await h.send(OWNER, "/panel") == [
            "The panel needs the club's public HTTPS address (WEB_APP_URL or an HTTPS WEBHOOK_URL)."
        ]
        assert await h.send(CASHIER + 1, "/panel") == ["Not allowed."]  # not staff
    assert await PanelLink.all().count() == 0


async def test_a_number_too_large_for_an_id_is_not_found(bot: Harness, client: TestClient) -> None:
    """An address with an id no row can have (past PostgreSQL's integer) finds nothing,
    rather than failing in the database."""
    await signed_in(client, bot, OWNER)
    html = await (await client.get("/club/panel/")).text()
    csrf = page(html).xpath('//input[@name="csrf"]/@value')[:1] or ["x"]
    for path in ("/club/panel/members/99999999999", "/club/panel/inbox/99999999999"):
        assert (await client.get(path)).status == 404, path
    for path in (
        "/club/panel/members/99999999999/adjust",
        "/club/panel/members/1/held/99999999999",
        "/club/panel/staff/99999999999/revoke",
        "/club/panel/banners/99999999999/remove",
    ):
        assert (await client.post(path, data={"csrf": csrf[0]})).status == 404, path
