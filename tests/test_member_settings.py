"""Settings staff give a member in Telegram: a new card for a lost one (/newcard), a tier
floor the periodic review keeps (/tier), a company and its earning rate (/company), and
rewards kept for one customer type (/rewards for)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from aiogram.types import Update

from jobs import tiers as tier_review
from loyalty import rewards
from loyalty.errors import ErrorCode, LoyaltyError
from models import (
    AuditEntry,
    Branch,
    Card,
    CustomerType,
    Member,
    Reward,
    Staff,
    StaffRole,
    Tier,
    Voucher,
)
from tests.conftest import NOW
from tests.helpers import member as make_member
from tests.helpers import reward, set_rules
from tests.staff_harness import CASHIER, MANAGER, OWNER, Harness, harness

DAY = timedelta(days=1)
PHONE = "09121111111"


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


async def tier_of(member: Member) -> str:
    return (await Tier.get(id=(await Member.get(id=member.id)).tier_id)).code


async def again(h: Harness, user_id: int) -> list[str]:
    """The last update delivered once more, as Telegram does when a webhook answer is lost."""
    before = len(h.api.sent_to(user_id))
    update = Update.model_validate(h.api._updates[-1], context={"bot": h.bot})
    await h.dp.feed_update(h.bot, update)
    return [m.get("text") or "" for m in h.api.sent_to(user_id)[before:]]


# ---- the tier floor -----------------------------------------------------------------------------


async def test_a_tier_floor_holds_at_the_review_until_it_is_removed(h: Harness) -> None:
    m = await make_member(NOW, phone=PHONE, first_name="Sara")
    assert await h.send(CASHIER, f"/tier {PHONE} gold") == ["Not allowed."]
    assert await h.send(MANAGER, f"/tier {PHONE} gold") == [
        "Sara keeps at least Gold at every review. Tier: Gold."
    ]
    assert await tier_of(m) == "gold"  # a floor above the member's tier lifts them at once
    assert await tier_review.run(NOW + 2 * DAY) == 0
    assert await tier_review.run(NOW + 400 * DAY) == 0
    assert await tier_of(m) == "gold"
    audit = await AuditEntry.get(action="tier_floor")
    assert audit.details == {"member": m.id, "tier": "gold"}

    assert await h.send(MANAGER, f"/tier {PHONE} off") == [
        "Sara has no tier floor: from the next review the points decide. Tier: Gold."
    ]
    assert await tier_of(m) == "gold"  # downgrades wait for the review
    assert await tier_review.run(NOW + 401 * DAY) == 1
    assert await tier_of(m) == "bronze"


async def test_points_lift_a_member_above_the_floor_and_the_review_falls_back_to_it(
    h: Harness,
) -> None:
    m = await make_member(NOW, phone=PHONE, first_name="Sara")
    # By the tier's Persian name, typed with Persian digits in the phone.
    assert await h.send(OWNER, "/tier ۰۹۱۲۱۱۱۱۱۱۱ نقره‌ای", language="fa") == [
        "Sara در هر بازبینی دست‌کم در سطح نقره‌ای می‌ماند. سطح: نقره‌ای."
    ]
    # 16,842,200 toman less silver's 5% is 16,000,090 paid: 1,600 points × 1.25 (silver) =
    # 2,000 purchase points: gold.
    assert await h.send(MANAGER, f"/earn {PHONE} 16842200 R1") == [
        "Amount: 16,842,200\nSilver tier discount 5%: −842,110\nTo pay: 16,000,090\n"
        "Purchase recorded: 2,000 points earned. Balance: 2,020. Tier: Gold."
    ]
    assert await tier_review.run(NOW + DAY) == 0
    assert await tier_of(m) == "gold"
    # A year on the purchase is out of the window: down to the floor, not below it.
    assert await tier_review.run(NOW + 400 * DAY) == 1
    assert await tier_of(m) == "silver"


async def test_an_unknown_tier_and_a_missing_argument_change_nothing(h: Harness) -> None:
    m = await make_member(NOW, phone=PHONE)
    assert await h.send(MANAGER, f"/tier {PHONE} platinum") == ["There is no tier platinum."]
    assert await h.send(MANAGER, f"/tier {PHONE}") == ["Usage: /tier <member> <tier|off>"]
    assert await h.send(MANAGER, "/tier 09120000000 gold") == [
        "No member with that phone or card number."
    ]
    assert (await Member.get(id=m.id)).tier_floor_id is None
    assert not await AuditEntry.exists(action="tier_floor")


async def test_the_floor_in_persian_and_in_the_member_view(h: Harness) -> None:
    await make_member(NOW, phone=PHONE, first_name="سارا")
    assert await h.send(MANAGER, f"/tier {PHONE} Gold", language="fa") == [
        "سارا در هر بازبینی دست‌کم در سطح طلایی می‌ماند. سطح: طلایی."
    ]
    view = (await h.send(MANAGER, f"/member {PHONE}", language="fa"))[0]
    assert "کف سطح: طلایی" in view.splitlines()


async def test_a_branch_manager_sets_the_members_of_their_branch_only(h: Harness) -> None:
    other = await Branch.create(name="North")
    m = await make_member(NOW, phone=PHONE, first_name="Sara", branch_id=other.id)
    assert await h.send(MANAGER, f"/tier {PHONE} gold") == ["Not allowed."]
    assert await h.send(MANAGER, f"/company {PHONE} Acme") == ["Not allowed."]
    fresh = await Member.get(id=m.id)
    assert (fresh.tier_floor_id, fresh.company_name) == (None, "")
    assert await h.send(OWNER, f"/tier {PHONE} gold") == [
        "Sara keeps at least Gold at every review. Tier: Gold."
    ]


# ---- a new card for a lost one ------------------------------------------------------------------


async def test_a_cashier_replaces_a_lost_card_once_and_the_old_number_is_refused(
    h: Harness,
) -> None:
    m = await make_member(NOW, phone=PHONE, first_name="Sara")
    old = (await Card.get(member_id=m.id)).number
    replies = await h.send(CASHIER, f"/newcard {old}")
    new = (await Card.get(member_id=m.id, active=True)).number
    assert new != old
    assert replies == [f"New card for Sara: {new}. Card {old} no longer works."]
    # Telegram delivers the command again: the same answer, no third card.
    assert await again(h, CASHIER) == replies
    assert await Card.filter(member_id=m.id).count() == 2
    audit = await AuditEntry.get(action="card_replaced")
    assert audit.details == {"member": m.id, "old": old, "new": new}

    assert await h.send(CASHIER, f"/member {old}") == [
        f"Card {old} was replaced by a new card and no longer works."
    ]
    assert await h.send(CASHIER, f"/earn {old} 100000") == [
        f"Card {old} was replaced by a new card and no longer works."
    ]
    view = (await h.send(CASHIER, f"/member {new}"))[0].splitlines()
    assert f"Card: {new}" in view
    assert f"Card {old} replaced on 2026-03-01" in view
    fa = (await h.send(CASHIER, f"/member {new}", language="fa"))[0].splitlines()
    assert f"کارت {old} در ۱۴۰۴/۱۲/۱۰ جایگزین شد" in fa
    assert await h.send(CASHIER, f"/member {old}", language="fa") == [
        f"کارت {old} با کارت تازه‌ای جایگزین شده و دیگر کار نمی‌کند."
    ]


async def test_newcard_needs_a_member(h: Harness) -> None:
    assert await h.send(CASHIER, "/newcard") == ["Usage: /newcard <member>"]
    assert await h.send(CASHIER, "/newcard 09120000000") == [
        "No member with that phone or card number."
    ]
    assert not await AuditEntry.exists(action="card_replaced")


# ---- company customers --------------------------------------------------------------------------


async def test_a_company_customer_earns_by_the_companys_rate(h: Harness) -> None:
    m = await make_member(NOW, phone=PHONE, first_name="Sara")
    assert await h.send(MANAGER, f"/company {PHONE} rate 3") == [
        "This member is not a company customer: give the company's name first."
    ]
    assert await h.send(CASHIER, f"/company {PHONE} Acme Ltd") == ["Not allowed."]
    assert await h.send(MANAGER, f"/company {PHONE} Acme Ltd") == [
        "Sara is a company customer now, for Acme Ltd."
    ]
    assert await h.send(MANAGER, f"/company {PHONE} rate abc") == [
        "That value is not valid for earn_rate: send a number from 0 to 1,000."
    ]
    assert await h.send(MANAGER, f"/company {PHONE} rate ۳") == [
        "Sara earns 3 points per currency unit from now on."
    ]
    fresh = await Member.get(id=m.id)
    assert (fresh.customer_type, fresh.company_name, str(fresh.company_earn_rate)) == (
        CustomerType.COMPANY,
        "Acme Ltd",
        "3.0000",
    )
    # 250,000 toman is 25 currency units: 75 points at the company's rate, not 25.
    assert await h.send(CASHIER, f"/earn {PHONE} 250000 R1") == [
        "Purchase recorded: 75 points earned. Balance: 95. Tier: Bronze.\n"
        "Next tier: Silver, 425 points away."
    ]
    view = (await h.send(MANAGER, f"/member {PHONE}"))[0].splitlines()
    assert "Company: Acme Ltd" in view and "Company earning rate: 3" in view

    assert await h.send(MANAGER, f"/company {PHONE} rate club") == [
        "Sara earns by the club's rate again."
    ]
    assert await h.send(CASHIER, f"/earn {PHONE} 250000 R2") == [
        "Purchase recorded: 25 points earned. Balance: 120. Tier: Bronze.\n"
        "Next tier: Silver, 400 points away."
    ]
    assert await h.send(MANAGER, f"/company {PHONE} off") == ["Sara is an individual customer now."]
    fresh = await Member.get(id=m.id)
    assert (fresh.customer_type, fresh.company_name, fresh.company_earn_rate) == (
        CustomerType.INDIVIDUAL,
        "",
        None,
    )
    actions = await AuditEntry.filter(action__in=("member_company", "company_rate")).count()
    assert actions == 4


async def test_a_company_only_reward_is_refused_to_an_individual(h: Harness) -> None:
    await set_rules(signup_bonus=500)
    gift = await reward(100, name="Company hamper")
    person = await make_member(NOW, phone=PHONE)
    firm = await make_member(NOW, phone="09122222222")
    await h.send(MANAGER, "/company 09122222222 Acme")
    assert await h.send(CASHIER, f"/rewards for {gift.id} company") == ["Not allowed."]
    # The reward is for every branch: the owner's (a branch manager changes their branch's).
    assert await h.send(OWNER, f"/rewards for {gift.id} company") == [
        f"Reward #{gift.id} is for company customers only."
    ]
    assert await h.send(OWNER, f"/rewards for {gift.id} company", language="fa") == [
        f"جایزه #{_fa(gift.id)} فقط برای مشتریان شرکتی است."
    ]
    assert (await Reward.get(id=gift.id)).customer_type is CustomerType.COMPANY

    with pytest.raises(LoyaltyError) as refused:
        await rewards.redeem_reward(person.id, gift.id, now=NOW)
    assert refused.value.code is ErrorCode.CUSTOMER_TYPE_ONLY
    assert (await Member.get(id=person.id)).balance == 500
    assert gift.id not in {r.id for r in await rewards.affordable(person, now=NOW)}
    assert (await rewards.redeem_reward(firm.id, gift.id, now=NOW)).balance == 400

    assert await h.send(OWNER, f"/rewards for {gift.id} all") == [
        f"Reward #{gift.id} is for every member."
    ]
    assert (await rewards.redeem_reward(person.id, gift.id, now=NOW)).balance == 400


def _fa(n: int) -> str:
    from handlers.format import persian_digits

    return persian_digits(str(n))


# ---- the owner names a tier; members read it as typed ------------------------------------------


async def test_the_owner_renames_a_tier_in_settings_and_members_read_it_as_typed(db: str) -> None:
    from tests import test_member_dialogs as member_chat
    from tests import test_staff_dialogs as staff_chat

    owner = staff_chat.open_chat(OWNER, locale="fa")
    await owner.send("/settings")
    await owner.click("سطح‌ها")
    await owner.click("نقره‌ای")
    await owner.click("نامی که اعضا می‌بینند")
    assert owner.text == (
        "نامی که اعضا می‌بینند تازه را برای نقره‌ای بفرستید (اکنون -).\n"
        "برای نام معمول سطح در هر زبان، - بفرستید."
    )
    for too_long in ("x" * 51, "x" * 100):
        await owner.send(too_long)
        assert owner.answers()[-1] == "این متن خیلی طولانی است: حداکثر ۵۰ نویسه."
    await owner.send("  Silver   Star ")
    assert owner.text.startswith("ذخیره شد: نامی که اعضا می‌بینند.\nSilver Star: از ۵۰۰ امتیاز")
    assert (await Tier.get(code="silver")).name == "Silver Star"
    assert (await AuditEntry.get(action="tier_name")).details["name"] == "Silver Star"

    sara = await member_chat.joined("en")
    for locale in ("en", "fa"):
        await Member.filter(id=sara.id).update(locale=locale)
        chat = member_chat.open_chat()
        await chat.send("/start")
        await chat.click("My points" if locale == "en" else "امتیازهای من")
        assert ("to reach Silver Star." if locale == "en" else "Silver Star") in chat.text

    await owner.click("نامی که اعضا می‌بینند")
    await owner.send("-")
    assert (await Tier.get(code="silver")).name is None
    assert owner.text.startswith("ذخیره شد: نامی که اعضا می‌بینند.\nنقره‌ای: از ۵۰۰ امتیاز")


async def test_a_cashier_cannot_rename_a_tier(db: str) -> None:
    from loyalty.staff.club_settings import rename_tier

    branch = await Branch.first()
    cashier = await Staff.create(
        telegram_id=CASHIER, role=StaffRole.CASHIER, branch=branch, created_at=NOW
    )
    silver = await Tier.get(code="silver")
    with pytest.raises(LoyaltyError) as refused:
        await rename_tier(cashier, silver.id, "Mine", now=NOW)
    assert refused.value.code is ErrorCode.NOT_ALLOWED
    assert (await Tier.get(code="silver")).name is None


# ---- the birthday question promises a gift only when there is one ------------------------------


async def _birthday_question(locale: str) -> str:
    from tests import test_member_dialogs as member_chat

    chat = member_chat.open_chat()
    await chat.send("/start")
    await chat.click("English" if locale == "en" else "فارسی")
    await chat.contact("+989121234567")
    await chat.send("Sara")
    return chat.text


NO_GIFT = {
    "en": "When is your birthday? Type it like 1991-08-03, or skip.",
    "fa": "تاریخ تولدتان چه روزی است؟ آن را مانند ۱۳۷۰/۰۵/۱۲ بنویسید، یا رد شوید.",
}
GIFT = {
    "en": "When is your birthday? We have a gift for you on that day. Type it like "
    "1991-08-03, or skip.",
    "fa": "تاریخ تولدتان چه روزی است؟ آن روز هدیه‌ای برایتان داریم. آن را مانند "
    "۱۳۷۰/۰۵/۱۲ بنویسید، یا رد شوید.",
}


@pytest.mark.parametrize("locale", ["en", "fa"])
@pytest.mark.parametrize("gift", ["none", "points", "voucher"])
async def test_the_signup_promises_a_birthday_gift_only_when_one_is_set(
    db: str, locale: str, gift: str
) -> None:
    # A new club gives nothing on birthdays (birthday_bonus 0, no voucher): no promise.
    if gift == "points":
        await set_rules(birthday_bonus=50)
    elif gift == "voucher":
        await set_rules(birthday_reward_id=(await reward(10)).id)
    expected = NO_GIFT if gift == "none" else GIFT
    assert await _birthday_question(locale) == expected[locale]


# ---- the floor on both stores ------------------------------------------------------------------


async def test_the_review_keeps_the_floor_on_both_stores(any_db: str) -> None:
    from loyalty import earning
    from loyalty.staff.member_settings import set_tier_floor

    owner = Staff(name="owner", role=StaffRole.OWNER, active=True, telegram_id=0)
    floored = await make_member(NOW)
    free = await make_member(NOW)
    for m in (floored, free):
        await earning.award_purchase(m.id, 6_000_000, receipt=f"r{m.id}", now=NOW)
    assert {await tier_of(floored), await tier_of(free)} == {"silver"}
    await set_tier_floor(owner, floored.id, "silver", now=NOW)
    assert await tier_review.run(NOW + 400 * DAY) == 1  # only the member without a floor
    assert (await tier_of(floored), await tier_of(free)) == ("silver", "bronze")
    await set_tier_floor(owner, floored.id, None, now=NOW + 400 * DAY)
    assert await tier_review.run(NOW + 401 * DAY) == 1
    assert await tier_of(floored) == "bronze"


async def test_the_rewards_dialog_says_who_a_reward_is_for(h: Harness) -> None:
    from tests import test_staff_dialogs as staff_chat

    gift = await reward(100, name="Company hamper")
    await h.send(OWNER, f"/rewards for {gift.id} company")
    chat = staff_chat.open_chat(OWNER)
    await chat.send("/rewards")
    await chat.click("#1 Company hamper: 100 points")
    assert chat.text.endswith(
        "Valid until: no end date\nThis reward is for company customers only."
    )


@pytest.mark.parametrize(
    ("locale", "refusal"),
    [
        ("en", "This reward is for company customers only."),
        ("fa", "این جایزه فقط برای مشتریان شرکتی است."),
    ],
)
async def test_a_member_who_is_no_company_is_told_so_in_the_rewards_window(
    db: str, locale: str, refusal: str
) -> None:
    from tests import test_member_dialogs as member_chat

    await member_chat.joined(locale)
    await reward(15, name="Hamper", customer_type=CustomerType.COMPANY)
    chat = member_chat.open_chat()
    await chat.send("/start")
    await chat.click("Rewards" if locale == "en" else "جایزه‌ها")
    await chat.click(chat.buttons()[0])  # not marked ✅: not one the member can take
    await chat.click("Yes, redeem" if locale == "en" else "بله، می‌گیرم")
    assert chat.alerts()[-1] == refusal
    assert not await Voucher.exists()
