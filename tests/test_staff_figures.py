"""/report figures against a known data set, PNG charts, /export reopened, /audit."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook

from handlers.format import number
from loyalty import ledger
from loyalty.earning import award_purchase
from loyalty.rewards import cancel_voucher, redeem_reward
from models import AuditEntry, Branch, CustomerType, EntryKind, Gender, Member, Staff, StaffRole
from tests.conftest import NOW
from tests.helpers import member as make_member, reward
from tests.staff_harness import CASHIER, MANAGER, OWNER, Harness, harness

pytestmark = pytest.mark.asyncio
NORTH_MANAGER = 2500


@pytest.fixture
async def h(db: str) -> AsyncIterator[Harness]:
    main = await Branch.first()
    north = await Branch.create(name="North")
    await Staff.create(telegram_id=MANAGER, role=StaffRole.MANAGER, name="Mina", created_at=NOW)
    await Staff.create(telegram_id=NORTH_MANAGER, role=StaffRole.MANAGER, branch=north, created_at=NOW)
    await Staff.create(telegram_id=CASHIER, role=StaffRole.CASHIER, branch=main, created_at=NOW)
    await _data_set(main, north)
    async with harness() as harness_:
        yield harness_
        assert harness_.api.rejected == []


async def _data_set(main: Branch, north: Branch) -> None:
    a = await make_member(NOW - timedelta(days=30), phone="09120000001", first_name="Ava", telegram_id=77, branch_id=main.id)
    await Member.filter(id=a.id).update(gender=Gender.FEMALE, birth_date=date(1990, 3, 20), reachable_telegram=False)
    b = await make_member(NOW - timedelta(days=1), phone="09120000002", first_name="Bijan", branch_id=main.id)
    await Member.filter(id=b.id).update(gender=Gender.MALE, birth_date=date(2005, 6, 1), customer_type=CustomerType.COMPANY)
    c = await make_member(NOW, phone="09120000003", first_name="Cyrus", branch_id=north.id)
    await award_purchase(b.id, 25_000_000, receipt="M1", branch_id=main.id, now=NOW - timedelta(hours=1))
    await award_purchase(c.id, 1_000_000, receipt="N1", branch_id=north.id, now=NOW)
    coffee, cake = await reward(100, name="Coffee"), await reward(200, name="Cake")
    first = await redeem_reward(b.id, coffee.id, now=NOW)
    await redeem_reward(b.id, coffee.id, now=NOW)
    await redeem_reward(b.id, cake.id, now=NOW)
    await cancel_voucher(first.voucher.code, now=NOW)
    from tortoise.transactions import in_transaction

    async with in_transaction():
        await ledger.post(a.id, EntryKind.EXPIRE, -5, "expired", "test-expire", now=NOW)


async def _report(h: Harness, user: int, text: str, language: str = "en") -> tuple[list[str], list[bytes]]:
    before = len(h.api.sent_to(user))
    replies = await h.send(user, text, language=language)
    sent = h.api.sent_to(user)[before:]
    photos = [h.api.file_bytes(m["photo"][-1]["file_id"]) for m in sent if "photo" in m]
    return replies, photos


async def test_owner_report_for_the_whole_club(h: Harness) -> None:
    replies, photos = await _report(h, OWNER, "/report 7")
    assert replies[0] == (
        "Report for 7 days, 2026-02-23 to 2026-03-01\n"
        "Members: 3; new: 2; unreachable on Telegram: 1\n"
        "By tier: Bronze 2, Gold 1\n"
        "By gender: women 1, men 1, not given 1\n"
        "By age: 18 to 24 1, 35 to 44 1, unknown age 1\n"
        "By customer type: individuals 2, companies 1\n"
        "By branch: Main 2, North 1\n"
        "Points issued: 2,640; redeemed: 300; expired: 5\n"
        "Most redeemed rewards: Coffee 2, Cake 1\n"
        "Purchases by branch: Main 1 (25,000,000), North 1 (1,000,000)\n"
        "Customer segments: Champions 0, Loyal 0, New 2, At risk 0, Hibernating 0, Need attention 0"
    )
    assert len(photos) == 3 and all(p.startswith(b"\x89PNG") for p in photos)
    assert await AuditEntry.filter(action="report").count() == 1


async def test_branch_manager_sees_only_their_branch(h: Harness) -> None:
    replies, _ = await _report(h, NORTH_MANAGER, "/report")
    lines = replies[0].split("\n")
    assert lines[0] == "Report for 30 days, 2026-01-31 to 2026-03-01"
    assert lines[1] == "Members: 1; new: 1; unreachable on Telegram: 0"
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
    assert lines[1] == "اعضا: ۳؛ تازه: ۲؛ در تلگرام در دسترس نیستند: ۱"
    assert lines[7] == f"امتیاز داده‌شده: {number(2640, 'fa')}؛ خرج‌شده: ۳۰۰؛ منقضی‌شده: ۵"


async def test_export_reopened_with_openpyxl(h: Harness) -> None:
    before = len(h.api.sent_to(MANAGER))
    await h.send(MANAGER, "/export")
    sent = h.api.sent_to(MANAGER)[before:]
    assert [m["caption"] for m in sent] == ["Members and balances: 3 rows."]
    assert sent[0]["document"]["file_name"] == "members.xlsx"
    book = load_workbook(io.BytesIO(h.api.file_bytes(sent[0]["document"]["file_id"])))
    rows = [list(r) for r in book.active.iter_rows(values_only=True)]
    members = await Member.all().order_by("id").prefetch_related("cards")
    assert rows[0] == ["Member id", "Phone", "First name", "Last name", "Card", "Tier", "Balance", "Branch", "Joined"]
    assert rows[1:] == [
        [members[0].id, "+989120000001", "Ava", None, members[0].cards[0].number, "Bronze", 15, "Main", "2026-01-30"],
        [members[1].id, "+989120000002", "Bijan", None, members[1].cards[0].number, "Gold", 2220, "Main", "2026-02-28"],
        [members[2].id, "+989120000003", "Cyrus", None, members[2].cards[0].number, "Bronze", 120, "North", "2026-03-01"],
    ]


async def test_export_refused_for_cashier(h: Harness) -> None:
    assert await h.send(CASHIER, "/export") == ["Not allowed."]
    assert await AuditEntry.filter(action="export").count() == 0


async def test_audit_for_the_owner_only(h: Harness) -> None:
    await h.send(MANAGER, "/export")
    assert await h.send(MANAGER, "/audit") == ["Not allowed."]
    replies = await h.send(OWNER, "/audit")
    assert replies == ["2026-03-01 12:30 Mina: export branch=None rows=3".replace(" branch=None", "")]
