"""Promo codes at the till: made by the owner with /promo, used with /earn code=X."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.staff import counter
from loyalty.staff.promo_codes import PromoSpec, add_promo
from models import Branch, LedgerEntry, Member, PromoCode, PromoUse, Purchase, Staff, StaffRole
from tests.conftest import NOW
from tests.helpers import member as make_member
from tests.staff_harness import CASHIER, OWNER, Harness, harness

PHONE = "09121111111"


@pytest.fixture
async def h(any_db: str) -> AsyncIterator[Harness]:
    await Staff.create(
        telegram_id=CASHIER,
        role=StaffRole.CASHIER,
        branch=await Branch.first(),
        name="Kaveh",
        created_at=NOW,
    )
    async with harness() as harness_:
        yield harness_
        assert harness_.api.rejected == []


async def test_a_percent_code_at_the_till_and_its_figures(h: Harness) -> None:
    m = await make_member(NOW, phone=PHONE)
    assert await h.send(OWNER, "/promo add yalda 10% uses=1 min=100000") == [
        "Promo code added: YALDA: 10% off; used 0/1; discount given 0; sales 0; bonus points 0"
    ]
    # 10% of 250,005 = 25,000.5 → 25,001; 225,004 paid: 22 points.
    assert await h.send(CASHIER, f"/earn {PHONE} 250005 R1 code=Yalda") == [
        "Amount: 250,005\n"
        "Promo code YALDA: −25,001\n"
        "To pay: 225,004\n"
        "Purchase recorded: 22 points earned. Balance: 42. Tier: Bronze.\n"
        "Next tier: Silver, 478 points away."
    ]
    # The same purchase again is answered as before; the code is not counted twice.
    await h.send(CASHIER, f"/earn {PHONE} 250005 R1 code=YALDA")
    assert await PromoUse.all().count() == 1
    # Used up: the next purchase is refused, saying why, and nothing is recorded.
    assert await h.send(CASHIER, f"/earn {PHONE} 250005 R2 code=YALDA") == [
        "Promo code YALDA is used up."
    ]
    assert await Purchase.filter(receipt="R2").count() == 0
    assert (await Member.get(id=m.id)).balance == 42
    line = "YALDA: 10% off; used 1/1; discount given 25,001; sales 225,004; bonus points 0"
    assert await h.send(OWNER, "/promo") == [line]
    # The owner's figures: /report lists the code, /export has a sheet of the codes.
    report = (await h.send(OWNER, "/report"))[0]
    assert report.endswith("\nPromo codes:\n" + line)
    await h.send(OWNER, "/promo off YALDA")
    before = len(h.api.sent_to(OWNER))
    await h.send(OWNER, "/export")
    (sent,) = [m for m in h.api.sent_to(OWNER)[before:] if "document" in m]
    book = load_workbook(io.BytesIO(h.api.file_bytes(sent["document"]["file_id"])))
    assert book.sheetnames == ["Members", "Promo codes"]
    assert [list(row) for row in book["Promo codes"].iter_rows(values_only=True)] == [
        [
            "Code",
            "Gives",
            "Codes given",
            "Uses",
            "Discount given",
            "Sales",
            "Bonus points",
            "Withdrawn",
        ],
        ["YALDA", "10% off", None, 1, 25001, 225004, 0, "Withdrawn"],
    ]


async def test_a_bonus_code_and_refusals(h: Harness) -> None:
    m = await make_member(NOW, phone=PHONE)
    await h.send(OWNER, "/promo add GIFT +30pts per=1")
    await h.send(OWNER, "/promo add GOLDONLY 20% tier=gold")
    await h.send(OWNER, "/promo add OLD 5% from=2026-01-01 until=2026-02-01")
    assert await h.send(CASHIER, f"/earn {PHONE} 100000 R1 code=GIFT") == [
        "Amount: 100,000\n"
        "Promo code GIFT: +30 bonus points\n"
        "To pay: 100,000\n"
        "Purchase recorded: 10 points earned. Balance: 60. Tier: Bronze.\n"
        "Next tier: Silver, 490 points away."
    ]
    assert await LedgerEntry.filter(member_id=m.id, reason="promo").count() == 1
    assert await h.send(CASHIER, f"/earn {PHONE} 100000 R2 code=GIFT") == [
        "This member has used promo code GIFT as often as allowed."
    ]
    assert await h.send(CASHIER, f"/earn {PHONE} 100000 R3 code=GOLDONLY") == [
        "Promo code GOLDONLY is for a higher tier."
    ]
    assert await h.send(CASHIER, f"/earn {PHONE} 100000 R4 code=OLD") == [
        "Promo code OLD has expired."
    ]
    assert await h.send(CASHIER, f"/earn {PHONE} 100000 R5 code=NOPE") == ["No promo code NOPE."]
    assert (await Member.get(id=m.id)).balance == 60


@pytest.mark.parametrize(
    ("command", "answer"),
    [
        ("/promo add X 150%", "A percentage must be above 0 and at most 100."),
        ("/promo add X -5", "The amount must be a positive whole number."),
        (
            "/promo add X 5% from=2026-05-02 until=2026-05-01",
            "The end date is before the start date.",
        ),
    ],
)
async def test_bad_codes_are_refused_and_never_stored(
    h: Harness, command: str, answer: str
) -> None:
    assert await h.send(OWNER, command) == [answer]
    assert await PromoCode.all().count() == 0


async def test_a_cashier_may_not_make_codes(h: Harness) -> None:
    assert await h.send(CASHIER, "/promo add X 5%") == ["Not allowed."]


async def test_fifty_purchases_at_once_with_a_code_limited_to_ten(any_db: str) -> None:
    """Through the till's own path: ten purchases get the code, forty are refused whole."""
    owner = await Staff.create(telegram_id=OWNER, role=StaffRole.OWNER, created_at=NOW)
    await add_promo(owner, PromoSpec("TEN", "amount", Decimal(1000), max_uses=10), now=NOW)
    members = [await make_member(NOW) for _ in range(50)]
    outcomes = await asyncio.gather(
        *[
            counter.earn(
                owner, m, 100_000, f"R{n}", tz=ZoneInfo("Asia/Tehran"), now=NOW, promo_code="TEN"
            )
            for n, m in enumerate(members)
        ],
        return_exceptions=True,
    )
    refused = [o for o in outcomes if isinstance(o, LoyaltyError)]
    assert [o for o in outcomes if isinstance(o, BaseException) and o not in refused] == []
    assert ({o.code for o in refused}, len(refused)) == ({ErrorCode.PROMO_USED_UP}, 40)
    assert (await PromoUse.all().count(), await Purchase.all().count()) == (10, 10)
    promo = await PromoCode.get(code="TEN")
    assert (promo.uses, promo.discount_total, promo.sales_total) == (10, 10_000, 990_000)
