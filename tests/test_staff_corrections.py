"""Corrections at the counter through Telegram: confirmations, what the member is told,
vouchers cancelled, purchases of a product group (issue 18)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.outbox import OutboxSender
from models import Branch, LedgerEntry, Member, Staff, StaffRole
from tests.conftest import NOW
from tests.helpers import member as make_member
from tests.staff_harness import CASHIER, MANAGER, Harness, harness

pytestmark = pytest.mark.asyncio

SARA = 7001  # the member's Telegram id


@pytest.fixture
async def h(db: str) -> AsyncIterator[Harness]:
    branch = await Branch.first()
    await Staff.create(
        telegram_id=MANAGER, role=StaffRole.MANAGER, branch=branch, name="Mina", created_at=NOW
    )
    await Staff.create(
        telegram_id=CASHIER, role=StaffRole.CASHIER, branch=branch, name="Kaveh", created_at=NOW
    )
    async with harness() as harness_:
        yield harness_
        assert harness_.api.rejected == []


async def told(h: Harness, member: Member) -> list[str]:
    """One round of the outbox; the texts the member's Telegram chat holds."""
    h.api.add_user(member.telegram_id)  # the member has opened the bot
    await OutboxSender(bot=h.bot, gateway=None, tz=h.dp["settings"].tz, rate=1000).drain(NOW)
    return [m["text"] for m in h.api.sent_to(member.telegram_id)]


@pytest.mark.parametrize(
    ("locale", "text"),
    [
        (
            "en",
            "The club undid a transaction of yours (correction: welcome gift): -15 points. "
            "Your balance is 20.",
        ),
        (
            "fa",
            "باشگاه یکی از تراکنش‌های شما (اصلاح: welcome gift) را لغو کرد: -۱۵ امتیاز. "
            "موجودی شما ۲۰ است.",
        ),
    ],
)
async def test_undo_tells_the_member_in_their_language(h: Harness, locale: str, text: str) -> None:
    sara = await make_member(NOW, phone="09121111111", telegram_id=SARA, locale=locale)
    await h.send(MANAGER, "/adjust 09121111111 +15 welcome gift")
    entry = await LedgerEntry.get(member_id=sara.id, kind="adjust")
    await told(h, sara)  # the correction's own message
    replies = await h.send(MANAGER, f"/undo {entry.id}")
    assert replies[0].startswith(f"Transaction #{entry.id} undone by #")
    assert (await Member.get(id=sara.id)).balance == 20
    assert (await told(h, sara))[-1] == text


@pytest.mark.parametrize(
    ("locale", "texts"),
    [
        (
            "en",
            [
                "Your purchase of 400,000 was refunded: 40 points were taken back. "
                "Your balance is 80.",
                "Your purchase of 600,000 was refunded: 60 points were taken back. "
                "Your balance is 20.",
            ],
        ),
        (
            "fa",
            [
                "خرید ۴۰۰٬۰۰۰ شما مرجوع شد: ۴۰ امتیاز کسر شد. موجودی شما ۸۰ است.",
                "خرید ۶۰۰٬۰۰۰ شما مرجوع شد: ۶۰ امتیاز کسر شد. موجودی شما ۲۰ است.",
            ],
        ),
    ],
)
async def test_a_refund_tells_the_member(h: Harness, locale: str, texts: list[str]) -> None:
    sara = await make_member(NOW, phone="09121111111", telegram_id=SARA, locale=locale)
    await h.send(CASHIER, "/earn 09121111111 1000000 R1")  # 100 points: 120
    before = len(await told(h, sara))
    await h.send(CASHIER, "/refund R1 400000")
    await h.send(CASHIER, "/refund R1")
    assert (await Member.get(id=sara.id)).balance == 20
    assert (await told(h, sara))[before:] == texts
