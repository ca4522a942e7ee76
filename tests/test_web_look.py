"""The club's look through HTTP: the owner sets the name, colour, logo, cover, contact
details and rules on the panel's settings page (signed in by the link `/panel` gives), and
a reward's picture on its rewards page; a member's pages show them. Bad pictures, colours
and numbers are refused beside their field, in Persian, and change nothing. The same in a
real browser: tests/test_web_look_browser.py."""

from __future__ import annotations

import io
import os
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp import FormData
from aiohttp.test_utils import TestClient
from PIL import Image

from bot.settings import Settings
from handlers.web.session import COOKIE, Sessions, session_secret
from loyalty.pictures import prepare
from loyalty.staff import panel
from models import AuditEntry, ClubRules, Reward, Staff, StaffRole
from tests import helpers
from tests.conftest import NOW
from tests.staff_harness import CASHIER, OWNER, Harness, harness
from tests.test_member_dialogs import USER
from tests.test_web_panel import BASE, signed_in
from tests.web_harness import TOKEN, Clock, init_data, page, pages_client, text_of

Files = dict[str, tuple[str, bytes, str]]  # field: (file name, content, content type)
BAD_PICTURE_FA = (
    "این پرونده تصویری نیست که بتوانیم به کار ببریم: یک تصویر JPEG، PNG، WebP یا GIF کمتر از ۵"
    " مگابایت بفرستید."
)
BAD_COLOUR_FA = "رنگ با # و شش رقم در مبنای شانزده نوشته می‌شود، مانند #0f766e."
OWNER_ONLY_FA = "این صفحه برای مالک است."


def png(size: tuple[int, int] = (120, 60)) -> bytes:
    """A logo: red on a transparent ground, as the owner's designer would send it."""
    logo = Image.new("RGBA", size, (0, 0, 0, 0))
    logo.paste((220, 20, 60, 255), (10, 10, size[0] - 10, size[1] - 10))
    out = io.BytesIO()
    logo.save(out, "PNG")
    return out.getvalue()


def noise_jpeg(side: int) -> bytes:
    """A photo that compresses badly: large for its size in pixels."""
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(out, "JPEG", quality=98)
    return out.getvalue()


def stored_in(media: Path) -> list[str]:
    return sorted(p.name for p in media.iterdir()) if media.exists() else []


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
def media(tmp_path: Path) -> Path:
    return tmp_path / "media"


@pytest.fixture
async def client(bot: Harness, clock: Clock, media: Path) -> AsyncIterator[TestClient]:
    async with pages_client(clock, owner_ids=(OWNER,), media_dir=media) as client_:
        yield client_


async def csrf_of_page(client: TestClient, path: str) -> str:
    html = await (await client.get(path)).text()
    [token] = page(html).xpath('//input[@name="csrf"]/@value')[:1]
    return token


def form(csrf: str | None, files: Files | None = None, **fields: str) -> FormData:
    """A form as a browser posts it: the CSRF token first, then the rest."""
    data = FormData()
    if csrf is not None:
        data.add_field("csrf", csrf)
    for name, value in fields.items():
        data.add_field(name, value)
    for name, (filename, content, kind) in (files or {}).items():
        data.add_field(name, content, filename=filename, content_type=kind)
    return data


async def post_settings(
    client: TestClient,
    files: Files | None = None,
    **fields: str,
) -> tuple[int, str, str]:
    csrf = await csrf_of_page(client, "/club/panel/settings")
    response = await client.post(
        "/club/panel/settings", data=form(csrf, files, **fields), allow_redirects=False
    )
    return response.status, response.headers.get("Location", ""), await response.text()


async def member_signs_in(client: TestClient) -> None:
    """A member opens the pages from Telegram (the staff's cookie gives way to theirs)."""
    await helpers.member(NOW, phone="09121110000", telegram_id=USER, locale="fa", first_name="Sara")
    response = await client.post(
        "/club/signin", data={"init_data": init_data(USER)}, allow_redirects=False
    )
    assert response.status == 303


async def settings_audit() -> list[tuple[str, str]]:
    rows = await AuditEntry.filter(action="settings").order_by("id")
    return [(row.details["key"], row.details["value"]) for row in rows]


async def test_the_owner_uploads_a_logo_and_a_cover_and_members_see_them(
    bot: Harness, client: TestClient, media: Path
) -> None:
    await signed_in(client, bot, OWNER)
    upload = png()
    cover = noise_jpeg(1000)  # more than the web app's 1 MiB for a form: read part by part
    assert len(cover) > 1024 * 1024
    status, location, _ = await post_settings(
        client,
        {"logo": ("logo.png", upload, "image/png"), "cover": ("cover.jpg", cover, "image/jpeg")},
    )
    assert (status, location) == (303, "/club/panel/settings?saved=1")
    stored = prepare(upload)
    rules = await ClubRules.get(id=1)
    assert rules.logo == stored.name and rules.cover == prepare(cover).name
    assert stored_in(media) == sorted([rules.logo, rules.cover])
    assert await settings_audit() == [("logo", rules.logo), ("cover", rules.cover)]
    saved = await (await client.get("/club/panel/settings?saved=1")).text()
    assert text_of(saved, "message") == "تنظیمات ذخیره شد."
    assert page(saved).get_element_by_id("current-logo").get("src") == f"/club/media/{stored.name}"

    await member_signs_in(client)
    html = await (await client.get("/club/card")).text()
    logo = page(html).get_element_by_id("logo")
    assert logo.tag == "img" and logo.get("src") == f"/club/media/{stored.name}"
    served = await client.get(logo.get("src"))
    assert served.status == 200 and served.content_type == "image/png"
    body = await served.read()
    assert body == stored.data and body != upload  # re-encoded, not as uploaded
    cover_src = page(html).get_element_by_id("cover").get("src")
    assert (await (await client.get(cover_src)).read()) == prepare(cover).data


async def test_a_text_file_named_png_is_refused_in_persian_and_nothing_is_kept(
    bot: Harness, client: TestClient, media: Path
) -> None:
    await signed_in(client, bot, OWNER)
    status, _, html = await post_settings(
        client,
        {"logo": ("logo.png", b"this is no picture at all", "image/png")},
        name="Cafe Sara",
    )
    assert status == 400
    assert text_of(html, "error-logo") == BAD_PICTURE_FA
    assert page(html).get_element_by_id("f-name").get("value") == "Cafe Sara"  # as typed
    rules = await ClubRules.get(id=1)
    assert (rules.logo, rules.name) == (None, "Club")  # all or nothing: the name waits too
    assert stored_in(media) == []
    assert await settings_audit() == []

    too_large = b"\xff\xd8\xff" + b"\0" * (5 * 1024 * 1024)
    status, _, html = await post_settings(client, {"logo": ("big.jpg", too_large, "image/jpeg")})
    assert status == 400 and text_of(html, "error-logo") == BAD_PICTURE_FA
    assert (await ClubRules.get(id=1)).logo is None


async def test_the_colour_is_the_pages_accent_and_a_bad_one_is_refused(
    bot: Harness, client: TestClient
) -> None:
    await signed_in(client, bot, OWNER)
    status, _, _ = await post_settings(client, colour="#AA3300", name="Cafe Sara")
    assert status == 303
    rules = await ClubRules.get(id=1)
    assert (rules.colour, rules.name) == ("#aa3300", "Cafe Sara")

    await member_signs_in(client)
    html = await (await client.get("/club/card")).text()
    assert page(html).xpath("//header/h1")[0].text_content() == "Cafe Sara"
    [href] = [h for h in page(html).xpath("//link[@rel='stylesheet']/@href") if "look" in h]
    assert href == "/club/look.css?v=aa3300"
    css = await client.get(href)
    assert (
        css.content_type == "text/css" and css.headers["Cache-Control"] == "public, max-age=86400"
    )
    assert await css.text() == ":root { --accent: #aa3300; --on-accent: #ffffff; }\n"

    await signed_in(client, bot, OWNER)
    for bad in ("red", "#12345", "#gg0000", "javascript:alert(1)"):
        status, _, html = await post_settings(client, colour=bad)
        assert status == 400 and text_of(html, "error-colour") == BAD_COLOUR_FA
    assert (await ClubRules.get(id=1)).colour == "#aa3300"
    status, _, _ = await post_settings(client, colour="#ffee00")  # light: dark text on it
    assert "--on-accent: #111111" in await (await client.get("/club/look.css?v=ffee00")).text()


async def test_contact_details_are_checked_and_shown_on_the_rules_page(
    bot: Harness, client: TestClient
) -> None:
    await signed_in(client, bot, OWNER)
    status, _, html = await post_settings(
        client, phone="0912 123", website="javascript:alert(1)", instagram="ftp://x.example"
    )
    assert status == 400
    assert text_of(html, "error-phone") == (
        "این شماره تلفن نیست: آن را با پیش‌شماره بنویسید، مانند ۰۲۱ ۱۲۳۴ ۵۶۷۸."
    )
    link = "پیوند باید نشانی وبی باشد که با https:// یا http:// شروع می‌شود."
    assert text_of(html, "error-website") == link
    assert text_of(html, "error-instagram") == link
    status, _, html = await post_settings(client, address="x" * 301)
    assert text_of(html, "error-address") == "این متن خیلی طولانی است: حداکثر ۳۰۰ نویسه."
    assert await settings_audit() == []

    status, _, _ = await post_settings(
        client,
        phone="۰۲۱ ۸۸۷۷ ۶۶۵۵",  # a landline, in Persian digits
        address="تهران، خیابان ولیعصر",
        website="https://cafe.example.com",
        instagram="@cafe.sara",
        about="قهوهٔ تازه\nهر روز",
    )
    assert status == 303
    rules = await ClubRules.get(id=1)
    assert (rules.phone, rules.instagram) == ("+982188776655", "https://instagram.com/cafe.sara")
    await member_signs_in(client)
    html = await (await client.get("/club/rules")).text()
    assert text_of(html, "phone") == "۰۲۱ ۸۸۷۷ ۶۶۵۵"
    assert page(html).get_element_by_id("phone").get("href") == "tel:+982188776655"
    assert text_of(html, "address") == "تهران، خیابان ولیعصر"
    assert page(html).get_element_by_id("website").get("href") == "https://cafe.example.com"
    assert page(html).get_element_by_id("about").text_content() == "قهوهٔ تازه\nهر روز"


async def test_a_rule_changed_on_the_page_is_what_settings_shows_and_is_audited(
    bot: Harness, client: TestClient
) -> None:
    await signed_in(client, bot, OWNER)
    status, _, html = await post_settings(client, signup_bonus="-5", colour="#123456")
    assert status == 400
    assert text_of(html, "error-signup_bonus") == "عددی از ۰ تا ۲٬۱۴۷٬۴۸۳٬۶۴۷ بنویسید."
    assert (await ClubRules.get(id=1)).colour == "#0f766e"  # nothing of a refused form

    status, _, _ = await post_settings(client, signup_bonus="۳۵", earn_rate="1.5")
    assert status == 303
    [text] = await bot.send(OWNER, "/settings")
    assert "Sign-up bonus: 35 (/settings signup_bonus)" in text.split("\n")
    assert "Points per currency unit: 1.5 (/settings earn_rate)" in text.split("\n")
    owner = await Staff.get(telegram_id=OWNER)
    rows = await AuditEntry.filter(action="settings").order_by("id")
    assert [(r.staff_id, r.details) for r in rows] == [
        (owner.id, {"key": "earn_rate", "value": "1.5"}),
        (owner.id, {"key": "signup_bonus", "value": "35"}),
    ]
    # The form sent again as shown changes nothing and records nothing.
    html = await (await client.get("/club/panel/settings")).text()
    shown = {i.get("name"): i.get("value") or "" for i in page(html).iter("input")}
    assert shown["signup_bonus"] == "35" and shown["earn_rate"] == "1.5"
    status, _, _ = await post_settings(client, signup_bonus="35", earn_rate="1.5")
    assert status == 303 and await AuditEntry.filter(action="settings").count() == 2


async def test_a_cashier_is_refused_and_a_form_without_its_token_too(
    bot: Harness, client: TestClient, media: Path
) -> None:
    await Staff.create(telegram_id=CASHIER, role=StaffRole.CASHIER, created_at=NOW)
    await signed_in(client, bot, CASHIER)
    home = await (await client.get("/club/panel/")).text()
    assert page(home).xpath('//a[@id="nav-settings"]') == []
    refused = await client.get("/club/panel/settings")
    assert refused.status == 403 and text_of(await refused.text(), "refused") == OWNER_ONLY_FA
    csrf = Sessions(session_secret(TOKEN), timedelta(hours=1)).csrf(
        client.session.cookie_jar.filter_cookies(client.make_url("/club/"))[COOKIE].value
    )
    posted = await client.post(
        "/club/panel/settings",
        data=form(csrf, {"logo": ("logo.png", png(), "image/png")}, colour="#000000"),
    )
    assert posted.status == 403
    assert (await client.get("/club/panel/rewards")).status == 403

    await signed_in(client, bot, OWNER)
    forged = await client.post(
        "/club/panel/settings",
        data=form(None, {"logo": ("logo.png", png(), "image/png")}, colour="#000000"),
    )
    assert (
        forged.status == 403
        and await forged.text() == "این فرم قدیمی شده است: صفحه را دوباره باز کنید."
    )
    rules = await ClubRules.get(id=1)
    assert (rules.logo, rules.colour) == (None, "#0f766e")
    assert stored_in(media) == []


async def test_a_rewards_picture_is_shown_on_the_members_rewards_page(
    bot: Harness, client: TestClient
) -> None:
    await signed_in(client, bot, OWNER)
    csrf = await csrf_of_page(client, "/club/panel/rewards")
    html = await (await client.get("/club/panel/rewards")).text()
    [key] = page(html).xpath('//form[@id="add"]/input[@name="request"]/@value')
    photo = noise_jpeg(200)
    for _ in range(2):  # Add pressed twice: one reward
        added = await client.post(
            "/club/panel/rewards",
            data=form(
                csrf,
                {"picture": ("tea.jpg", photo, "image/jpeg")},
                request=key,
                name="Tea",
                cost="۸۰",
                stock="",
            ),
            allow_redirects=False,
        )
        assert added.status == 303
    [reward] = await Reward.all()
    assert (reward.name, reward.cost, reward.stock) == ("Tea", 80, None)
    assert reward.picture == prepare(photo).name
    audit = await AuditEntry.filter(action__startswith="reward").order_by("id")
    assert [a.action for a in audit] == ["reward_add", "reward_picture"]

    refused = await client.post(
        f"/club/panel/rewards/{reward.id}",
        data=form(csrf, name="Tea", cost="0", stock="-1"),
    )
    html = await refused.text()
    assert refused.status == 400
    assert text_of(html, f"error-{reward.id}-cost") == "عددی از ۱ تا ۱۰٬۰۰۰٬۰۰۰ بنویسید."
    assert text_of(html, f"error-{reward.id}-stock") == "عددی از ۰ تا ۱٬۰۰۰٬۰۰۰ بنویسید."
    edited = await client.post(
        f"/club/panel/rewards/{reward.id}",
        data=form(csrf, name="Green tea", cost="90", stock="5"),
        allow_redirects=False,
    )
    assert edited.status == 303
    reward = await Reward.get(id=reward.id)
    assert (reward.name, reward.cost, reward.stock) == ("Green tea", 90, 5)
    assert reward.picture == prepare(photo).name  # kept: no new picture chosen

    await member_signs_in(client)
    html = await (await client.get("/club/rewards")).text()
    [src] = page(html).xpath(f"//li[@id='reward-{reward.id}']/img/@src")
    assert src == f"/club/media/{reward.picture}"
    assert await (await client.get(src)).read() == prepare(photo).data


async def test_a_broken_or_oversized_form_is_refused_before_it_is_read(
    bot: Harness, client: TestClient
) -> None:
    await signed_in(client, bot, OWNER)
    broken = await client.post(
        "/club/panel/settings",
        data=b"--nothing-like-the-boundary\r\n",
        headers={"Content-Type": "multipart/form-data; boundary=abc"},
    )
    assert broken.status == 400
    assert await broken.text() == "این فرم قدیمی شده است: صفحه را دوباره باز کنید."
    csrf = await csrf_of_page(client, "/club/panel/settings")
    huge = b"\0" * (11 * 1024 * 1024)
    refused = await client.post(
        "/club/panel/settings",
        data=form(csrf, {"logo": ("logo.png", huge, "image/png")}),
    )
    assert refused.status == 413
    assert await refused.text() == (
        "این فرم بیش از اندازه بزرگ است: تصویرهای کمتر از ۵ مگابایت بفرستید."
    )
    assert (await ClubRules.get(id=1)).logo is None
    # A website typed without its scheme is taken as https; an Instagram name as its page.
    status, _, _ = await post_settings(client, website="www.cafe.ir", instagram="cafe_sara")
    rules = await ClubRules.get(id=1)
    assert status == 303
    assert (rules.website, rules.instagram) == (
        "https://www.cafe.ir",
        "https://instagram.com/cafe_sara",
    )


async def test_a_reward_withdrawn_on_the_page_leaves_the_members_rewards(
    bot: Harness, client: TestClient
) -> None:
    tea = await helpers.reward(80, name="Tea")
    await signed_in(client, bot, OWNER)
    html = await (await client.get("/club/panel/rewards")).text()
    assert page(html).get_element_by_id(f"{tea.id}-name").get("value") == "Tea"
    csrf = await csrf_of_page(client, "/club/panel/rewards")
    done = await client.post(
        f"/club/panel/rewards/{tea.id}/withdraw", data={"csrf": csrf}, allow_redirects=False
    )
    assert done.status == 303 and done.headers["Location"] == "/club/panel/rewards?done=1"
    assert (await Reward.get(id=tea.id)).active is False
    assert [a.action for a in await AuditEntry.all().order_by("id")][-1] == "reward_off"
    await member_signs_in(client)
    html = await (await client.get("/club/rewards")).text()
    assert page(html).xpath(f"//li[@id='reward-{tea.id}']") == []
