"""A Persian reader reads Persian: usage lines, the audit, the settings, default names."""

from __future__ import annotations

import pytest

from models import Staff, StaffRole
from tests.conftest import NOW
from tests.staff_harness import CASHIER, harness

pytestmark = pytest.mark.asyncio


async def test_staff_help_names_the_placeholders_in_persian(db: str) -> None:
    await Staff.create(telegram_id=CASHIER, role=StaffRole.CASHIER, created_at=NOW)
    async with harness() as h:
        assert await h.send(CASHIER, "/staff_help", language="fa") == [
            "فرمان‌های کارکنان:\n"
            "/earn <عضو> <مبلغ> [شماره فاکتور]\n"
            "/refund <شماره فاکتور> [مبلغ]\n"
            "/redeem <کد کوپن>\n"
            "/member <عضو>\n"
            "/inbox\n"
            "/reply <شماره> <متن>"
        ]
        assert h.api.rejected == []
