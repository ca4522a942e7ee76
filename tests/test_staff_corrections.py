"""Corrections at the counter through Telegram: confirmations, what the member is told,
vouchers cancelled, purchases of a product group (issue 18)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from aiogram.types import Update

from bot.outbox import OutboxSender
from loyalty import ledger, rewards
from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.staff import counter
from models import (
    AuditEntry,
    Branch,
    LedgerEntry,
    Member,
    PendingApproval,
    ProductGroup,
    Purchase,
    Reward,
    Staff,
    StaffRole,
    Voucher,
    VoucherStatus,
)
from tests.conftest import NOW
from tests.helpers import member as make_member
from tests.helpers import reward, set_rules
from tests.staff_harness import CASHIER, MANAGER, OWNER, Harness, harness

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


def buttons(message: dict) -> list[tuple[str, str]]:
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [(b["text"], b["callback_data"]) for row in rows for b in row]


async def test_an_adjustment_that_stays_at_or_above_zero_goes_through(h: Harness) -> None:
    sara = await make_member(NOW, phone="09121111111")  # 20 points for joining
    assert await h.send(MANAGER, "/adjust 09121111111 -20 wrong card") == [
        f"Correction #{(await LedgerEntry.filter(member_id=sara.id).order_by('-id').first()).id}"
        ": -20 points. Balance: 0."
    ]
    (reply,) = await h.send(MANAGER, "/adjust 09121111111 +5 sorry")
    assert reply.endswith(": +5 points. Balance: 5.")
    assert (await Member.get(id=sara.id)).balance == 5
    assert await PendingApproval.all().count() == 0


@pytest.mark.parametrize(
    ("language", "question", "done", "cancelled"),
    [
        (
            "en",
            "This correction (-50 points) would leave the balance at -30 (now 20). "
            "Record it anyway?",
            ": -50 points. Balance: -30.",
            "Correction cancelled: nothing was recorded.",
        ),
        (
            "fa",
            "این اصلاح (-۵۰ امتیاز) موجودی را به -۳۰ می‌رساند (اکنون ۲۰). با این حال ثبت شود؟",
            ": -۵۰ امتیاز. موجودی: -۳۰.",
            "اصلاح لغو شد: چیزی ثبت نشد.",
        ),
    ],
)
async def test_an_adjustment_below_zero_waits_for_confirmation(
    h: Harness, language: str, question: str, done: str, cancelled: str
) -> None:
    sara = await make_member(NOW, phone="09121111111")
    # Cancelled: nothing is recorded.
    assert await h.send(MANAGER, "/adjust 09121111111 -50 stolen card", language=language) == [
        question
    ]
    asked = h.api.sent_to(MANAGER)[-1]
    (_, yes), (_, no) = buttons(asked)
    await h.click(MANAGER, asked["message_id"], no)
    assert h.api.sent_to(MANAGER)[-1]["text"] == cancelled
    assert (await Member.get(id=sara.id)).balance == 20
    assert await LedgerEntry.filter(member_id=sara.id, kind="adjust").count() == 0
    # Confirmed: recorded once, however often the button is pressed.
    await h.send(MANAGER, "/adjust 09121111111 -50 stolen card", language=language)
    asked = h.api.sent_to(MANAGER)[-1]
    (_, yes), _ = buttons(asked)
    await h.click(MANAGER, asked["message_id"], yes)
    assert h.api.sent_to(MANAGER)[-1]["text"].endswith(done)
    # A press Telegram delivers again (the buttons are gone by then) decides nothing more.
    h.api.push_callback(MANAGER, asked["message_id"], yes, check_button=False)
    await h.dp.feed_update(h.bot, Update.model_validate(h.api._updates[-1], context={"bot": h.bot}))
    assert (await Member.get(id=sara.id)).balance == -30
    assert await LedgerEntry.filter(member_id=sara.id, kind="adjust").count() == 1
    actions = await AuditEntry.all().order_by("id").values_list("action", flat=True)
    assert actions == ["adjust_held", "adjust_cancelled", "adjust_held", "adjust"]


async def test_only_the_author_confirms_a_held_adjustment(h: Harness) -> None:
    sara = await make_member(NOW, phone="09121111111")
    await h.send(MANAGER, "/adjust 09121111111 -50 stolen card")
    held = await PendingApproval.get(kind="adjust")
    await Staff.create(
        telegram_id=OWNER, role=StaffRole.OWNER, branch=None, name="Ali", created_at=NOW
    )
    owner = await Staff.get(telegram_id=OWNER)
    with pytest.raises(LoyaltyError) as refused:
        await counter.confirm_adjustment(owner, held.id, True, now=NOW)
    assert refused.value.code is ErrorCode.APPROVAL_NOT_FOUND
    assert (await Member.get(id=sara.id)).balance == 20


@pytest.mark.parametrize(
    ("language", "reply"),
    [
        (
            "en",
            "Purchase recorded: 37 points earned. Balance: 57. Tier: Bronze.\n"
            "Product group: Hot drinks (points ×1.5).\nNext tier: Silver, 463 points away.",
        ),
        (
            "fa",
            "خرید ثبت شد: ۳۷ امتیاز. موجودی: ۵۷. سطح: برنزی.\n"
            "گروه کالا: Hot drinks (امتیاز ×۱٫۵).\n"
            "سطح بعد: نقره‌ای، ۴۶۳ امتیاز دیگر.",
        ),
    ],
)
async def test_earn_with_a_product_group_by_name(h: Harness, language: str, reply: str) -> None:
    sara = await make_member(NOW, phone="09121111111")
    await ProductGroup.create(name="Hot drinks", multiplier=Decimal("1.5"))
    # 250,000 earns 25 points; the group's ×1.5 makes 37.5, rounded down.
    assert await h.send(CASHIER, "/earn 09121111111 250000 R1 hot  DRINKS", language=language) == [
        reply
    ]
    assert (await Member.get(id=sara.id)).balance == 57
    purchase = await Purchase.get(receipt="R1")
    assert (purchase.points, purchase.product_group_id) == (37, (await ProductGroup.get()).id)


async def test_earn_with_a_product_group_by_id_without_a_receipt(h: Harness) -> None:
    sara = await make_member(NOW, phone="09121111111")
    cakes = await ProductGroup.create(name="Cakes", multiplier=Decimal("2"))
    (reply,) = await h.send(CASHIER, f"/earn 09121111111 250000 - #{cakes.id}")
    assert reply.startswith("Purchase recorded: 50 points earned. Balance: 70.")
    assert (await Member.get(id=sara.id)).balance == 70


async def test_an_unknown_group_is_refused_and_nothing_is_recorded(h: Harness) -> None:
    sara = await make_member(NOW, phone="09121111111")
    await ProductGroup.create(name="Old stock", multiplier=Decimal("3"), active=False)
    for language, refusal in (
        ("en", "No such product group."),
        ("fa", "چنین گروه کالایی وجود ندارد."),
    ):
        for group in ("Tea", "99", "Old stock"):
            assert await h.send(
                CASHIER, f"/earn 09121111111 250000 R1 {group}", language=language
            ) == [refusal]
    assert (await Member.get(id=sara.id)).balance == 20
    assert await Purchase.all().count() == 0
    assert await LedgerEntry.filter(member_id=sara.id).count() == 1  # joining only


@pytest.mark.parametrize(
    ("locale", "text"),
    [
        (
            "en",
            "Your voucher {code} for Tea was cancelled and its 15 points were returned. "
            "Your balance is 20.",
        ),
        ("fa", "کوپن {code} شما برای Tea لغو شد و ۱۵ امتیاز آن برگشت. موجودی شما ۲۰ است."),
    ],
)
async def test_a_manager_cancels_an_unused_voucher_once(h: Harness, locale: str, text: str) -> None:
    sara = await make_member(NOW, phone="09121111111", telegram_id=SARA, locale=locale)
    tea = await reward(15, name="Tea", stock=3)
    code = (await rewards.redeem_reward(sara.id, tea.id, now=NOW)).voucher.code
    assert (await Member.get(id=sara.id)).balance == 5
    assert await h.send(MANAGER, f"/voucher cancel {code.lower()}") == [
        f"Voucher {code} cancelled: 15 points back to the member. Balance: 20."
    ]
    assert (await told(h, sara))[-1] == text.format(code=code)
    # Sent again, or used afterwards: refused, and the points came back once.
    assert await h.send(MANAGER, f"/voucher cancel {code}") == ["This voucher was cancelled."]
    assert await h.send(CASHIER, f"/redeem {code}") == ["This voucher was cancelled."]
    assert (await Member.get(id=sara.id)).balance == 20
    assert await LedgerEntry.filter(member_id=sara.id, reason="voucher_cancelled").count() == 1
    assert (await Voucher.get(code=code)).status is VoucherStatus.CANCELLED
    assert (await Reward.get(id=tea.id)).stock == 3
    assert await AuditEntry.filter(action="voucher_cancel").count() == 1


async def test_a_used_voucher_is_not_cancelled_and_a_cashier_may_not(h: Harness) -> None:
    sara = await make_member(NOW, phone="09121111111")
    tea = await reward(15, name="Tea")
    code = (await rewards.redeem_reward(sara.id, tea.id, now=NOW)).voucher.code
    assert await h.send(CASHIER, f"/voucher cancel {code}") == ["Not allowed."]
    assert await h.send(MANAGER, "/voucher cancel") == ["Usage: /voucher cancel <voucher code>"]
    assert await h.send(MANAGER, "/voucher cancel", language="fa") == [
        "روش استفاده: /voucher cancel <کد کوپن>"
    ]
    assert await h.send(MANAGER, "/voucher cancel NOPE1234") == ["No voucher with that code."]
    await h.send(CASHIER, f"/redeem {code}")
    assert await h.send(MANAGER, f"/voucher cancel {code}") == [
        "This voucher has already been used."
    ]
    assert (await Member.get(id=sara.id)).balance == 5


async def test_cancel_and_use_of_one_voucher_at_once_one_wins(any_db: str) -> None:
    branch = await Branch.first()
    manager = await Staff.create(
        telegram_id=MANAGER, role=StaffRole.MANAGER, branch=branch, created_at=NOW
    )
    cashier = await Staff.create(
        telegram_id=CASHIER, role=StaffRole.CASHIER, branch=branch, created_at=NOW
    )
    for _ in range(5):
        sara = await make_member(NOW)
        code = (await rewards.redeem_reward(sara.id, (await reward(15)).id, now=NOW)).voucher.code
        cancelled, used = await asyncio.gather(
            counter.cancel_voucher(manager, code, now=NOW),
            counter.use_voucher(cashier, code, now=NOW),
            return_exceptions=True,
        )
        outcomes = [r for r in (cancelled, used) if not isinstance(r, BaseException)]
        refusals = [r for r in (cancelled, used) if isinstance(r, LoyaltyError)]
        assert (len(outcomes), len(refusals)) == (1, 1)
        voucher = await Voucher.get(code=code)
        if isinstance(used, LoyaltyError):
            assert used.code is ErrorCode.VOUCHER_CANCELLED
            assert voucher.status is VoucherStatus.CANCELLED
            assert (await Member.get(id=sara.id)).balance == 20
        else:
            assert cancelled.code is ErrorCode.VOUCHER_USED  # type: ignore[union-attr]
            assert voucher.status is VoucherStatus.USED
            assert (await Member.get(id=sara.id)).balance == 5
        assert await ledger.ledger_sum(sara.id) == (await Member.get(id=sara.id)).balance


async def test_a_held_purchase_keeps_its_group_to_the_approval(h: Harness) -> None:
    await set_rules(cashier_daily_cap=40)
    sara = await make_member(NOW, phone="09121111111", first_name="Sara")
    await ProductGroup.create(name="Cakes", multiplier=Decimal("2"))
    h.api.add_user(MANAGER)
    h.api.add_user(OWNER)
    # 250,000 earns 25 points, 50 with the group's ×2: over the cap of 40.
    await h.send(CASHIER, "/earn 09121111111 250000 R1 Cakes")
    held = await PendingApproval.get(kind="earn")
    assert held.points == 50
    ask = h.api.last_message(MANAGER)
    assert ask["text"].endswith("for Sara: 50 points.")
    await h.click(MANAGER, ask["message_id"], f"staff:approve:{held.id}")
    assert h.api.last_message(MANAGER)["text"] == (
        f"Request {held.id} approved: 50 points earned. Balance: 70."
    )
    assert (await Member.get(id=sara.id)).balance == 70


@pytest.mark.parametrize("locale", ["fa", "en"])
@pytest.mark.parametrize(
    ("template", "params"),
    [
        ("points_reversed", {"points": -12345, "balance": -123456}),
        ("points_refunded", {"points": 12345, "amount": 123456789, "balance": -123456}),
        (
            "voucher_cancelled",
            {"code": "K7QX2M9P", "reward": "Tea", "points": 12345, "balance": 123456},
        ),
    ],
)
def test_what_the_member_is_told_by_sms_fits_one_part(
    locale: str, template: str, params: dict[str, object]
) -> None:
    from zoneinfo import ZoneInfo

    from handlers.notifications import render
    from handlers.sms.text import sms_parts

    text = render(template, params, locale, sms=True, tz=ZoneInfo("Asia/Tehran"))
    assert sms_parts(text) == 1, text
