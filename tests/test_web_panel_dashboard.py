"""The panel's dashboard charts and the member list's filters and export, through HTTP:
staff signed in by the link `/panel` gives, as tests/test_web_panel.py does. Each chart's
bars and points carry their label and value in an SVG <title>, which is read here."""

from __future__ import annotations

import io
from datetime import date, timedelta

from aiohttp.test_utils import TestClient
from openpyxl import load_workbook

from loyalty import earning, ledger
from loyalty.staff import places
from loyalty.staff.access import identify
from models import (
    AuditEntry,
    CustomerType,
    EntryKind,
    Gender,
    Member,
    ProductGroup,
    Staff,
    StaffRole,
)
from tests import helpers
from tests.conftest import NOW
from tests.staff_harness import CASHIER, MANAGER, OWNER, Harness
from tests.test_web_panel import MANAGERS_ONLY, bot, client, clock, signed_in
from tests.web_harness import page, text_of

__all__ = ["bot", "client", "clock"]  # the fixtures, shared with tests/test_web_panel.py

DAY = timedelta(days=1)


def titles(html: str, chart: str) -> list[str]:
    """The <title> of every bar or point of a chart, in the order drawn."""
    found = page(html).xpath(f'//figure[@id="chart-{chart}"]//*[self::rect or self::circle]/title')
    return [" ".join(x.text_content().split()) for x in found]


def caption(html: str, chart: str) -> str:
    return text_of(html, f"chart-{chart}").split("  ")[0]


async def a_club_of_three() -> tuple[Member, Member, Member, int, int]:
    """Sara (North) joined two weeks ago and bought then and today; Ali (South) joined and
    bought today; Reza joined 20 days ago and left 8 days ago. 20 points for joining."""
    owner = await Staff.get_or_none(telegram_id=OWNER) or await identify(OWNER, [OWNER])
    north = await places.add_branch(owner, "North", now=NOW)
    south = await places.add_branch(owner, "South", now=NOW)
    sara = await helpers.member(NOW - 14 * DAY, first_name="Sara", branch_id=north.id)
    ali = await helpers.member(NOW, first_name="Ali", branch_id=south.id)
    reza = await helpers.member(NOW - 20 * DAY, first_name="Reza")
    await Member.filter(id=sara.id).update(gender=Gender.FEMALE, birth_date=date(1990, 5, 1))
    await Member.filter(id=ali.id).update(gender=Gender.MALE, birth_date=date(2010, 1, 1))
    await Member.filter(id=reza.id).update(deleted_at=NOW - 8 * DAY, phone=None)
    await earning.award_purchase(
        sara.id, 500_000, receipt="r1", branch_id=north.id, now=NOW - 14 * DAY
    )
    await earning.award_purchase(sara.id, 300_000, receipt="r2", branch_id=north.id, now=NOW)
    await earning.award_purchase(ali.id, 200_000, receipt="r3", branch_id=south.id, now=NOW)
    await ledger.post(sara.id, EntryKind.REDEEM, -40, "redeem", "t:redeem", now=NOW - DAY)
    await ledger.post(sara.id, EntryKind.EXPIRE, -5, "expire", "t:expire", now=NOW - 7 * DAY)
    return sara, ali, reza, north.id, south.id


# The twelve weeks end today (1 March 2026, Tehran); the first began on 8 December 2025.
WEEKS = [(date(2025, 12, 8) + timedelta(weeks=n)).isoformat() for n in range(12)]


def series(name: str, values: dict[int, int]) -> list[str]:
    return [f"{name} {week}: {values.get(n, 0)}" for n, week in enumerate(WEEKS)]


async def test_the_dashboard_charts_the_weeks_and_the_groups(
    bot: Harness, client: TestClient
) -> None:
    await a_club_of_three()
    await signed_in(client, bot, OWNER)
    response = await client.get("/club/panel/")
    html = await response.text()
    assert response.status == 200
    assert [text_of(html, f) for f in ("members", "joined", "issued", "redeemed")] == [
        "2",
        "1",
        "70",  # Ali's 20 for joining, 30 and 20 bought
        "40",
    ]
    assert titles(html, "members") == (
        series("joined", {9: 2, 11: 1}) + series("left", {10: 1}) + series("active", {9: 1, 11: 2})
    )
    assert titles(html, "points") == (
        series("issued", {9: 90, 11: 70})  # Sara and Reza joined (20 each), Sara bought 50
        + series("redeemed", {11: 40})
        + series("expired", {10: 5})
    )
    assert titles(html, "gender") == ["women: 1", "men: 1", "not given: 0"]
    assert titles(html, "age") == [
        "under 18: 1",
        "18 to 24: 0",
        "25 to 34: 0",
        "35 to 44: 1",
        "45 to 54: 0",
        "55 and over: 0",
        "unknown age: 0",
    ]
    assert titles(html, "branches") == ["North: 1", "South: 1"]
    assert titles(html, "purchases") == ["North: 2", "South: 1"]
    assert [" ".join(f.text_content().split()) for f in page(html).xpath("//figcaption")] == [
        "Members per week",
        "Points per week",
        "Members by gender",
        "Members by age",
        "Members by tier",
        "Members by branch",
        "Purchases by branch",
    ]
    # Drawn with presentation attributes only: the pages' CSP forbids inline styles.
    assert "style=" not in html and page(html).xpath("//svg[@class='chart']/@viewbox")


async def test_a_manager_sees_their_branchs_charts(bot: Harness, client: TestClient) -> None:
    _, _, _, north, _ = await a_club_of_three()
    await Staff.create(telegram_id=MANAGER, role=StaffRole.MANAGER, branch_id=north, created_at=NOW)
    await signed_in(client, bot, MANAGER)
    html = await (await client.get("/club/panel/")).text()
    assert [text_of(html, f) for f in ("members", "joined", "issued", "redeemed")] == [
        "1",
        "0",
        "30",
        "40",
    ]
    assert titles(html, "branches") == ["North: 1"]
    assert titles(html, "purchases") == ["North: 2"]
    assert titles(html, "gender") == ["women: 1", "men: 0", "not given: 0"]


async def list_ids(client: TestClient, **params: str) -> tuple[str, list[str]]:
    html = await (await client.get("/club/panel/members", params=params)).text()
    rows = page(html).xpath('//table[@id="members"]/tbody/tr')
    return text_of(html, "total"), [r.get("id") for r in rows]


async def test_the_list_narrows_by_type_interest_and_activity(
    bot: Harness, client: TestClient
) -> None:
    sara, ali, _, _, _ = await a_club_of_three()
    old = await helpers.member(NOW - 200 * DAY, first_name="Omid")
    await earning.award_purchase(old.id, 100_000, receipt="r4", now=NOW - 60 * DAY)
    await Member.filter(id=ali.id).update(customer_type=CustomerType.COMPANY, company_name="Ali Co")
    coffee = await ProductGroup.create(name="Coffee")
    await ProductGroup.create(name="Tea")
    await sara.interests.add(coffee)
    await old.interests.add(coffee)
    await signed_in(client, bot, OWNER)

    assert await list_ids(client) == (
        "Members found: 3",
        [f"member-{ali.id}", f"member-{sara.id}", f"member-{old.id}"],
    )
    assert await list_ids(client, type="company") == ("Members found: 1", [f"member-{ali.id}"])
    assert (await list_ids(client, type="individual"))[0] == "Members found: 2"
    assert await list_ids(client, interest=str(coffee.id)) == (
        "Members found: 2",
        [f"member-{sara.id}", f"member-{old.id}"],
    )
    assert (await list_ids(client, activity="active_30"))[0] == "Members found: 2"
    assert await list_ids(client, activity="active_90", interest=str(coffee.id)) == (
        "Members found: 2",
        [f"member-{sara.id}", f"member-{old.id}"],
    )
    assert await list_ids(client, activity="inactive_90") == ("Members found: 0", [])
    await Member.filter(id=old.id).update(last_purchase_at=NOW - 91 * DAY)
    assert await list_ids(client, activity="inactive_90") == (
        "Members found: 1",
        [f"member-{old.id}"],
    )
    # What names nothing known is no filter; the list's form keeps what was chosen.
    assert (await list_ids(client, type="robot", activity="never", interest="x"))[0] == (
        "Members found: 3"
    )
    html = await (
        await client.get("/club/panel/members", params={"type": "company", "activity": "active_30"})
    ).text()
    assert page(html).xpath('//select[@id="type"]/option[@selected]/@value') == ["company"]
    assert page(html).xpath('//select[@id="type"]/option/text()') == [
        "All",
        "Individual",
        "Company",
    ]
    assert page(html).xpath('//select[@id="interest"]/option/text()') == ["All", "Coffee", "Tea"]
    assert page(html).xpath('//select[@id="activity"]/option[@selected]/@value') == ["active_30"]
    assert page(html).xpath('//a[@id="export"]/@href') == [
        "/club/panel/members/export?type=company&activity=active_30&sort=joined"
    ]


async def test_the_filtered_list_exports_as_a_spreadsheet(bot: Harness, client: TestClient) -> None:
    sara, ali, _, _, _ = await a_club_of_three()
    await Member.filter(id=ali.id).update(customer_type=CustomerType.COMPANY)
    await signed_in(client, bot, OWNER)
    response = await client.get("/club/panel/members/export", params={"type": "individual"})
    assert response.status == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="members.xlsx"'
    sheet = load_workbook(io.BytesIO(await response.read())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("Member id", "Phone", "First name", "Last name")
    assert [(r[0], r[2], r[6], r[7], r[8], r[10]) for r in rows[1:]] == [
        (sara.id, "Sara", "Woman", "Individual", "North", 55)
    ]
    [entry] = await AuditEntry.filter(action="export")
    owner = await Staff.get(telegram_id=OWNER)
    assert entry.staff_id == owner.id
    assert entry.details == {"branch": None, "rows": 1, "customer_type": "individual"}


async def test_a_cashier_may_not_export(bot: Harness, client: TestClient) -> None:
    await Staff.create(telegram_id=CASHIER, role=StaffRole.CASHIER, created_at=NOW)
    await helpers.member(NOW, first_name="Sara")
    await signed_in(client, bot, CASHIER)
    refused = await client.get("/club/panel/members/export")
    assert refused.status == 403 and text_of(await refused.text(), "refused") == MANAGERS_ONLY
    assert await AuditEntry.filter(action="export").count() == 0
