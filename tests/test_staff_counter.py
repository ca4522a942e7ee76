"""Staff commands at the counter, through a dispatcher and the fake Bot API."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from aiogram.types import Update

from handlers.telegram.staff.common import ident
from loyalty import earning, ledger
from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.staff import counter, figures
from models import (
    AuditEntry,
    Branch,
    ClubRules,
    LedgerEntry,
    Member,
    OutboxMessage,
    PendingApproval,
    Purchase,
    Staff,
    StaffRole,
)
from tests.conftest import NOW
from tests.helpers import member as make_member
from tests.helpers import reward, set_rules
from tests.staff_harness import CASHIER, MANAGER, OWNER, STRANGER, Harness, harness

pytestmark = pytest.mark.asyncio


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


async def test_earn_by_cashier_with_persian_digits_and_tier(h: Harness) -> None:
    m = await make_member(NOW, phone="09121111111", first_name="Sara")
    replies = await h.send(CASHIER, "/earn ۰۹۱۲۱۱۱۱۱۱۱ 250000 R1")
    assert replies == [
        "Purchase recorded: 25 points earned. Balance: 45. Tier: Bronze.\n"
        "Next tier: Silver, 475 points away."
    ]
    assert (await Member.get(id=m.id)).balance == 45
    assert await OutboxMessage.filter(member_id=m.id, template="points_earned").count() == 1
    assert await AuditEntry.filter(action="earn").count() == 1


async def test_duplicate_receipt_awards_once(h: Harness) -> None:
    m = await make_member(NOW, phone="09121111111")
    await h.send(CASHIER, "/earn 09121111111 100000 R1")
    replies = await h.send(CASHIER, "/earn 09121111111 100000 R1")
    assert replies == [
        "This receipt was already recorded: 10 points were earned then. Balance: 30. Tier: Bronze."
    ]
    assert (await Member.get(id=m.id)).balance == 30
    assert await Purchase.all().count() == 1


async def test_earn_without_receipt_delivered_twice_awards_once(h: Harness) -> None:
    """Telegram sends an update again after a crash; the message itself keys the purchase."""
    m = await make_member(NOW, phone="09121111111")
    update = h.api.push_message(CASHIER, "/earn 09121111111 100000", language_code="en")
    replies = []
    for _ in range(2):
        before = len(h.api.sent_to(CASHIER))
        await h.dp.feed_update(h.bot, Update.model_validate(update, context={"bot": h.bot}))
        replies += [message["text"] for message in h.api.sent_to(CASHIER)[before:]]
    assert (
        replies
        == [
            "Purchase recorded: 10 points earned. Balance: 30. Tier: Bronze.\n"
            "Next tier: Silver, 490 points away."
        ]
        * 2
    )
    assert (await Member.get(id=m.id)).balance == 30
    assert await Purchase.all().count() == 1
    # Another message with the same words is another purchase.
    assert await h.send(CASHIER, "/earn 09121111111 100000") == [
        "Purchase recorded: 10 points earned. Balance: 40. Tier: Bronze.\n"
        "Next tier: Silver, 480 points away."
    ]
    assert await Purchase.all().count() == 2


async def test_refund_and_adjust_delivered_twice_change_the_balance_once(h: Harness) -> None:
    m = await make_member(NOW, phone="09121111111")
    await h.send(CASHIER, "/earn 09121111111 1000000 R1")  # 100 points: 120
    for text, reply in (
        ("/refund R1 400000", "Refund recorded: 40 points taken back. Balance: 80."),
        ("/adjust 09121111111 +7 welcome back", "Correction #"),
    ):
        update = h.api.push_message(MANAGER, text, language_code="en")
        for _ in range(2):
            before = len(h.api.sent_to(MANAGER))
            await h.dp.feed_update(h.bot, Update.model_validate(update, context={"bot": h.bot}))
            assert h.api.sent_to(MANAGER)[before]["text"].startswith(reply)
    assert (await Member.get(id=m.id)).balance == 87
    assert (await Purchase.get(receipt="R1")).refunded_amount == 400000
    assert await LedgerEntry.filter(member_id=m.id, kind="refund").count() == 1
    assert await LedgerEntry.filter(member_id=m.id, kind="adjust").count() == 1
    # The audit trail records each action once too, as the ledger does.
    actions = await AuditEntry.all().order_by("id").values_list("action", flat=True)
    assert actions == ["earn", "refund", "adjust"]


async def test_the_tier_held_at_the_purchase_gives_its_discount(h: Harness) -> None:
    await make_member(NOW, phone="09121111111")
    # Bronze has no discount: the purchase that reaches Silver pays in full.
    assert await h.send(MANAGER, "/earn 09121111111 6000000 R9") == [
        "Purchase recorded: 600 points earned. Balance: 620. Tier: Silver.\n"
        "Next tier: Gold, 1,400 points away."
    ]
    # Silver's 5%: 300,000 off 6,000,000; 5,700,000 / 10,000 × 1.25 = 712.5 → 712.
    assert await h.send(MANAGER, "/earn 09121111111 6000000 R10") == [
        "Amount: 6,000,000\n"
        "Silver tier discount 5%: −300,000\n"
        "To pay: 5,700,000\n"
        "Purchase recorded: 712 points earned. Balance: 1,332. Tier: Silver.\n"
        "Next tier: Gold, 688 points away."
    ]


async def test_stranger_is_refused_and_nothing_changes(h: Harness) -> None:
    m = await make_member(NOW, phone="09121111111")
    for command in (
        "/earn 09121111111 100000",
        "/refund R1",
        "/adjust 09121111111 +5 gift",
        "/undo 1",
        "/redeem ABCD",
        "/member 09121111111",
    ):
        assert await h.send(STRANGER, command) == ["Not allowed."]
    assert (await Member.get(id=m.id)).balance == 20
    assert await Purchase.all().count() == 0


async def test_usage_and_bad_input(h: Harness) -> None:
    await make_member(NOW, phone="09121111111")
    assert await h.send(CASHIER, "/earn") == [
        "Usage: /earn <member> <amount> [receipt] [group] [code=X]"
    ]
    assert await h.send(CASHIER, "/earn 09121111111 lots") == [
        "The amount must be a positive whole number."
    ]
    assert await h.send(CASHIER, "/earn 0912999 100") == ["That is not a valid mobile number."]
    assert await h.send(CASHIER, "/earn 09350000000 100") == [
        "No member with that phone or card number."
    ]
    # The tier's own name comes from the core catalogue.
    (persian,) = await h.send(CASHIER, "/earn 09121111111 100", language="fa")
    assert persian.startswith("خرید ثبت شد: ۰ امتیاز. موجودی: ۲۰. سطح: ")
    assert await h.send(STRANGER, "/earn 09121111111 100", language="fa") == ["اجازه ندارید."]


async def test_refund_in_part_and_in_full(h: Harness) -> None:
    await make_member(NOW, phone="09121111111")
    await h.send(CASHIER, "/earn 09121111111 1000000 R1")
    assert await h.send(CASHIER, "/refund R1 400000") == [
        "Refund recorded: 40 points taken back. Balance: 80."
    ]
    assert await h.send(CASHIER, "/refund R1") == [
        "Refund recorded: 60 points taken back. Balance: 20."
    ]
    assert await h.send(CASHIER, "/refund R1") == [
        "This purchase has already been refunded in full."
    ]
    assert await h.send(CASHIER, "/refund") == ["Usage: /refund <receipt> [amount|all] [branch]"]


async def test_adjust_and_undo_for_managers_only(h: Harness) -> None:
    m = await make_member(NOW, phone="09121111111")
    assert await h.send(CASHIER, "/adjust 09121111111 +50 gift") == ["Not allowed."]
    replies = await h.send(MANAGER, "/adjust 09121111111 +50 apology for the wait")
    entry = await LedgerEntry.get(kind="adjust")
    assert replies == [f"Correction #{entry.id}: +50 points. Balance: 70."]
    assert await h.send(CASHIER, f"/undo {entry.id}") == ["Not allowed."]
    replies = await h.send(OWNER, f"/undo {entry.id}")
    reversal = await LedgerEntry.get(kind="reverse")
    assert replies == [
        f"Transaction #{entry.id} undone by #{reversal.id}: -50 points. Balance: 20."
    ]
    assert await h.send(OWNER, f"/undo {entry.id}") == ["That transaction has already been undone."]
    assert await h.send(MANAGER, "/adjust 09121111111 50 gift") == [
        "Usage: /adjust <member> <+N|-N> <reason>"
    ]
    assert (await Member.get(id=m.id)).balance == 20
    actions = await AuditEntry.all().order_by("id").values_list("action", flat=True)
    assert [a for a in actions if a in ("adjust", "undo")] == ["adjust", "undo"]


async def test_redeem_voucher(h: Harness) -> None:
    from loyalty.rewards import redeem_reward

    m = await make_member(NOW, phone="09121111111")
    prize = await reward(10, name="Coffee")
    redemption = await redeem_reward(m.id, prize.id, now=NOW)
    code = redemption.voucher.code
    assert await h.send(CASHIER, f"/redeem {code.lower()}") == [
        f"Voucher {code} accepted: give Coffee."
    ]
    assert await h.send(CASHIER, f"/redeem {code}") == ["This voucher has already been used."]
    assert await h.send(STRANGER, f"/redeem {code}") == ["Not allowed."]


async def test_member_profile_hides_private_fields_from_cashiers(h: Harness) -> None:
    from datetime import date

    m = await make_member(NOW, phone="09121111111", first_name="Sara", last_name="Karimi")
    await Member.filter(id=m.id).update(birth_date=date(1990, 3, 20), gender="female")
    card = (await m.cards.all())[0].number
    signup = await LedgerEntry.get(member_id=m.id)
    cashier_view = await h.send(CASHIER, f"/member {card}")
    assert cashier_view == [
        f"Sara Karimi\nCard: {card}\nTier: Bronze\nBalance: 20 points\nLast transactions:\n"
        f"#{signup.id} 2026-03-01 +20 for joining"
    ]
    manager_view = await h.send(MANAGER, "/member 09121111111")
    assert manager_view == [
        f"Sara Karimi\nCard: {card}\nTier: Bronze\nBalance: 20 points\nBirthday: "
        "1990-03-20\nGender: female\n"
        f"Last transactions:\n#{signup.id} 2026-03-01 +20 for joining"
    ]


async def test_cashier_over_the_daily_cap_waits_for_approval(h: Harness) -> None:
    await set_rules(cashier_daily_cap=100)
    m = await make_member(NOW, phone="09121111111", first_name="Sara")
    h.api.add_user(MANAGER)
    h.api.add_user(OWNER)
    assert await h.send(CASHIER, "/earn 09121111111 800000 R1") == [
        "Purchase recorded: 80 points earned. Balance: 100. Tier: Bronze.\n"
        "Next tier: Silver, 420 points away."
    ]
    replies = await h.send(CASHIER, "/earn 09121111111 300000 R2")
    held = await PendingApproval.get()
    assert replies == [
        f"Over the daily cap: this purchase waits for a manager's approval (request {held.id})."
    ]
    assert (await Member.get(id=m.id)).balance == 100
    ask = h.api.last_message(MANAGER)
    assert (
        ask["text"]
        == f"Approval needed (request {held.id}): Kaveh records a purchase of 300,000 for Sara: "
        "30 points."
    )
    assert h.api.last_message(OWNER)["text"] == ask["text"]
    # the same receipt again does not make a second request
    await h.send(CASHIER, "/earn 09121111111 300000 R2")
    assert await PendingApproval.all().count() == 1
    await h.click(MANAGER, ask["message_id"], f"staff:approve:{held.id}")
    decided = f"Request {held.id} approved: 30 points earned. Balance: 130."
    assert h.api.last_message(MANAGER)["text"] == decided
    assert h.api.last_message(CASHIER)["text"] == decided
    assert (await Member.get(id=m.id)).balance == 130
    assert (await PendingApproval.get()).status == "approved"
    purchase = await Purchase.get(receipt="R2")
    assert purchase.staff_id == (await Staff.get(telegram_id=CASHIER)).id


async def test_an_approved_purchase_gets_the_discounts_in_force(h: Harness) -> None:
    await set_rules(cashier_daily_cap=10)
    m = await make_member(NOW, phone="09121111111", first_name="Sara")
    h.api.add_user(MANAGER)
    await h.send(OWNER, "/discounts spend 300000 10")
    await h.send(CASHIER, "/earn 09121111111 300000 R2")
    held = await PendingApproval.get()
    await h.click(MANAGER, h.api.last_message(MANAGER)["message_id"], f"staff:approve:{held.id}")
    # 10% off 300,000: 270,000 paid, 27 points.
    assert h.api.last_message(CASHIER)["text"] == (
        f"Request {held.id} approved: 27 points earned. Balance: 47."
    )
    message = await OutboxMessage.get(member_id=m.id, template="points_earned")
    assert (message.params["paid"], message.params["discounts"][0]["amount"]) == (270_000, 30_000)


async def test_rejected_request_changes_nothing(h: Harness) -> None:
    await set_rules(cashier_daily_cap=10)
    m = await make_member(NOW, phone="09121111111")
    h.api.add_user(MANAGER)
    h.api.add_user(OWNER)
    await h.send(CASHIER, "/earn 09121111111 300000 R2")
    held = await PendingApproval.get()
    ask = h.api.last_message(MANAGER)
    await h.click(MANAGER, ask["message_id"], f"staff:reject:{held.id}")
    assert h.api.last_message(MANAGER)["text"] == f"Request {held.id} rejected."
    assert (await Member.get(id=m.id)).balance == 20
    assert await Purchase.all().count() == 0


async def test_the_daily_cap_and_the_report_count_from_the_local_midnight(any_db: str) -> None:
    kaveh = await Staff.create(telegram_id=5, name="Kaveh", role=StaffRole.CASHIER, created_at=NOW)
    leila = await Staff.create(telegram_id=6, name="Leila", role=StaffRole.CASHIER, created_at=NOW)
    m = await make_member(NOW)
    midnight = datetime(2026, 2, 28, 20, 30, tzinfo=UTC)  # 1 March begins in Tehran
    for receipt, amount, cashier, at in [
        ("A", 100_000, kaveh, midnight - timedelta(seconds=1)),
        ("B", 200_000, kaveh, midnight),
        ("C", 300_000, kaveh, NOW),
        ("D", 400_000, leila, NOW),
    ]:
        await earning.award_purchase(m.id, amount, receipt=receipt, staff_id=cashier.id, now=at)
    tehran = ZoneInfo("Asia/Tehran")
    assert await counter.issued_today(kaveh.id, tehran, NOW) == 20 + 30
    assert await counter.issued_today(leila.id, tehran, NOW) == 40
    owner = await Staff.create(telegram_id=7, name="Nasrin", role=StaffRole.OWNER, created_at=NOW)
    today = await figures.report(owner, 1, tz=tehran, now=NOW)
    assert today.points_issued == 20 + 30 + 40 + 20  # B, C, D and the sign-up bonus, not A


async def test_earns_at_once_cannot_pass_the_daily_cap_together(any_db: str) -> None:
    # Five purchases of 30 points sent at once by one cashier with a cap of 100: three are
    # recorded (90), and two wait for a manager, whatever order they run in.
    await set_rules(cashier_daily_cap=100)
    kaveh = await Staff.create(telegram_id=5, name="Kaveh", role=StaffRole.CASHIER, created_at=NOW)
    m = await make_member(NOW)
    outcomes = await asyncio.gather(
        *(
            counter.earn(kaveh, m, 300_000, f"R{i}", tz=ZoneInfo("Asia/Tehran"), now=NOW)
            for i in range(5)
        )
    )
    assert sorted(o.result.points if o.result else 0 for o in outcomes) == [0, 0, 30, 30, 30]
    assert await counter.issued_today(kaveh.id, ZoneInfo("Asia/Tehran"), NOW) == 90
    assert await PendingApproval.filter(staff_id=kaveh.id, status="pending").count() == 2
    assert (await Member.get(id=m.id)).balance == m.balance + 90 == await ledger.ledger_sum(m.id)


async def test_one_receipt_sent_twice_at_once_by_a_cashier_is_recorded_once(any_db: str) -> None:
    kaveh = await Staff.create(telegram_id=5, name="Kaveh", role=StaffRole.CASHIER, created_at=NOW)
    m = await make_member(NOW)
    first, second = await asyncio.gather(
        *(
            counter.earn(kaveh, m, 300_000, "R1", tz=ZoneInfo("Asia/Tehran"), now=NOW)
            for _ in range(2)
        )
    )
    assert first.result is not None and second.result is not None
    assert first.result.purchase.id == second.result.purchase.id
    assert sorted([first.result.replayed, second.result.replayed]) == [False, True]
    assert (await Member.get(id=m.id)).balance == m.balance + 30 == await ledger.ledger_sum(m.id)
    assert await AuditEntry.filter(action="earn").count() == 1


# ---- the maximum purchase, and approvals that are one transaction with the purchase ------------


def _alert(h: Harness) -> str:
    """The text of the last answer to a button press (an alert)."""
    return list(h.api.callback_answers.values())[-1]["text"]


async def _press(
    h: Harness, user_id: int, message_id: int, data: str, *, language: str = "en"
) -> None:
    """A press of a button since edited away (a double tap, a slow client)."""
    h.api.push_callback(user_id, message_id, data, check_button=False)
    update = h.api._updates[-1]
    update["callback_query"]["from"]["language_code"] = language
    await h.dp.feed_update(h.bot, Update.model_validate(update, context={"bot": h.bot}))


async def _held_request(h: Harness, amount: str = "300000") -> PendingApproval:
    await set_rules(cashier_daily_cap=10)
    h.api.add_user(MANAGER)
    h.api.add_user(OWNER)
    await h.send(CASHIER, f"/earn 09121111111 {amount} R2")
    return await PendingApproval.get()


async def test_an_amount_above_the_maximum_purchase_is_refused_with_the_limit(h: Harness) -> None:
    m = await make_member(NOW, phone="09121111111")
    refused = "The amount is above the club's maximum purchase of 1,000,000,000."
    for user in (CASHIER, MANAGER):
        for amount in ("999999999999999999999", "9223372036854775807", "1000000001"):
            assert await h.send(user, f"/earn 09121111111 {amount} R1") == [refused]
    assert await h.send(CASHIER, "/earn 09121111111 ۹۹۹۹۹۹۹۹۹۹۹۹۹۹۹۹۹۹۹۹۹", language="fa") == [
        "مبلغ بیشتر از سقف خرید باشگاه (۱٬۰۰۰٬۰۰۰٬۰۰۰) است."
    ]
    assert await h.send(CASHIER, "/earn 09121111111 ²³ R1") == [
        "The amount must be a positive whole number."
    ]
    assert await PendingApproval.all().count() == 0
    assert await Purchase.all().count() == 0
    assert (await Member.get(id=m.id)).balance == 20
    # The owner raises the limit: the same purchase is recorded.
    replies = await h.send(OWNER, "/settings max_purchase ۲٬۰۰۰٬۰۰۰٬۰۰۰")
    assert "Maximum purchase (toman): 2,000,000,000 (/settings max_purchase)" in replies[0].split(
        "\n"
    )
    assert await h.send(MANAGER, "/earn 09121111111 1000000001 R1") == [
        ("Purchase recorded: 100,000 points earned. Balance: 100,020. Tier: Gold.")
    ]


async def test_the_maximum_purchase_setting_is_bounded(h: Harness) -> None:
    for value in ("0", "-5", "100000000001", "99999999999999999999999"):
        assert await h.send(OWNER, f"/settings max_purchase {value}") == [
            "That value is not valid for max_purchase: send a number from 1 to 100,000,000,000."
        ]
    assert await h.send(OWNER, "/settings max_purchase 0", language="fa") == [
        "این مقدار برای max_purchase معتبر نیست: عددی از ۱ تا ۱۰۰٬۰۰۰٬۰۰۰٬۰۰۰ بفرستید."
    ]
    assert await h.send(OWNER, "/settings signup_bonus 99999999999") == [
        "That value is not valid for signup_bonus: send a number from 0 to 2,147,483,647."
    ]
    assert await h.send(OWNER, "/settings earn_rate NaN") == [
        "That value is not valid for earn_rate."
    ]
    rules = await ClubRules.get(id=1)
    assert (rules.max_purchase, rules.signup_bonus) == (1_000_000_000, 20)


async def test_refund_and_adjust_amounts_are_bounded_with_the_limit_named(h: Harness) -> None:
    m = await make_member(NOW, phone="09121111111")
    await h.send(CASHIER, "/earn 09121111111 1000000 R1")
    assert await h.send(CASHIER, "/refund R1 999999999999999999999") == [
        "Only 1,000,000 of this purchase is left to refund."
    ]
    assert await h.send(MANAGER, "/adjust 09121111111 +1000001 generous") == [
        "A correction can change at most 1,000,000 points."
    ]
    huge = "-99999999999999999999999"
    assert await h.send(MANAGER, f"/adjust 09121111111 {huge} oops", language="fa") == [
        "هر اصلاح حداکثر ۱٬۰۰۰٬۰۰۰ امتیاز را تغییر می‌دهد."
    ]
    assert await h.send(MANAGER, "/adjust 09121111111 +² gift") == [
        "The amount must be a positive whole number."
    ]
    assert (await Member.get(id=m.id)).balance == 120
    assert (await Purchase.get(receipt="R1")).refunded_amount == 0


async def test_an_approval_whose_purchase_is_refused_stays_pending_and_says_why(h: Harness) -> None:
    m = await make_member(NOW, phone="09121111111")
    held = await _held_request(h)
    ask = h.api.last_message(MANAGER)
    await set_rules(max_purchase=100_000)  # lowered after the request was made
    await h.click(MANAGER, ask["message_id"], f"staff:approve:{held.id}")
    assert _alert(h) == (
        f"Request {held.id} was not approved: "
        "The amount is above the club's maximum purchase of 100,000."
    )
    assert (await PendingApproval.get()).status == "pending"
    assert await Purchase.all().count() == 0
    assert h.api.last_message(CASHIER)["text"].startswith("Over the daily cap")
    # A member deleted meanwhile: refused too, in the presser's language.
    await set_rules(max_purchase=1_000_000_000)
    from loyalty.erasure import delete_member_data

    await delete_member_data(m.id, now=NOW)
    asked = h.api.last_message(OWNER)["message_id"]
    await _press(h, OWNER, asked, f"staff:approve:{held.id}", language="fa")
    assert _alert(h) == (
        f"درخواست {ident(held.id, 'fa')} تأیید نشد: عضوی با این شماره تلفن یا شماره کارت پیدا نشد."
    )
    assert (await PendingApproval.get()).status == "pending"
    assert await Purchase.all().count() == 0
    # It can still be rejected.
    await h.click(MANAGER, ask["message_id"], f"staff:reject:{held.id}")
    assert (await PendingApproval.get()).status == "rejected"


async def test_a_decision_pressed_twice_records_one_purchase(h: Harness) -> None:
    m = await make_member(NOW, phone="09121111111")
    held = await _held_request(h)
    ask = h.api.last_message(MANAGER)
    await h.click(MANAGER, ask["message_id"], f"staff:approve:{held.id}")
    await _press(h, MANAGER, ask["message_id"], f"staff:approve:{held.id}")
    assert _alert(h) == f"Request {held.id} was already approved."
    await h.click(OWNER, h.api.last_message(OWNER)["message_id"], f"staff:reject:{held.id}")
    assert _alert(h) == f"Request {held.id} was already approved."
    assert (await PendingApproval.get()).status == "approved"
    assert await Purchase.all().count() == 1
    assert (await Member.get(id=m.id)).balance == 50


async def test_a_rejected_request_cannot_be_approved_later(h: Harness) -> None:
    m = await make_member(NOW, phone="09121111111")
    held = await _held_request(h)
    ask = h.api.last_message(MANAGER)
    await h.click(MANAGER, ask["message_id"], f"staff:reject:{held.id}")
    await h.click(OWNER, h.api.last_message(OWNER)["message_id"], f"staff:approve:{held.id}")
    assert _alert(h) == f"Request {held.id} was already rejected."
    assert (await PendingApproval.get()).status == "rejected"
    assert await Purchase.all().count() == 0
    assert (await Member.get(id=m.id)).balance == 20


async def _manager(n: int) -> Staff:
    return await Staff.create(
        telegram_id=60 + n, name=f"M{n}", role=StaffRole.MANAGER, created_at=NOW
    )


async def test_decisions_at_once_record_one_purchase(any_db: str) -> None:
    await set_rules(cashier_daily_cap=10)
    branch = await Branch.first()
    kaveh = await Staff.create(
        telegram_id=5, name="Kaveh", role=StaffRole.CASHIER, branch=branch, created_at=NOW
    )
    managers = [await _manager(i) for i in range(4)]
    m = await make_member(NOW)
    tehran = ZoneInfo("Asia/Tehran")
    for approve_all in (True, False):
        outcome = await counter.earn(kaveh, m, 300_000, f"R{approve_all}", tz=tehran, now=NOW)
        held = outcome.pending
        assert held is not None
        verdicts = [True] * 4 if approve_all else [True, False, True, False]
        results = await asyncio.gather(
            *(
                counter.decide(x, held.id, ok, now=NOW)
                for x, ok in zip(managers, verdicts, strict=True)
            ),
            return_exceptions=True,
        )
        decided = [r for r in results if not isinstance(r, BaseException)]
        assert len(decided) == 1, results
        status = (await PendingApproval.get(id=held.id)).status
        told = {r.code for r in results if isinstance(r, LoyaltyError)}
        loser = ErrorCode.ALREADY_APPROVED if status == "approved" else ErrorCode.ALREADY_REJECTED
        assert told == {loser}
        assert await Purchase.filter(receipt=f"R{approve_all}").count() == (status == "approved")
    approved = await PendingApproval.filter(status="approved").count()
    balance = (await Member.get(id=m.id)).balance
    assert balance == await ledger.ledger_sum(m.id) == m.balance + 30 * approved


async def test_approvals_at_once_of_a_refused_purchase_all_refuse(any_db: str) -> None:
    await set_rules(cashier_daily_cap=10)
    kaveh = await Staff.create(telegram_id=5, name="Kaveh", role=StaffRole.CASHIER, created_at=NOW)
    managers = [await _manager(i) for i in range(3)]
    m = await make_member(NOW)
    tehran = ZoneInfo("Asia/Tehran")
    held = (await counter.earn(kaveh, m, 300_000, "R1", tz=tehran, now=NOW)).pending
    assert held is not None
    await set_rules(max_purchase=100_000)
    results = await asyncio.gather(
        *(counter.decide(x, held.id, True, now=NOW) for x in managers), return_exceptions=True
    )
    assert [r.code for r in results] == [ErrorCode.APPROVAL_REFUSED] * 3  # type: ignore[union-attr]
    assert (await PendingApproval.get(id=held.id)).status == "pending"
    assert await Purchase.all().count() == 0
    assert await AuditEntry.filter(action="approval_approved").count() == 0
