"""A member's whole life in the club by SMS only: join, earn, rewards, birthday, feedback, stop."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from itertools import count

from handlers.format import number
from handlers.i18n import t
from handlers.sms import keywords as kw
from handlers.sms.inbound import handle_inbound
from handlers.texts import error_text, tier_name
from loyalty import earning, members
from loyalty.errors import ErrorCode, LoyaltyError
from models import Card, Channel, InboxItem, Member, Voucher
from tests.conftest import NOW
from tests.helpers import reward

PHONE = "09121234567"
E164 = "+989121234567"


class Clock:
    """Members type slowly: each SMS a few minutes after the last, under the rate limit."""

    def __init__(self, start: datetime) -> None:
        self._minutes = count()
        self._start = start

    def next(self) -> datetime:
        return self._start + timedelta(minutes=3 * next(self._minutes))


async def test_a_member_life_by_sms_in_persian(db: str) -> None:
    clock = Clock(NOW)

    async def sms(text: str) -> str | None:
        return await handle_inbound(PHONE, text, now=clock.next())

    # A stranger asks for points: told how to join, in Persian.
    assert await sms("امتیاز") == "هنوز عضو نیستید. برای عضویت بفرستید: عضویت و نام خود"

    # Joins (typed with an Arabic yeh); the card number comes in Persian digits.
    reply = await sms("عضويت علی رضایی")
    member = await Member.get(phone=E164)
    card = await Card.get(member=member, active=True)
    persian_card = card.number.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    assert reply == f"خوش آمدید! کارت {persian_card}، ۲۰ امتیاز هدیه. کلمات: «راهنما»"
    assert (member.first_name, member.last_name) == ("علی", "رضایی")
    assert member.preferred_channel is Channel.SMS and member.locale == "fa"
    assert member.balance == 20

    assert await sms("عضویت") == f"شما عضو هستید. کارت {persian_card}، موجودی ۲۰ امتیاز."

    # A purchase at the till earns 25 points.
    await earning.award_purchase(member.id, 250_000, receipt="R1", now=clock.next())
    assert await sms("امتیاز") == t(
        kw.POINTS_NEXT,
        "fa",
        balance="۴۵",
        tier=tier_name("bronze", None, "fa"),
        to_next="۴۷۵",
        next=tier_name("silver", None, "fa"),
    )

    coffee = await reward(30, name="Coffee")
    cake = await reward(40, name="Cake")
    await reward(500, name="Hamper")  # too dear: not listed
    assert await sms("جوایز") == (
        "برای گرفتن جایزه بفرستید: دریافت و شماره\n"
        f"{number(coffee.id, 'fa')}. Coffee (۳۰)\n"
        f"{number(cake.id, 'fa')}. Cake (۴۰)"
    )

    # Redeems the coffee by its number, typed in Persian digits.
    reply = await sms(f"دریافت {number(coffee.id, 'fa')}")
    voucher = await Voucher.get(member=member)
    assert voucher.reward_id == coffee.id
    assert reply == f"کوپن {voucher.code}: Coffee، تا ۱۴۰۵/۰۱/۱۱. موجودی ۱۵."
    assert (await Member.get(id=member.id)).balance == 15

    # The cake is now too dear: refused, nothing changes.
    assert await sms(f"دریافت {cake.id}") == error_text(
        LoyaltyError(ErrorCode.NOT_ENOUGH_POINTS, balance=15, needed=40), "fa"
    )
    assert await sms("دریافت 999") == error_text(LoyaltyError(ErrorCode.REWARD_NOT_FOUND), "fa")
    assert await sms("دریافت") == "شماره جایزه را بفرستید، مثل: دریافت ۲ (فهرست: جوایز)"
    assert await Voucher.filter(member=member).count() == 1
    assert (await Member.get(id=member.id)).balance == 15

    # Birthday in Jalali with Persian digits; a bad date gets an example.
    assert await sms("تولد ۱۳۷۰/۰۵/۱۲") == "تاریخ تولد ثبت شد: ۱۳۷۰/۰۵/۱۲"
    assert (await Member.get(id=member.id)).birth_date == date(1991, 8, 3)
    assert await sms("تولد فردا") == "تاریخ را این‌طور بفرستید: تولد ۱۳۷۰/۰۵/۱۲"
    assert (await Member.get(id=member.id)).birth_date == date(1991, 8, 3)

    # Feedback reaches the staff inbox, with the day's thank-you points.
    assert await sms("نظر نان‌ها عالی بود") == "سپاس! پیام شما به باشگاه رسید. ۵ امتیاز هدیه."
    item = await InboxItem.get(member=member)
    assert (item.text, item.channel) == ("نان‌ها عالی بود", Channel.SMS)
    assert await sms("نظر باز هم ممنون") == "سپاس! پیام شما به باشگاه رسید."
    assert await sms("نظر") == "متن را بعد از کلمه «نظر» بفرستید."
    assert (await Member.get(id=member.id)).balance == 20

    # Stop and start campaigns by SMS; answers to requests go on.
    assert await sms("۱۱") == "دیگر پیامک تبلیغاتی نمی‌فرستیم. برای دریافت دوباره ۱۲ بفرستید."
    assert (await Member.get(id=member.id)).consent_sms is False
    assert await sms("امتیاز") is not None
    assert await sms("12") == "پیامک‌های تبلیغاتی دوباره فعال شد. برای لغو ۱۱ بفرستید."
    assert (await Member.get(id=member.id)).consent_sms is True
    assert await sms("لغو") == "دیگر پیامک تبلیغاتی نمی‌فرستیم. برای دریافت دوباره ۱۲ بفرستید."
    assert (await Member.get(id=member.id)).consent_sms is False

    assert (
        await sms("راهنما")
        == "عضویت، امتیاز، جوایز، دریافت ۲، تولد، نظر، کارت کد، اهدا ۲۰، لغو، ۱۲"
    )


async def test_a_member_who_joins_in_english_is_answered_in_english(db: str) -> None:
    clock = Clock(NOW)

    async def sms(text: str) -> str | None:
        return await handle_inbound("+98 935 123 4567", text, now=clock.next())

    assert await sms("points") == "هنوز عضو نیستید. برای عضویت بفرستید: عضویت و نام خود"
    reply = await sms("JOIN Sam Rad")
    member = await Member.get(phone="+989351234567")
    card = await Card.get(member=member, active=True)
    assert reply == f"Welcome! Card {card.number}, 20 points gift. Send HELP for keywords."
    assert member.locale == "en"
    # Persian keywords work too; the answer follows the member's language.
    assert await sms("امتیاز") == (
        f"20 points. Tier {tier_name('bronze', None, 'en')}; 500 more points to "
        f"{tier_name('silver', None, 'en')}."
    )
    assert await sms("rewards") == "No reward within your 20 points yet."
    assert await sms("BIRTHDAY 1991-08-03") == "Birthday saved: 1991-08-03."
    assert await sms("birthday 2030-01-01") == error_text(
        LoyaltyError(ErrorCode.INVALID_DATE), "en"
    )
    assert await sms("STOP") == "No more club offers by SMS. Send 12 to get them again."
    assert await sms("START") == "Club offers by SMS are on again. Send 11 to stop them."
    assert await sms("help") == (
        "Keywords: JOIN [code] name, POINTS, REWARDS, REDEEM n, "
        "BIRTHDAY 1991-08-03, FEEDBACK text, GIFT code, GIVE n, STOP, START. "
        "Survey: send a number."
    )


async def test_sms_member_who_opens_telegram_is_one_member(db: str) -> None:
    await handle_inbound(PHONE, "عضویت", now=NOW)
    linked = await members.register_member("+989121234567", telegram_id=777, now=NOW)
    assert linked.created is False
    assert await Member.all().count() == 1
    assert (await Member.get(phone=E164)).telegram_id == 777


async def test_a_bad_name_is_refused_in_persian(db: str) -> None:
    reply = await handle_inbound(PHONE, "عضویت " + "ا" * 80, now=NOW)
    assert reply == error_text(LoyaltyError(ErrorCode.INVALID_NAME, max=64), "fa")
    assert await Member.all().count() == 0
