"""Banners, the gallery and the branches through HTTP: the owner uploads and sets them in the
panel (in Persian, dates typed Jalali), a member sees them on their pages between the
banners' dates; bad links, phones and files are refused in words, a cashier is refused
the pages, a form without its CSRF token changes nothing. In a real browser:
tests/test_web_showcase_browser.py."""

from __future__ import annotations

import io
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from aiohttp import FormData
from aiohttp.test_utils import TestClient
from PIL import Image

from bot.settings import Settings
from handlers.i18n import t
from handlers.web.session import COOKIE, Sessions, session_secret
from loyalty.staff import panel
from models import AuditEntry, Banner, Branch, GalleryPicture, ProductGroup, Staff, StaffRole
from tests import helpers
from tests.conftest import NOW
from tests.staff_harness import CASHIER, OWNER, Harness, harness
from tests.test_member_dialogs import USER
from tests.test_web_panel import BASE, signed_in
from tests.web_harness import TOKEN, Clock, init_data, page, pages_client, text_of

SAVED = "ذخیره شد."
FORM_OUT_OF_DATE = "این فرم قدیمی شده است: صفحه را دوباره باز کنید."
OWNER_ONLY = "این صفحه برای مالک است."
BAD_LINK = "پیوند باید نشانی وبی باشد که با https:// یا http:// شروع می‌شود."


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
async def client(bot: Harness, clock: Clock, tmp_path: Path) -> AsyncIterator[TestClient]:
    """The pages in Persian, the club's own language."""
    async with pages_client(clock, owner_ids=(OWNER,), media_dir=tmp_path / "media") as c:
        yield c


def png(colour: tuple[int, int, int] = (200, 30, 30), size: tuple[int, int] = (40, 20)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


async def form_of(client: TestClient, path: str, form_id: str) -> dict[str, str]:
    """A form's hidden and filled fields as the page gives them."""
    html = await (await client.get(path)).text()
    form = page(html).get_element_by_id(form_id)
    return {i.get("name"): i.get("value") or "" for i in form.iter("input") if i.get("name")}


async def upload(
    client: TestClient, path: str, form_id: str, picture: bytes, **fields: str
) -> tuple[int, str]:
    """The add form of `path` posted with `picture` as its file: the status, where it led."""
    values = {**await form_of(client, path, form_id), **fields}
    data = FormData()
    for name, value in values.items():
        if name != "picture":
            data.add_field(name, value)
    data.add_field("picture", picture, filename="photo.png", content_type="image/png")
    response = await client.post(path, data=data, allow_redirects=False)
    return response.status, response.headers.get("Location", "") or await response.text()


async def member_signed_in(client: TestClient, clock: Clock) -> None:
    """The member (Persian) signs in from Telegram at the clock's time."""
    response = await client.post(
        "/club/signin",
        data={"init_data": init_data(USER, auth_date=clock.now)},
        allow_redirects=False,
    )
    assert response.status == 303


async def persian_member() -> None:
    await helpers.member(NOW, phone="09121110000", telegram_id=USER, locale="fa", first_name="Sara")


async def test_a_banner_shows_on_the_card_page_only_between_its_dates(
    bot: Harness, client: TestClient, clock: Clock
) -> None:
    await persian_member()
    await signed_in(client, bot, OWNER)
    status, location = await upload(
        client,
        "/club/panel/banners",
        "add-banner",
        png(),
        caption="جشنوارهٔ یلدا",
        link="https://shop.example.com/yalda",
        starts="۱۴۰۴/۱۲/۱۲",
        ends="1404/12/14",
    )
    assert (status, location) == (303, "/club/panel/banners?done=1")
    [banner] = await Banner.all()
    # Tehran's midnights, in UTC: the last day lasts to its end.
    assert banner.starts_at == datetime(2026, 3, 2, 20, 30, tzinfo=UTC)
    assert banner.ends_at == datetime(2026, 3, 5, 20, 30, tzinfo=UTC)
    assert (banner.caption, banner.link, banner.position) == (
        "جشنوارهٔ یلدا",
        "https://shop.example.com/yalda",
        1,
    )
    listed = await (await client.get(location)).text()
    assert text_of(listed, "message") == SAVED
    row = page(listed).get_element_by_id(f"banner-{banner.id}")
    assert row.find_class("span")[0].text_content() == "از ۱۴۰۴/۱۲/۱۲ تا ۱۴۰۴/۱۲/۱۴"
    assert row.find_class("state")[0].text_content() == "هنوز نمایش داده نمی‌شود"
    assert await AuditEntry.filter(action="banner_add").count() == 1

    async def banners_seen() -> list[tuple[str, str, str, str, str]]:
        await member_signed_in(client, clock)
        html = await (await client.get("/club/card")).text()
        return [
            (
                figure.xpath(".//img")[0].get("src"),
                figure.xpath(".//figcaption")[0].text_content(),
                link.get("href"),
                link.get("target"),
                link.get("rel"),
            )
            for figure in page(html).xpath('//section[@id="banners"]/figure')
            for link in figure.xpath(".//a")
        ]

    assert await banners_seen() == []
    clock.now = banner.starts_at
    shown = [
        (
            f"/club/media/{banner.picture}",
            "جشنوارهٔ یلدا",
            "https://shop.example.com/yalda",
            "_blank",
            "noopener",
        )
    ]
    assert await banners_seen() == shown
    served = await client.get(f"/club/media/{banner.picture}")
    assert served.status == 200 and served.headers["Content-Type"] == "image/jpeg"  # re-encoded
    assert Image.open(io.BytesIO(await served.read())).size == (40, 20)
    clock.now = banner.ends_at - timedelta(seconds=1)
    assert await banners_seen() == shown
    clock.now = banner.ends_at
    assert await banners_seen() == []


async def test_banner_dates_and_links_typed_wrong_are_refused_in_persian(
    bot: Harness, client: TestClient
) -> None:
    await signed_in(client, bot, OWNER)
    path = "/club/panel/banners"
    for fields, answer in [
        (
            {"starts": "1404/12/20", "ends": "۱۴۰۴/۱۲/۱۲"},
            "تاریخ پایان پیش از تاریخ شروع است.",
        ),
        (
            {"starts": "1404/13/40"},
            "1404/13/40 تاریخ نیست: بنویسید ۱۴۰۵/۱۰/۰۱ یا ۲۰۲۶-۱۲-۲۲، "
            "و اگر خواستید ساعت هم (۱۸:۳۰).",
        ),
        ({"link": "javascript:alert(1)"}, BAD_LINK),
        ({"caption": "x" * 201}, "این متن خیلی طولانی است: حداکثر ۲۰۰ نویسه."),
    ]:
        status, html = await upload(client, path, "add-banner", png(), **fields)
        assert (status, text_of(html, "message")) == (400, answer), fields
    assert await Banner.all().count() == 0
    status, _ = await upload(client, path, "add-banner", png(), starts="2026-03-01 18:30")
    assert status == 303
    [banner] = await Banner.all()
    row = page(await (await client.get(path)).text()).get_element_by_id(f"banner-{banner.id}")
    assert row.find_class("span")[0].text_content() == "از ۱۴۰۴/۱۲/۱۰ ۱۸:۳۰"
    assert row.find_class("state")[0].text_content() == "هنوز نمایش داده نمی‌شود"


async def test_banners_keep_their_order_and_are_removed(
    bot: Harness, client: TestClient, clock: Clock
) -> None:
    await persian_member()
    await signed_in(client, bot, OWNER)
    for n, colour in [(0, (1, 2, 3)), (0, (1, 2, 3)), (1, (200, 0, 0))]:  # the first twice
        status, _ = await upload(
            client, "/club/panel/banners", "add-banner", png(colour), caption=f"B{n}"
        )
        assert status == 303
    first, second = await Banner.all().order_by("id")
    moved = await form_of(client, "/club/panel/banners", "add-banner")
    response = await client.post(
        f"/club/panel/banners/{second.id}/move",
        data={"csrf": moved["csrf"], "step": "up"},
        allow_redirects=False,
    )
    assert response.status == 303
    assert [b.caption for b in await Banner.filter(active=True).order_by("position")] == [
        "B1",
        "B0",
    ]
    response = await client.post(
        f"/club/panel/banners/{first.id}/remove",
        data={"csrf": moved["csrf"]},
        allow_redirects=False,
    )
    assert response.status == 303
    again = await client.post(
        f"/club/panel/banners/{first.id}/remove", data={"csrf": moved["csrf"]}
    )
    assert again.status == 404
    assert text_of(await again.text(), "message") == "چنین بنری نیست: شاید پیش‌تر برداشته شده باشد."
    assert (await Banner.get(id=first.id)).active is False
    await member_signed_in(client, clock)
    html = await (await client.get("/club/card")).text()
    assert [f.get("id") for f in page(html).xpath('//section[@id="banners"]/figure')] == [
        f"banner-{second.id}"
    ]


async def test_the_gallery_lists_the_uploaded_picture_and_serves_it(
    bot: Harness, client: TestClient, clock: Clock, tmp_path: Path
) -> None:
    await persian_member()
    await signed_in(client, bot, OWNER)
    status, _ = await upload(
        client, "/club/panel/gallery", "add-picture", png(size=(3000, 1500)), caption="سالن"
    )
    assert status == 303
    again = await upload(
        client, "/club/panel/gallery", "add-picture", png(size=(3000, 1500)), caption="سالن"
    )
    assert again[0] == 303  # sent twice: one picture
    [shown] = await GalleryPicture.all()
    # A phone's photo of a few MB: above the web app's 1 MiB body limit, read part by part.
    photo = io.BytesIO()
    Image.frombytes("RGB", (1000, 800), os.urandom(2_400_000)).save(photo, "PNG")
    assert len(photo.getvalue()) > 2_000_000
    status, _ = await upload(client, "/club/panel/gallery", "add-picture", photo.getvalue())
    assert status == 303
    await GalleryPicture.filter(id__gt=shown.id).delete()
    too_large = await upload(
        client, "/club/panel/gallery", "add-picture", b"\xff\xd8\xff" + b"\0" * 7_000_000
    )
    assert too_large[0] == 400
    assert text_of(too_large[1], "message") == t(
        "This file is not a picture we can use: send a JPEG, PNG, WebP or GIF under 5 MB.", "fa"
    )
    refused = await upload(client, "/club/panel/gallery", "add-picture", b"%PDF-1.4 no picture")
    assert refused[0] == 400
    assert text_of(refused[1], "message") == t(
        "This file is not a picture we can use: send a JPEG, PNG, WebP or GIF under 5 MB.", "fa"
    )
    assert await GalleryPicture.all().count() == 1
    # The files of the pictures taken (the phone's photo too: a removed picture's file
    # stays, as another row may name the same file); nothing of those refused.
    assert len(list((tmp_path / "media").iterdir())) == 2
    assert (tmp_path / "media" / shown.picture).is_file()

    await member_signed_in(client, clock)
    html = await (await client.get("/club/gallery")).text()
    [item] = page(html).xpath('//ul[@id="gallery"]/li')
    assert item.get("id") == f"picture-{shown.id}"
    assert item.xpath(".//figcaption")[0].text_content() == "سالن"
    src = item.xpath(".//img")[0].get("src")
    assert src == f"/club/media/{shown.picture}"
    served = await client.get(src)
    assert served.status == 200
    assert Image.open(io.BytesIO(await served.read())).size == (1600, 800)  # shrunk to fit
    nav = page(html).xpath('//nav[@class="member-nav"]/a[@aria-current="page"]')
    assert [a.get("href") for a in nav] == ["/club/gallery"]


async def test_a_branchs_details_from_the_panel_show_to_members_in_persian_digits(
    bot: Harness, client: TestClient, clock: Clock
) -> None:
    await persian_member()
    branch = await Branch.get(id=1)
    await signed_in(client, bot, OWNER)
    path = "/club/panel/branches"
    html = await (await client.get(path)).text()
    form = page(html).xpath(f'//li[@id="branch-{branch.id}"]/form[contains(@class, "details")]')[0]
    fields = {i.get("name"): i.get("value") or "" for i in form.iter("input")}
    details = {
        **fields,
        "address": "تهران، خیابان ولیعصر، پلاک 12",
        "phone": "۰۲۱ ۸۸۸۸-۱۲۳۴",
        "hours": "هر روز 9 تا 21",
        "map_link": "https://maps.example.com/?q=35.7,51.4",
    }
    bad = await client.post(
        f"{path}/{branch.id}/details", data={**details, "map_link": "javascript:alert(1)"}
    )
    assert bad.status == 400 and text_of(await bad.text(), "message") == BAD_LINK
    bad_phone = await client.post(f"{path}/{branch.id}/details", data={**details, "phone": "12"})
    assert bad_phone.status == 400
    assert (
        text_of(await bad_phone.text(), "message")
        == "این شماره تلفن نیست: آن را با پیش‌شماره بنویسید، مانند ۰۲۱ ۱۲۳۴ ۵۶۷۸."
    )
    assert (await Branch.get(id=branch.id)).address == ""
    saved = await client.post(f"{path}/{branch.id}/details", data=details, allow_redirects=False)
    assert saved.status == 303 and saved.headers["Location"] == f"{path}?done=1"
    stored = await Branch.get(id=branch.id)
    assert (stored.phone, stored.map_link) == ("021 8888-1234", details["map_link"])
    [audited] = await AuditEntry.filter(action="branch_details")
    assert audited.details == {
        "branch": branch.id,
        "address": details["address"],
        "phone": "021 8888-1234",
        "hours": details["hours"],
        "map_link": details["map_link"],
    }

    await member_signed_in(client, clock)
    html = await (await client.get("/club/branches")).text()
    item = page(html).get_element_by_id(f"branch-{branch.id}")
    assert item.find_class("name")[0].text_content() == "مرکزی"
    assert item.find_class("address")[0].text_content() == "تهران، خیابان ولیعصر، پلاک ۱۲"
    phone = item.find_class("phone")[0]
    assert (phone.text_content(), phone.get("href")) == ("۰۲۱ ۸۸۸۸-۱۲۳۴", "tel:02188881234")
    assert item.find_class("hours")[0].text_content() == "هر روز ۹ تا ۲۱"
    link = item.find_class("map")[0]
    assert (link.get("href"), link.get("rel")) == (details["map_link"], "noopener")


async def test_branches_and_product_groups_from_the_panel(bot: Harness, client: TestClient) -> None:
    await signed_in(client, bot, OWNER)
    add = await form_of(client, "/club/panel/groups", "add-group")
    response = await client.post(
        "/club/panel/groups", data={**add, "name": "Coffee", "multiplier": "۱٫۵"}
    )
    assert response.status == 200  # followed back to the list
    html = await response.text()
    assert text_of(html, "message") == SAVED
    [group] = await ProductGroup.all()
    assert (group.name, group.multiplier, group.active) == ("Coffee", Decimal("1.5"), True)
    assert text_of(html, f"group-{group.id}").startswith("Coffee: امتیاز ×۱٫۵")
    too_much = await client.post(
        "/club/panel/groups", data={**add, "name": "Tea", "multiplier": "500"}
    )
    assert too_much.status == 400
    assert await ProductGroup.filter(name="Tea").count() == 0
    closed = await client.post(f"/club/panel/groups/{group.id}/close", data={"csrf": add["csrf"]})
    assert closed.status == 200 and text_of(await closed.text(), "empty") == (
        "هنوز گروه کالایی تعریف نشده است."
    )
    assert (await ProductGroup.get(id=group.id)).active is False

    branches = "/club/panel/branches"
    add = await form_of(client, branches, "add-branch")
    response = await client.post(branches, data={**add, "name": "North"})
    north = await Branch.get(name="North")
    assert response.status == 200
    assert text_of(await response.text(), f"branch-{north.id}").startswith("North")
    await client.post(f"{branches}/{north.id}/rename", data={**add, "name": "Shomal"})
    assert (await Branch.get(id=north.id)).name == "Shomal"
    await client.post(f"{branches}/{north.id}/open", data={**add, "open": "0"})
    assert (await Branch.get(id=north.id)).active is False
    last = await client.post(f"{branches}/1/open", data={**add, "open": "0"})
    assert last.status == 400
    assert text_of(await last.text(), "message") == t(
        "This is the last open branch: open another one first.", "fa"
    )
    assert (await Branch.get(id=1)).active is True


async def test_a_cashier_is_refused_the_owners_pages(bot: Harness, client: TestClient) -> None:
    await Staff.create(telegram_id=CASHIER, role=StaffRole.CASHIER, created_at=NOW)
    await signed_in(client, bot, CASHIER)
    home = await (await client.get("/club/panel/")).text()
    for link in ("nav-banners", "nav-gallery", "nav-branches", "nav-groups"):
        assert page(home).xpath(f'//a[@id="{link}"]') == []
    cookie = client.session.cookie_jar.filter_cookies(client.make_url("/club/"))[COOKIE].value
    csrf = {"csrf": Sessions(session_secret(TOKEN), timedelta(hours=12)).csrf(cookie)}
    for path in ("banners", "gallery", "branches", "groups"):
        refused = await client.get(f"/club/panel/{path}")
        assert refused.status == 403 and text_of(await refused.text(), "refused") == OWNER_ONLY
        posted = await client.post(f"/club/panel/{path}", data={**csrf, "name": "X"})
        assert posted.status == 403
    assert await Branch.all().count() == 1 and await ProductGroup.all().count() == 0


async def test_forms_without_their_csrf_token_change_nothing(
    bot: Harness, client: TestClient
) -> None:
    await signed_in(client, bot, OWNER)
    for csrf in ("", "0" * 64):
        status, text = await upload(
            client, "/club/panel/banners", "add-banner", png(), csrf=csrf, caption="x"
        )
        assert (status, text) == (403, FORM_OUT_OF_DATE)
        details = await client.post(
            "/club/panel/branches/1/details",
            data={"csrf": csrf, "address": "x", "phone": "", "hours": "", "map_link": ""},
        )
        assert details.status == 403 and await details.text() == FORM_OUT_OF_DATE
    assert await Banner.all().count() == 0
    assert (await Branch.get(id=1)).address == ""
