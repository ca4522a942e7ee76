"""/report figures and charts against a known data set, /export reopened, /audit."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook

from handlers.format import number
from handlers.telegram.staff import charts
from handlers.telegram.staff.report_charts import Chart
from loyalty import ledger
from loyalty.earning import award_purchase
from loyalty.erasure import delete_member_data
from loyalty.members import set_reachable, update_profile
from loyalty.rewards import cancel_voucher, redeem_reward
from models import (
    AuditEntry,
    Branch,
    Channel,
    CustomerType,
    EntryKind,
    Gender,
    Member,
    Staff,
    StaffRole,
    Tier,
)
from tests.conftest import NOW
from tests.helpers import member as make_member
from tests.helpers import reward
from tests.staff_harness import CASHIER, MANAGER, OWNER, Harness, harness

pytestmark = pytest.mark.asyncio
NORTH_MANAGER = 2500


@pytest.fixture
async def h(any_db: str) -> AsyncIterator[Harness]:
    main = await Branch.first()
    north = await Branch.create(name="North")
    await Staff.create(telegram_id=MANAGER, role=StaffRole.MANAGER, name="Mina", created_at=NOW)
    await Staff.create(
        telegram_id=NORTH_MANAGER, role=StaffRole.MANAGER, branch=north, created_at=NOW
    )
    await Staff.create(telegram_id=CASHIER, role=StaffRole.CASHIER, branch=main, created_at=NOW)
    await _data_set(main, north)
    async with harness() as harness_:
        yield harness_
        assert harness_.api.rejected == []


async def _data_set(main: Branch, north: Branch) -> None:
    a = await make_member(
        NOW - timedelta(days=30),
        phone="09120000001",
        first_name="Ava",
        telegram_id=77,
        branch_id=main.id,
    )
    await update_profile(a.id, gender=Gender.FEMALE, birth_date=date(1990, 3, 20), now=NOW)
    await set_reachable(a.id, Channel.TELEGRAM, False)  # blocked the bot
    b = await make_member(
        NOW - timedelta(days=1), phone="09120000002", first_name="Bijan", branch_id=main.id
    )
    await update_profile(
        b.id,
        gender=Gender.MALE,
        birth_date=date(2005, 6, 1),
        customer_type=CustomerType.COMPANY,
        now=NOW,
    )
    c = await make_member(NOW, phone="09120000003", first_name="Cyrus", branch_id=north.id)
    # Joined on 2026-02-26 and deleted their data the next day (Tehran).
    d = await make_member(
        NOW - timedelta(days=3),
        phone="09120000004",
        first_name="Dara",
        telegram_id=78,
        branch_id=main.id,
    )
    await delete_member_data(d.id, now=NOW - timedelta(days=2))
    await award_purchase(
        b.id, 25_000_000, receipt="M1", branch_id=main.id, now=NOW - timedelta(hours=1)
    )
    await award_purchase(c.id, 1_000_000, receipt="N1", branch_id=north.id, now=NOW)
    coffee, cake = await reward(100, name="Coffee"), await reward(200, name="Cake")
    first = await redeem_reward(b.id, coffee.id, now=NOW)
    await redeem_reward(b.id, coffee.id, now=NOW)
    await redeem_reward(b.id, cake.id, now=NOW)
    await cancel_voucher(first.voucher.code, now=NOW)
    from tortoise.transactions import in_transaction

    async with in_transaction():
        await ledger.post(a.id, EntryKind.EXPIRE, -5, "expired", "test-expire", now=NOW)


async def _report(
    h: Harness, user: int, text: str, language: str = "en"
) -> tuple[list[str], list[bytes]]:
    before = len(h.api.sent_to(user))
    replies = await h.send(user, text, language=language)
    sent = h.api.sent_to(user)[before:]
    photos = [h.api.file_bytes(m["photo"][-1]["file_id"]) for m in sent if "photo" in m]
    return replies, photos


async def test_owner_report_for_the_whole_club(h: Harness) -> None:
    replies, photos = await _report(h, OWNER, "/report 7")
    assert replies[0] == (
        "Report for 7 days, 2026-02-23 to 2026-03-01\n"
        "Members: 3; new: 3; left: 1; unreachable on Telegram: 1\n"
        "By tier: Bronze 2, Gold 1\n"
        "By gender: women 1, men 1, not given 1\n"
        "By age: 18 to 24 1, 35 to 44 1, unknown age 1\n"
        "By customer type: individuals 2, companies 1\n"
        "By branch: Main 2, North 1\n"
        "Points issued: 2,660; redeemed: 300; expired: 5\n"
        "Most redeemed rewards: Coffee 2, Cake 1\n"
        "Purchases by branch: Main 1 (25,000,000), North 1 (1,000,000)\n"
        "Points outstanding: 2,355 (no reward has a money value to price them)\n"
        "Customer segments: Champions 0, Loyal 0, New 2, At risk 0, Hibernating 0, "
        "Need attention 0\n"
        "Gift cards: 0 toman outstanding (owed to holders); in the period sold 0 toman, "
        "spent 0 toman, expired 0 toman"
    )
    assert len(photos) == 6 and all(p.startswith(b"\x89PNG") for p in photos)
    assert await AuditEntry.filter(action="report").count() == 1


async def test_branch_manager_sees_only_their_branch(h: Harness) -> None:
    replies, _ = await _report(h, NORTH_MANAGER, "/report")
    lines = replies[0].split("\n")
    assert lines[0] == "Report for 30 days, 2026-01-31 to 2026-03-01"
    assert lines[1] == "Members: 1; new: 1; left: 0; unreachable on Telegram: 0"
    assert lines[7] == "Points issued: 120; redeemed: 0; expired: 0"
    assert lines[9] == "Purchases by branch: North 1 (1,000,000)"


async def test_report_refused_and_bad_days(h: Harness) -> None:
    assert await h.send(CASHIER, "/report") == ["Not allowed."]
    assert await h.send(4000, "/report") == ["Not allowed."]
    assert await h.send(OWNER, "/report x") == ["The amount must be a positive whole number."]
    assert await h.send(OWNER, "/report 0") == ["The amount must be a positive whole number."]


async def test_report_in_persian(h: Harness) -> None:
    replies, _ = await _report(h, OWNER, "/report ۷", "fa")
    lines = replies[0].split("\n")
    assert lines[0] == "گزارش ۷ روز، از ۱۴۰۴/۱۲/۰۴ تا ۱۴۰۴/۱۲/۱۰"
    assert lines[1] == "اعضا: ۳؛ تازه: ۳؛ لغو عضویت: ۱؛ در تلگرام در دسترس نیستند: ۱"
    assert lines[7] == f"امتیاز داده‌شده: {number(2660, 'fa')}؛ خرج‌شده: ۳۰۰؛ منقضی‌شده: ۵"


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Chart, bytes]]:
    """Every chart /report draws, as the data it shows and the PNG it became."""
    seen: list[tuple[Chart, bytes]] = []
    real = charts.draw

    def draw(chart: Chart) -> bytes:
        seen.append((chart, real(chart)))
        return seen[-1][1]

    monkeypatch.setattr(charts, "draw", draw)
    return seen


def _shown(drawn: list[tuple[Chart, bytes]]) -> list[tuple[str, str, tuple[str, ...], tuple]]:
    return [(c.filename, c.title, c.labels, c.series) for c, _ in drawn]


async def test_report_charts_in_english(h: Harness, drawn: list[tuple[Chart, bytes]]) -> None:
    _, photos = await _report(h, OWNER, "/report 7")
    assert photos == [png for _, png in drawn]
    assert _shown(drawn) == [
        (
            "joined_and_left.png",
            "Members joined and left",
            (
                "2026-02-23",
                "2026-02-24",
                "2026-02-25",
                "2026-02-26",
                "2026-02-27",
                "2026-02-28",
                "2026-03-01",
            ),
            (("joined", (0, 0, 0, 1, 0, 1, 1)), ("left", (0, 0, 0, 0, 1, 0, 0))),
        ),
        (
            "members_by_gender.png",
            "Members by gender",
            ("women", "men", "not given"),
            (("", (1, 1, 1)),),
        ),
        (
            "members_by_age.png",
            "Members by age",
            (
                "under 18",
                "18 to 24",
                "25 to 34",
                "35 to 44",
                "45 to 54",
                "55 and over",
                "unknown age",
            ),
            (("", (0, 1, 0, 1, 0, 0, 1)),),
        ),
        (
            "members_by_tier.png",
            "Members by tier",
            ("Bronze", "Silver", "Gold"),
            (("", (2, 0, 1)),),
        ),
        ("points.png", "Points", ("issued", "redeemed", "expired"), (("", (2660, 300, 5)),)),
        ("purchases_by_branch.png", "Purchases by branch", ("Main", "North"), (("", (1, 1)),)),
    ]


async def test_report_charts_in_persian(h: Harness, drawn: list[tuple[Chart, bytes]]) -> None:
    await Tier.filter(code="gold").update(name="ویژه")  # the owner's name for the tier
    _, photos = await _report(h, OWNER, "/report ۷", "fa")
    assert photos == [png for _, png in drawn]
    assert _shown(drawn) == [
        (
            "joined_and_left.png",
            "اعضای تازه و لغو عضویت",
            (
                "۱۴۰۴/۱۲/۰۴",
                "۱۴۰۴/۱۲/۰۵",
                "۱۴۰۴/۱۲/۰۶",
                "۱۴۰۴/۱۲/۰۷",
                "۱۴۰۴/۱۲/۰۸",
                "۱۴۰۴/۱۲/۰۹",
                "۱۴۰۴/۱۲/۱۰",
            ),
            (("تازه", (0, 0, 0, 1, 0, 1, 1)), ("لغو عضویت", (0, 0, 0, 0, 1, 0, 0))),
        ),
        (
            "members_by_gender.png",
            "اعضا بر پایه جنسیت",
            ("زنان", "مردان", "نامشخص"),
            (("", (1, 1, 1)),),
        ),
        (
            "members_by_age.png",
            "اعضا بر پایه سن",
            ("زیر ۱۸", "۱۸ تا ۲۴", "۲۵ تا ۳۴", "۳۵ تا ۴۴", "۴۵ تا ۵۴", "۵۵ و بالاتر", "سن نامشخص"),
            (("", (0, 1, 0, 1, 0, 0, 1)),),
        ),
        (
            "members_by_tier.png",
            "اعضا بر پایه سطح",
            ("برنزی", "نقره‌ای", "ویژه"),
            (("", (2, 0, 1)),),
        ),
        ("points.png", "امتیازها", ("داده‌شده", "خرج‌شده", "منقضی شده"), (("", (2660, 300, 5)),)),
        ("purchases_by_branch.png", "خریدها بر پایه شعبه", ("مرکزی", "North"), (("", (1, 1)),)),
    ]
    assert all(c.locale == "fa" for c, _ in drawn)


async def test_report_over_two_months_counts_by_week(
    h: Harness, drawn: list[tuple[Chart, bytes]]
) -> None:
    await _report(h, OWNER, "/report 60")
    chart = drawn[0][0]
    assert chart.labels == (
        "2026-01-01",
        "2026-01-08",
        "2026-01-15",
        "2026-01-22",
        "2026-01-29",
        "2026-02-05",
        "2026-02-12",
        "2026-02-19",
        "2026-02-26",
    )  # the last week is four days
    assert chart.series == (
        ("joined", (0, 0, 0, 0, 1, 0, 0, 0, 3)),
        ("left", (0, 0, 0, 0, 0, 0, 0, 0, 1)),
    )


async def _export(h: Harness, user: int, language: str) -> tuple[str, object]:
    before = len(h.api.sent_to(user))
    await h.send(user, "/export", language=language)
    sent = h.api.sent_to(user)[before:]
    assert len(sent) == 1 and sent[0]["document"]["file_name"] == "members.xlsx"
    return sent[0]["caption"], load_workbook(
        io.BytesIO(h.api.file_bytes(sent[0]["document"]["file_id"]))
    )


async def test_export_in_english(h: Harness) -> None:
    caption, book = await _export(h, MANAGER, "en")
    assert caption == "Members and balances: 3 rows."
    sheet = book.active
    assert sheet.title == "Members" and not sheet.sheet_view.rightToLeft
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    members = await Member.filter(deleted_at=None).order_by("id").prefetch_related("cards")
    cards = [m.cards[0].number for m in members]
    assert rows[0] == [
        "Member id",
        "Phone",
        "First name",
        "Last name",
        "Card",
        "Birthday",
        "Gender",
        "Customer type",
        "Branch",
        "Tier",
        "Balance",
        "Joined",
    ]
    assert rows[1:] == [
        [
            members[0].id,
            "+989120000001",
            "Ava",
            None,
            cards[0],
            "1990-03-20",
            "Woman",
            "Individual",
            "Main",
            "Bronze",
            15,
            "2026-01-30",
        ],
        [
            members[1].id,
            "+989120000002",
            "Bijan",
            None,
            cards[1],
            "2005-06-01",
            "Man",
            "Company",
            "Main",
            "Gold",
            2220,
            "2026-02-28",
        ],
        [
            members[2].id,
            "+989120000003",
            "Cyrus",
            None,
            cards[2],
            None,
            None,
            "Individual",
            "North",
            "Bronze",
            120,
            "2026-03-01",
        ],
    ]


async def test_export_in_persian_reads_right_to_left(h: Harness) -> None:
    await Tier.filter(code="gold").update(name="ویژه")  # the owner's name for the tier
    caption, book = await _export(h, OWNER, "fa")
    assert caption == "اعضا و موجودی‌ها: ۳ ردیف."
    sheet = book.active
    assert sheet.title == "اعضا" and sheet.sheet_view.rightToLeft is True
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    members = await Member.filter(deleted_at=None).order_by("id").prefetch_related("cards")
    cards = [m.cards[0].number for m in members]
    assert rows[0] == [
        "شناسه عضو",
        "تلفن",
        "نام",
        "نام خانوادگی",
        "کارت",
        "تاریخ تولد",
        "جنسیت",
        "نوع مشتری",
        "شعبه",
        "سطح",
        "موجودی",
        "تاریخ عضویت",
    ]
    assert rows[1:] == [
        [
            members[0].id,
            "+989120000001",
            "Ava",
            None,
            cards[0],
            "۱۳۶۸/۱۲/۲۹",
            "خانم",
            "شخص",
            "مرکزی",
            "برنزی",
            15,
            "۱۴۰۴/۱۱/۱۰",
        ],
        [
            members[1].id,
            "+989120000002",
            "Bijan",
            None,
            cards[1],
            "۱۳۸۴/۰۳/۱۱",
            "آقا",
            "شرکت",
            "مرکزی",
            "ویژه",
            2220,
            "۱۴۰۴/۱۲/۰۹",
        ],
        [
            members[2].id,
            "+989120000003",
            "Cyrus",
            None,
            cards[2],
            None,
            None,
            "شخص",
            "North",
            "برنزی",
            120,
            "۱۴۰۴/۱۲/۱۰",
        ],
    ]


async def test_export_refused_for_cashier(h: Harness) -> None:
    assert await h.send(CASHIER, "/export") == ["Not allowed."]
    assert await AuditEntry.filter(action="export").count() == 0


async def test_audit_for_the_owner_only(h: Harness) -> None:
    await h.send(MANAGER, "/export")
    assert await h.send(MANAGER, "/audit") == ["Not allowed."]
    replies = await h.send(OWNER, "/audit")
    assert replies == ["2026-03-01 12:30 Mina: members exported (rows: 3)"]
