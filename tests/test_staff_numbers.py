"""Numbers as staff type them, read once (loyalty/numbers.py) for every door."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.numbers import BIGINT_MAX, INT_MAX, parse_decimal, parse_id, parse_int
from models import Branch, LedgerEntry, Member, Staff, StaffRole
from tests.conftest import NOW
from tests.helpers import member as make_member
from tests.staff_harness import CASHIER, MANAGER, Harness, harness


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("۱۲۳", 123),
        ("١٢٣", 123),
        ("1,000", 1000),
        ("۱٬۰۰۰٬۰۰۰", 1_000_000),
        ("۱۰۰،۰۰۰", 100_000),
        (" 42 ", 42),
        (str(BIGINT_MAX), BIGINT_MAX),
    ],
)
def test_whole_numbers_in_any_digits_and_separators(text: str, value: int) -> None:
    assert parse_int(text) == value


@pytest.mark.parametrize("text", ["", "x", "²", "1.5", "-5", "+5", "1 2"])
def test_what_is_no_whole_number(text: str) -> None:
    with pytest.raises(LoyaltyError) as refused:
        parse_int(text)
    assert refused.value.code is ErrorCode.INVALID_AMOUNT


def test_signs_and_sizes() -> None:
    assert parse_int("-۵", signed=True) == -5
    assert parse_int("+5", signed=True) == 5
    assert parse_id("#12") == 12
    assert parse_int("9" * 100, maximum=None) == int("9" * 100)
    assert parse_int("0" * 5000 + "7") == 7
    with pytest.raises(LoyaltyError):
        parse_int("9" * 5000, maximum=None)
    for text, maximum in ((str(BIGINT_MAX + 1), BIGINT_MAX), (str(INT_MAX + 1), INT_MAX)):
        with pytest.raises(LoyaltyError) as refused:
            parse_int(text, maximum=maximum)
        assert (refused.value.code, refused.value.values) == (
            ErrorCode.NUMBER_TOO_LARGE,
            {"max": maximum},
        )
    with pytest.raises(LoyaltyError):
        parse_int("-" + "9" * 30, signed=True)


def test_decimals() -> None:
    assert parse_decimal("۱٫۵") == Decimal("1.5")
    assert parse_decimal("1,000.25") == Decimal("1000.25")
    for text in ("NaN", "Infinity", "lots", ""):
        with pytest.raises(LoyaltyError):
            parse_decimal(text)


@pytest.fixture
async def h(db: str) -> AsyncIterator[Harness]:
    branch = await Branch.first()
    await Staff.create(telegram_id=MANAGER, role=StaffRole.MANAGER, branch=branch, created_at=NOW)
    await Staff.create(telegram_id=CASHIER, role=StaffRole.CASHIER, branch=branch, created_at=NOW)
    async with harness() as harness_:
        yield harness_
        assert harness_.api.rejected == []


async def test_amounts_with_arabic_commas_and_persian_separators(h: Harness) -> None:
    m = await make_member(NOW, phone="09121111111")
    assert await h.send(CASHIER, "/earn 09121111111 ۲۵۰،۰۰۰ R1") == [
        "Purchase recorded: 25 points earned. Balance: 45. Tier: Bronze.\n"
        "Next tier: Silver, 475 points away."
    ]
    assert await h.send(CASHIER, "/refund R1 ۱۰۰٬۰۰۰") == [
        "Refund recorded: 10 points taken back. Balance: 35."
    ]
    assert (await Member.get(id=m.id)).balance == 35


async def test_numbers_too_large_for_a_column_are_answered(h: Harness) -> None:
    m = await make_member(NOW, phone="09121111111")
    huge = "99999999999999999999"
    too_large = "That number is too large: at most 2,147,483,647."
    assert await h.send(MANAGER, f"/undo {huge}") == [too_large]
    assert await h.send(MANAGER, f"/undo #{INT_MAX + 1}") == [too_large]
    assert await h.send(MANAGER, f"/reply {huge} hello") == [too_large]
    assert await h.send(MANAGER, f"/staff revoke {huge}") == [too_large]
    assert await h.send(MANAGER, f"/rewards off {huge}", language="fa") == [
        "این عدد بیش از اندازه بزرگ است: حداکثر ۲٬۱۴۷٬۴۸۳٬۶۴۷."
    ]
    assert await LedgerEntry.filter(member_id=m.id).count() == 1  # the sign-up bonus alone
