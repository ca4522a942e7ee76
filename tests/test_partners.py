"""Partners through the doors: the owner's /partners and CLI, codes uploaded as a file, the
member's Partner offers, the partner's staff at /redeem, the figures in /partners and /report,
and offers taken and codes redeemed at once (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable

import pytest
from aiogram.types import Update

from loyalty import ledger, partners
from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.staff import counter
from models import (
    AuditEntry,
    EntryKind,
    LedgerEntry,
    Member,
    Partner,
    PartnerCode,
    Reward,
    Staff,
    StaffRole,
    Voucher,
    VoucherStatus,
)
from tests import cli_harness
from tests.cli_harness import Club
from tests.conftest import NOW
from tests.fakes.bot_api import _document
from tests.helpers import member as make_member
from tests.helpers import set_rules
from tests.staff_harness import CASHIER, MANAGER, OWNER, Harness, harness
from tests.test_member_dialogs import Chat_, joined, open_chat

club = cli_harness.club  # the fixture
PARTNER_STAFF = 5000
OTHER_PARTNER_STAFF = 5001
PHONE = "09121110000"  # the member of the chat (tests.test_member_dialogs.joined)


@pytest.fixture
async def h(db: str) -> AsyncIterator[Harness]:
    async with harness() as harness_:
        yield harness_


async def upload(h: Harness, user: int, caption: str, data: bytes, language: str = "en") -> str:
    """`user` sends a CSV file with `caption`; the bot's one answer."""
    h.api.add_user(user, language_code=language)
    stored = h.api._store_file(data, "documents", "codes.csv", "text/csv")
    command = caption.split()[0]
    update = h.api._push_user_message(
        user,
        {
            "document": _document(stored),
            "caption": caption,
            "caption_entities": [{"type": "bot_command", "offset": 0, "length": len(command)}],
        },
        None,
        language,
    )
    before = len(h.api.sent_to(user))
    await h.dp.feed_update(h.bot, Update.model_validate(update, context={"bot": h.bot}))
    sent = h.api.sent_to(user)[before:]
    assert len(sent) == 1
    return sent[0]["text"]


async def join_partner_staff(h: Harness, user: int, partner_id: int) -> None:
    link = (await h.send(OWNER, f"/partners invite {partner_id}"))[0]
    payload = re.search(r"start=(staff_\S+)", link)
    assert payload is not None
    await h.send(user, f"/start {payload.group(1)}")


# ---- the owner ----------------------------------------------------------------------------------


async def test_the_owner_adds_partners_offers_and_codes(h: Harness) -> None:
    assert await h.send(OWNER, "/partners") == [
        "No partners yet. Add one: /partners add Cafe Lale | 10% off coffee | 021-5555"
    ]
    assert await h.send(OWNER, "/partners add Cafe Lale | 10% off coffee | 021-5555") == [
        "Partner added:\n#1 Cafe Lale: codes given 0, used 0, points spent 0\n"
        "About: 10% off coffee\nContact: 021-5555\n  no offers yet"
    ]
    usage = await h.send(OWNER, "/partners add")
    assert usage[0].startswith("Usage:\n/partners — the partners, their offers and figures\n")
    assert await h.send(OWNER, "/partners offer 1 50 10% off at Lale") == [
        "Offer #1 added for Cafe Lale: 10% off at Lale, 50 points."
    ]
    assert await h.send(OWNER, "/partners offer ۱ free tier=gold codes=upload Free coffee") == [
        "Offer #2 added for Cafe Lale: Free coffee, free, from Gold."
    ]
    for text, answer in (
        ("/partners offer 9 50 Cake", "No partner number 9."),
        ("/partners offer 1 -5 Cake", "The amount must be a positive whole number."),
        ("/partners offer 1 abc Cake", "The amount must be a positive whole number."),
        ("/partners offer 1 50 tier=platinum Cake", "There is no tier platinum."),
    ):
        assert await h.send(OWNER, text) == [answer], text
    # Codes: a heading, a code twice (in two spellings), Persian digits read as digits.
    assert await upload(
        h, OWNER, "/partners codes 2", b"code\nAB12CD\nab-12-cd\nZZ\xdb\xb9\xdb\xb9ZZ\n"
    ) == ("Codes added: 2; refused as duplicates: 1.")
    assert await upload(h, OWNER, "/partners codes 2", b"AB12CD\nQQ77QQ\n") == (
        "Codes added: 1; refused as duplicates: 1."
    )
    assert await upload(h, OWNER, "/partners codes 2", b"RR55RR\nbad code!\n") == (
        "Line 2 of the file is not a code (4 to 16 letters or digits): bad code!"
    )
    assert await upload(h, OWNER, "/partners codes 2", "کد\nکد!\n".encode(), "fa") == (
        "سطر ۲ پرونده کد نیست (۴ تا ۱۶ حرف یا رقم): کد!"
    )
    assert await upload(h, OWNER, "/partners codes 2", b"\n\n") == (
        "The file holds no codes: one code a line."
    )
    assert await upload(h, OWNER, "/partners codes 1", b"AB12CD\n") == (
        "Offer 1 has codes made by the club: it takes no file."
    )
    assert await upload(h, OWNER, "/partners codes 7", b"AB12CD\n") == (
        "No partner offer number 7."
    )
    assert await h.send(OWNER, "/partners codes 2") == [
        "Send the CSV file of codes with the caption /partners codes <offer number>."
    ]
    assert sorted(await PartnerCode.all().values_list("code", flat=True)) == [
        "AB12CD",
        "QQ77QQ",
        "ZZ99ZZ",
    ]
    assert await h.send(OWNER, "/partners") == [
        "#1 Cafe Lale: codes given 0, used 0, points spent 0\n"
        "About: 10% off coffee\nContact: 021-5555\n"
        "  offer #1 10% off at Lale: 50 points; given 0, used 0, points 0\n"
        "  offer #2 Free coffee: free, from Gold, uploaded codes: 3 left; given 0, used 0, "
        "points 0"
    ]
    assert await h.send(OWNER, "/partners logo 1") == [
        "Send the picture with the caption /partners logo <number>."
    ]
    h.api.push_photo(OWNER, caption="/partners logo 1")
    update = h.api._updates[-1]
    await h.dp.feed_update(h.bot, Update.model_validate(update, context={"bot": h.bot}))
    assert h.api.last_message(OWNER)["text"] == "Logo saved for Cafe Lale."
    assert (await h.send(OWNER, "/partners"))[0].startswith("#1 Cafe Lale (logo): ")
    assert await h.send(OWNER, "/partners logo 1 off") == ["Logo removed for Cafe Lale."]
    assert await h.send(OWNER, "/partners off 1") == [
        "Partner off: its offers are no longer offered."
    ]
    assert (await h.send(OWNER, "/partners"))[0].splitlines()[0] == (
        "#1 Cafe Lale (off): codes given 0, used 0, points spent 0"
    )
    assert await h.send(OWNER, "/partners offer 1 50 Late") == ["No partner number 1."]
    assert await h.send(MANAGER, "/partners add Mine") == ["Not allowed."]
    assert await h.send(OWNER, "/partners add کافه | | ۰۲۱", language="fa") == [
        "شریک افزوده شد:\n#۲ کافه: کد داده‌شده ۰، به‌کاررفته ۰، امتیاز خرج‌شده ۰\n"
        "تماس: ۰۲۱\n  هنوز پیشنهادی ندارد"
    ]
    assert [a.action for a in await AuditEntry.filter(action__startswith="partner")] == [
        "partner_added",
        "partner_offer_added",
        "partner_offer_added",
        "partner_codes",
        "partner_codes",
        "partner_logo",
        "partner_logo",
        "partner_ended",
        "partner_added",
    ]


# ---- members, the partner's staff, the figures -------------------------------------------------


@pytest.fixture
async def chat(db: str) -> Chat_:
    return open_chat()


async def test_a_partners_staff_upload_codes_for_their_own_offers_only(h: Harness) -> None:
    await h.send(OWNER, "/partners add Cafe Lale")
    await h.send(OWNER, "/partners add Book Nook")
    await h.send(OWNER, "/partners offer 1 30 codes=upload Lale token")
    await h.send(OWNER, "/partners offer 2 30 codes=upload Book token")
    await join_partner_staff(h, PARTNER_STAFF, 1)
    assert await upload(h, PARTNER_STAFF, "/partners codes 1", b"LALE0001\nLALE0002\n") == (
        "Codes added: 2; refused as duplicates: 0."
    )
    # Another partner's offer is unknown to them, in their language; so is one of no one.
    assert await upload(h, PARTNER_STAFF, "/partners codes 2", b"BOOK0001\n") == (
        "No partner offer number 2."
    )
    assert await upload(h, PARTNER_STAFF, "/partners codes 2", b"BOOK0001\n", "fa") == (
        "پیشنهاد شریکی با شمارهٔ ۲ نیست."
    )
    assert await upload(h, PARTNER_STAFF, "/partners codes 9", b"BOOK0001\n") == (
        "No partner offer number 9."
    )
    assert await h.send(PARTNER_STAFF, "/partners codes 1") == [
        "Send the CSV file of codes with the caption /partners codes <offer number>."
    ]
    # Nothing else of /partners is theirs.
    for text in ("/partners", "/partners offer 1 10 Cake", "/partners invite 1", "/partners off 1"):
        assert await h.send(PARTNER_STAFF, text) == ["Not allowed."], text
    assert await PartnerCode.filter(reward_id=2).count() == 0
    assert await PartnerCode.filter(reward_id=1).values_list("code", flat=True) == [
        "LALE0001",
        "LALE0002",
    ]
    assert await Reward.filter(partner_id__not_isnull=True).count() == 2
    entry = await AuditEntry.get(action="partner_codes")
    staff = await Staff.get(telegram_id=PARTNER_STAFF)
    assert (entry.staff_id, entry.details) == (staff.id, {"reward": 1, "added": 2, "refused": 0})
    # A cashier may not upload them either.
    assert await upload(h, CASHIER, "/partners codes 1", b"LALE0003\n") == "Not allowed."


async def test_members_take_offers_and_partner_staff_redeem_only_theirs(chat: Chat_) -> None:
    await set_rules(signup_bonus=0)
    member = await joined()
    async with harness() as h:
        await h.send(OWNER, "/partners add Cafe Lale | Coffee | 021-5555")
        await h.send(OWNER, "/partners add Book Nook")
        await h.send(OWNER, "/partners offer 1 50 10% off at Lale")
        await h.send(OWNER, "/partners offer 1 free tier=gold Free coffee")
        await h.send(OWNER, "/partners offer 2 30 codes=upload Book token")
        await upload(h, OWNER, "/partners codes 3", b"BOOK0001\n")
        await h.send(OWNER, f"/adjust {PHONE} +120 welcome")
        assert (await Member.get(id=member.id)).balance == 120
        h.api.push_photo(OWNER, caption="/partners logo 1")
        update = h.api._updates[-1]
        await h.dp.feed_update(h.bot, Update.model_validate(update, context={"bot": h.bot}))
        logo = (await Partner.get(id=1)).logo_file_id
        assert logo is not None

        await chat.send("/start")
        await chat.click("Partner offers")
        assert chat.text == (
            "Partner offers (page 1 of 1). You have 120 points; ✅ marks what you can take now."
        )
        assert chat.buttons() == [  # the catalogue's order: cheapest first
            "Cafe Lale: Free coffee — free, from Gold",
            "✅ Book Nook: Book token — 30 points",
            "✅ Cafe Lale: 10% off at Lale — 50 points",
            "Back",
        ]
        await chat.click("✅ Cafe Lale: 10% off at Lale — 50 points")
        assert chat.text == (
            "Take 10% off at Lale at Cafe Lale for 50 points? You have 120 points.\nCoffee"
        )
        shown = chat.mm.last_message()
        assert shown.photo is not None and shown.photo[-1].file_id == logo
        await chat.click("Yes, take it")
        lale = await Voucher.get(member_id=member.id, reward_id=1)
        assert len(lale.code) == 8
        assert chat.text.startswith(
            f"Your code for 10% off at Lale at Cafe Lale: <code>{lale.code}</code>\n"
            "Show it there before "
        )
        assert chat.text.endswith("Your balance is now 70 points.")

        # Free from Gold: refused below it, then once per member.
        await chat.click("More partner offers")
        await chat.click("Cafe Lale: Free coffee — free, from Gold")
        await chat.click("Yes, take it")
        assert chat.alerts()[-1] == "This reward needs a higher tier."
        assert (await h.send(OWNER, f"/tier {PHONE} gold"))[0].endswith("Tier: Gold.")
        await chat.click("Back")
        await chat.click("Partner offers")
        for again in (False, True):
            await chat.click("✅ Cafe Lale: Free coffee — free, from Gold")
            await chat.click("Yes, take it")
            free = await Voucher.get(member_id=member.id, reward_id=2)
            assert chat.text.startswith(
                ("You took this offer before: here is your code again.\n" if again else "")
                + f"Your code for Free coffee at Cafe Lale: <code>{free.code}</code>\n"
            )
            assert chat.text.endswith("Your balance is now 70 points.")
            await chat.click("More partner offers")

        # The uploaded code is given once; then the offer says its codes ran out.
        await chat.click("✅ Book Nook: Book token — 30 points")
        await chat.click("Yes, take it")
        assert "Your code for Book token at Book Nook: <code>BOOK0001</code>\n" in chat.text
        await chat.click("More partner offers")
        assert "Book Nook: Book token — 30 points (codes ran out)" in chat.buttons()
        await chat.click(r"Book Nook: Book token — 30 points \(codes ran out\)")
        await chat.click("Yes, take it")
        assert chat.alerts()[-1] == "The codes of Book token have run out."
        assert (await Member.get(id=member.id)).balance == 40 == await ledger.ledger_sum(member.id)
        assert await LedgerEntry.filter(member_id=member.id, kind=EntryKind.REDEEM).count() == 3

        # The partners' staff: each validates its own codes only, and nothing else.
        await join_partner_staff(h, PARTNER_STAFF, 1)
        assert h.api.last_message(PARTNER_STAFF)["text"] == (
            "Welcome: you are now on the staff of Cafe Lale. Send /redeem <code> to check and "
            "mark a member's code used."
        )
        await join_partner_staff(h, OTHER_PARTNER_STAFF, 2)
        assert (await Staff.get(telegram_id=PARTNER_STAFF)).role is StaffRole.PARTNER
        club_voucher_code = (await _club_voucher(member.id)).code
        unknown = ["No voucher with that code."]
        assert await h.send(PARTNER_STAFF, f"/redeem {lale.code.lower()}") == [
            f"Voucher {lale.code} accepted: give 10% off at Lale."
        ]
        assert await h.send(PARTNER_STAFF, f"/redeem {lale.code}") == [
            "This voucher has already been used."
        ]
        assert await h.send(PARTNER_STAFF, "/redeem BOOK0001") == unknown
        assert await h.send(PARTNER_STAFF, f"/redeem {club_voucher_code}") == unknown
        assert await h.send(PARTNER_STAFF, "/redeem NOPE1234") == unknown
        assert await h.send(PARTNER_STAFF, "/redeem BOOK۰۰۰۱", language="fa") == [
            "کوپنی با این کد پیدا نشد."
        ]
        assert await h.send(OTHER_PARTNER_STAFF, f"/redeem {free.code}") == unknown
        assert await h.send(OTHER_PARTNER_STAFF, "/redeem book-0001") == [
            "Voucher BOOK0001 accepted: give Book token."
        ]
        assert await h.send(CASHIER, f"/redeem {free.code}") == ["Not allowed."]  # no staff
        await Staff.create(telegram_id=CASHIER, role=StaffRole.CASHIER, created_at=NOW)
        assert await h.send(CASHIER, f"/redeem {free.code}") == unknown
        for text in (
            f"/earn {PHONE} 100000",
            f"/member {PHONE}",
            "/report",
            "/partners",
            "/inbox",
            "/giftcard sell 100000",
            f"/voucher cancel {free.code}",
            "/staff",
        ):
            assert await h.send(PARTNER_STAFF, text) == ["Not allowed."], text
        assert await h.send(PARTNER_STAFF, "/staff_help") == [
            "Staff commands:\n/redeem <voucher code>"
        ]

        assert await h.send(OWNER, "/partners") == [
            "#1 Cafe Lale (logo): codes given 2, used 1, points spent 50\n"
            "About: Coffee\nContact: 021-5555\n"
            "  offer #1 10% off at Lale: 50 points; given 1, used 1, points 50\n"
            "  offer #2 Free coffee: free, from Gold; given 1, used 0, points 0\n\n"
            "#2 Book Nook: codes given 1, used 1, points spent 30\n"
            "  offer #3 Book token: 30 points, uploaded codes: 0 left; given 1, used 1, points 30"
        ]


async def _club_voucher(member_id: int) -> Voucher:
    """A voucher of the club's own catalogue, as the member's Rewards menu gives one."""
    from loyalty import rewards
    from loyalty.staff.catalogue import add_reward
    from tests.staff_harness import OWNER as BOSS

    owner = await Staff.get(telegram_id=BOSS)
    reward = await add_reward(owner, "Tea", 10, now=NOW)
    return (await rewards.redeem_reward(member_id, reward.id, key="tea", now=NOW)).voucher


async def test_the_report_shows_each_partner_in_the_period(h: Harness) -> None:
    await set_rules(signup_bonus=0)
    m = await make_member(NOW, phone=PHONE)
    await h.send(OWNER, "/partners add Cafe Lale")
    await h.send(OWNER, "/partners add Book Nook")
    await h.send(OWNER, "/partners offer 1 40 Cake")
    await h.send(OWNER, "/partners offer 2 25 Book")
    await h.send(OWNER, f"/adjust {PHONE} +200 welcome")
    cake = await partners.take(m.id, 1, key="a", now=NOW)
    await partners.take(m.id, 1, key="b", now=NOW)
    await partners.take(m.id, 2, key="c", now=NOW)
    await join_partner_staff(h, PARTNER_STAFF, 1)
    await h.send(PARTNER_STAFF, f"/redeem {cake.voucher.code}")
    replies = await h.send(OWNER, "/report 7")
    assert replies[0].splitlines()[-5:] == [
        "Partners in the period:",
        "Cafe Lale: codes given 2, used 1, points spent 80",
        "  Cake: codes given 2, used 1, points spent 80",
        "Book Nook: codes given 1, used 0, points spent 25",
        "  Book: codes given 1, used 0, points spent 25",
    ]
    assert (await Member.get(id=m.id)).balance == 95 == await ledger.ledger_sum(m.id)


# ---- many at once -------------------------------------------------------------------------------


async def test_offers_taken_and_codes_redeemed_at_once(any_db: str) -> None:
    await set_rules(signup_bonus=0)
    owner = Staff(name="owner", role=StaffRole.OWNER, active=True, telegram_id=0)
    m = await make_member(NOW)
    await counter.adjust(owner, m.id, 100, "welcome", now=NOW)
    lale = await partners.add_partner("Cafe Lale", now=NOW)
    paid = await partners.add_offer(lale.id, "Cake", 30, now=NOW)
    results = await asyncio.gather(
        *(partners.take(m.id, paid.id, key=f"k{n}", now=NOW) for n in range(10)),
        return_exceptions=True,
    )
    taken = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, LoyaltyError)]
    assert len(taken) == 3 and len(refused) == 7
    assert {e.code for e in refused} == {ErrorCode.NOT_ENOUGH_POINTS}
    assert (await Member.get(id=m.id)).balance == 10 == await ledger.ledger_sum(m.id)

    # Free: once per member however often it is pressed at once.
    free = await partners.add_offer(lale.id, "Coffee", 0, now=NOW)
    again = await asyncio.gather(
        *(partners.take(m.id, free.id, key=f"f{n}", now=NOW) for n in range(5))
    )
    assert sum(not r.replayed for r in again) == 1
    assert len({r.voucher.code for r in again}) == 1

    # Uploaded codes: two codes, five members at once: two get one each, three are told.
    upload = await partners.add_offer(lale.id, "Token", 0, uploaded_codes=True, now=NOW)
    assert await partners.upload_codes(upload.id, ["TOKEN001", "TOKEN002"], now=NOW) == (
        partners.Uploaded(2, 0)
    )
    others = [await make_member(NOW) for _ in range(5)]
    results = await asyncio.gather(
        *(partners.take(o.id, upload.id, key="t", now=NOW) for o in others),
        return_exceptions=True,
    )
    codes = sorted(r.voucher.code for r in results if not isinstance(r, BaseException))
    assert codes == ["TOKEN001", "TOKEN002"]
    assert {r.code for r in results if isinstance(r, LoyaltyError)} == {ErrorCode.CODES_RAN_OUT}

    # One code redeemed by the partner's staff from five tills at once: marked once.
    staff = await Staff.create(
        telegram_id=PARTNER_STAFF, role=StaffRole.PARTNER, partner_id=lale.id, created_at=NOW
    )
    code = taken[0].voucher.code
    results = await asyncio.gather(
        *(counter.use_voucher(staff, code, now=NOW) for _ in range(5)), return_exceptions=True
    )
    assert sum(isinstance(r, Voucher) for r in results) == 1
    assert {r.code for r in results if isinstance(r, LoyaltyError)} == {ErrorCode.VOUCHER_USED}
    assert await Voucher.filter(status=VoucherStatus.USED).count() == 1
    figures = (await partners.figures())[0]
    assert (figures.given, figures.used, figures.points) == (6, 1, 90)


# ---- the CLI ------------------------------------------------------------------------------------


def test_the_cli_adds_partners_offers_and_codes(club: Callable[[str], Club], tmp_path) -> None:
    run = club("en")
    assert run("partner", "list")[:2] == (
        0,
        "No partners yet. Add one: /partners add Cafe Lale | 10% off coffee | 021-5555\n",
    )
    assert run("partner", "add", "Cafe Lale", "--contact", "021-5555")[:2] == (
        0,
        "#1 Cafe Lale: codes given 0, used 0, points spent 0\nContact: 021-5555\n  no offers yet\n",
    )
    assert run("partner", "offer", "1", "free", "Coffee", "--tier", "silver", "--upload")[:2] == (
        0,
        "Offer #1 added for Cafe Lale: Coffee, free, from Silver.\n",
    )
    assert run("partner", "offer", "1", "-3", "Cake")[0] != 0
    codes = tmp_path / "codes.csv"
    codes.write_text("code;\nCOFFEE01;\nCOFFEE02;\nCOFFEE01;\n", encoding="utf-8")
    assert run("partner", "codes", "1", str(codes))[:2] == (
        0,
        "Codes added: 2; refused as duplicates: 1.\n",
    )
    bad = tmp_path / "bad.csv"
    bad.write_text("COFFEE03\nx\n", encoding="utf-8")
    assert run("partner", "codes", "1", str(bad)) == (
        1,
        "",
        "Line 2 of the file is not a code (4 to 16 letters or digits): x\n",
    )
    assert run("partner", "codes", "1", str(tmp_path / "none.csv"))[0] == 1
    assert run("partner", "off", "1")[1].startswith("#1 Cafe Lale (off): ")
    assert run("partner", "list")[1].endswith(
        "  offer #1 Coffee: free, from Silver, uploaded codes: 2 left; given 0, used 0, "
        "points 0 (off)\n"
    )
