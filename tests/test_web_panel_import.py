"""Members imported from a CSV file uploaded in the panel, through HTTP: the rows are
written in the background and a page that reloads itself shows how far it has gone; the
owner alone may import, and only from the page's own form (CSRF)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from aiohttp import FormData
from aiohttp.test_utils import TestClient

from handlers.telegram.staff.importing import MAX_FILE
from handlers.web.session import COOKIE, Sessions, session_secret
from loyalty.staff import imports
from models import AuditEntry, ImportJob, LedgerEntry, Member, Staff, StaffRole
from tests import helpers
from tests.conftest import NOW
from tests.staff_harness import CASHIER, MANAGER, OWNER, Harness
from tests.test_web_panel import FORM_OUT_OF_DATE, bot, client, clock, signed_in
from tests.waiting import eventually
from tests.web_harness import TOKEN, Clock, page, text_of

__all__ = ["bot", "client", "clock"]  # the fixtures, shared with tests/test_web_panel.py

OWNER_ONLY = "Only the owner can import members."
CSV = (
    b"phone,first_name,last_name,balance\n"
    b"09121110001,Nima,Sadeghi,100\n"
    b"not-a-phone,Bad,Row,5\n"
    b"09121110002,Mina,Karimi,\n"
    b"09121110003,Sara,Already,7\n"
)


async def csrf(client: TestClient) -> str:
    html = await (await client.get("/club/panel/import")).text()
    return page(html).xpath('//form[@id="import"]//input[@name="csrf"]/@value')[0]


def upload(data: bytes, token: str | None, name: str = "members.csv") -> FormData:
    form = FormData()
    if token is not None:
        form.add_field("csrf", token)
    form.add_field("file", data, filename=name, content_type="text/csv")
    return form


async def test_an_import_runs_in_the_background_to_its_end(
    bot: Harness, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    sara = await helpers.member(NOW, first_name="Sara", phone="09121110003")
    # The rows wait for the test's word, so that the page is seen while they are written.
    go = asyncio.Event()
    write = imports.importing.import_records

    async def held(*args: object, **kwargs: object) -> imports.importing.ImportSummary:
        await go.wait()
        return await write(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(imports.importing, "import_records", held)
    await signed_in(client, bot, OWNER)
    home = await (await client.get("/club/panel/")).text()
    assert page(home).xpath('//a[@id="nav-import"]/@href') == ["/club/panel/import"]

    posted = await client.post(
        "/club/panel/import", data=upload(CSV, await csrf(client)), allow_redirects=False
    )
    [job] = await ImportJob.all()
    assert posted.status == 303 and posted.headers["Location"] == f"/club/panel/import/{job.id}"
    running = await (await client.get(f"/club/panel/import/{job.id}")).text()
    assert page(running).xpath('//meta[@http-equiv="refresh"]/@content') == ["2"]
    assert text_of(running, "state") == "Importing…"
    assert text_of(running, "rows") == "Rows written: 0 of 3"
    assert text_of(running, "bad") == "1"

    go.set()

    async def finished() -> str | None:
        html = await (await client.get(f"/club/panel/import/{job.id}")).text()
        return html if page(html).get_element_by_id("state").get("data-state") == "done" else None

    done = await eventually(finished, "the import's page to say it is done")
    assert page(done).xpath('//meta[@http-equiv="refresh"]') == []
    assert text_of(done, "state") == "The import is done."
    assert text_of(done, "rows") == "Rows written: 3 of 3"
    assert [text_of(done, x) for x in ("created", "skipped", "bad")] == ["2", "1", "1"]
    assert [
        " ".join(li.text_content().split()) for li in page(done).xpath("//ul[@id='errors']/li")
    ] == ["Line 3, column phone: That is not a valid mobile number."]
    nima = await Member.get(phone="+989121110001")
    assert (nima.first_name, nima.last_name, nima.balance) == ("Nima", "Sadeghi", 100)
    assert await Member.filter(phone="+989121110002").count() == 1
    assert (await Member.get(id=sara.id)).last_name == ""  # already a member: left alone
    assert await Member.filter(deleted_at=None).count() == 3
    assert (
        await LedgerEntry.filter(member_id=nima.id, idempotency_key="import:+989121110001").count()
        == 1
    )
    owner = await Staff.get(telegram_id=OWNER)
    [entry] = await AuditEntry.filter(action="import")
    assert entry.staff_id == owner.id and entry.details["created"] == 2
    stored = await ImportJob.get(id=job.id)
    assert (stored.state, stored.total, stored.created, stored.skipped) == ("done", 3, 2, 1)
    assert stored.finished_at == stored.beat_at == NOW


async def test_an_import_cut_by_a_restart_says_so(
    bot: Harness, client: TestClient, clock: Clock
) -> None:
    await signed_in(client, bot, OWNER)
    owner = await Staff.get(telegram_id=OWNER)
    job = await ImportJob.create(
        staff=owner, state="running", total=10, created=4, created_at=NOW, beat_at=NOW
    )
    running = await (await client.get(f"/club/panel/import/{job.id}")).text()
    assert text_of(running, "state") == "Importing…"  # its writer may be another worker
    clock.advance(seconds=61)  # and then nothing was written for a minute

    html = await (await client.get(f"/club/panel/import/{job.id}")).text()
    assert text_of(html, "state") == (
        "The import was interrupted by a restart. Import the same file again to go on."
    )
    assert page(html).xpath('//meta[@http-equiv="refresh"]') == []
    assert text_of(html, "rows") == "Rows written: 4 of 10"
    missing = await client.get(f"/club/panel/import/{job.id + 1}")
    assert missing.status == 404


async def test_a_file_that_is_not_csv_is_refused(bot: Harness, client: TestClient) -> None:
    await signed_in(client, bot, OWNER)
    posted = await client.post(
        "/club/panel/import", data=upload(b"PK\x03\x04\x00\x00binary", await csrf(client))
    )
    assert posted.status == 400
    assert text_of(await posted.text(), "message") == (
        "The file cannot be read as CSV text: in Excel choose Save As, "
        "CSV (UTF-8 or comma delimited)."
    )
    empty = await client.post("/club/panel/import", data=upload(b"", await csrf(client)))
    assert empty.status == 400
    assert text_of(await empty.text(), "message") == "Choose the CSV file to import."
    large = b"phone\n" + b"09121110001\n" * (MAX_FILE // 12 + 1)
    too_large = await client.post("/club/panel/import", data=upload(large, await csrf(client)))
    assert too_large.status == 413
    assert text_of(await too_large.text(), "message") == "The file is too large."
    assert await ImportJob.all().count() == 0


async def test_an_import_needs_the_pages_csrf_token(bot: Harness, client: TestClient) -> None:
    await signed_in(client, bot, OWNER)
    token = await csrf(client)
    for forged in (None, "0" * 64, token[:-1]):
        posted = await client.post("/club/panel/import", data=upload(CSV, forged))
        assert posted.status == 403 and await posted.text() == FORM_OUT_OF_DATE
    plain = await client.post("/club/panel/import", data={"csrf": token})  # not a file upload
    assert plain.status == 403
    assert await ImportJob.all().count() == 0 and await Member.all().count() == 0


@pytest.mark.parametrize("role, user", [(StaffRole.CASHIER, CASHIER), (StaffRole.MANAGER, MANAGER)])
async def test_only_the_owner_imports(
    bot: Harness, client: TestClient, role: StaffRole, user: int
) -> None:
    await Staff.create(telegram_id=user, role=role, created_at=NOW)
    await signed_in(client, bot, user)
    home = await (await client.get("/club/panel/")).text()
    assert page(home).xpath('//a[@id="nav-import"]') == []
    refused = await client.get("/club/panel/import")
    assert refused.status == 403 and text_of(await refused.text(), "refused") == OWNER_ONLY
    # The session's own token, as a page would carry it: refused for the role, not the form.
    cookie = client.session.cookie_jar.filter_cookies(client.make_url("/club/"))[COOKIE].value
    token = Sessions(session_secret(TOKEN), timedelta(hours=12)).csrf(cookie)
    posted = await client.post("/club/panel/import", data=upload(CSV, token))
    assert posted.status == 403 and text_of(await posted.text(), "refused") == OWNER_ONLY
    assert await ImportJob.all().count() == 0 and await Member.all().count() == 0
