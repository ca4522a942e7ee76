"""The member's dialogs through aiogram-dialog's test tools: text sent, buttons clicked by label."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

import pytest
from aiogram.types import (
    Chat,
    ChatMemberBanned,
    ChatMemberMember,
    Contact,
    Message,
    PhotoSize,
    ReplyKeyboardMarkup,
    Update,
    User,
)
from aiogram_dialog.test_tools import BotClient, MockMessageManager
from aiogram_dialog.test_tools.keyboard import InlineButtonTextLocator
from aiogram_dialog.test_tools.memory_storage import JsonMemoryStorage

from bot.app import build_bot, build_dispatcher
from bot.sandbox import LocalSession
from bot.settings import Settings
from handlers.telegram.middlewares import MemoryFloodCounter, ThrottleMiddleware
from loyalty import earning
from loyalty.clock import utcnow
from models import (
    Card,
    CustomerType,
    Gender,
    InboxItem,
    InboxKind,
    LedgerEntry,
    Member,
    ProductGroup,
    Voucher,
)
from tests import helpers
from tests.conftest import NOW

USER = 4242
SETTINGS = Settings(_env_file=None, bot_token=None, default_locale="fa")
_ids = itertools.count(10_000)


@dataclass
class Chat_:
    client: BotClient
    mm: MessageManager
    session: LocalSession

    @property
    def text(self) -> str:
        return self.mm.last_message().text or self.mm.last_message().caption or ""

    def buttons(self) -> list[str]:
        markup = self.mm.last_message().reply_markup or self.mm.reply_keyboard
        rows = getattr(markup, "inline_keyboard", None) or getattr(markup, "keyboard", None) or []
        return [button.text for row in rows for button in row]

    async def send(self, text: str) -> None:
        self.mm.reset_history()
        self.mm.reply_keyboard = None
        await self.client.send(text)

    async def click(self, label: str) -> None:
        message = self.mm.last_message()
        self.mm.reset_history()
        await self.client.click(message, InlineButtonTextLocator(f"^{label}$"))

    async def feed(self, **content: object) -> None:
        self.mm.reset_history()
        self.mm.reply_keyboard = None
        message = Message(
            message_id=next(_ids),
            date=datetime.now(UTC),
            chat=Chat(id=USER, type="private"),
            from_user=User(id=USER, is_bot=False, first_name="Sara"),
            **content,
        )
        await self.client.dp.feed_update(
            self.client.bot, Update(update_id=next(_ids), message=message)
        )

    async def contact(self, phone: str, owner: int = USER) -> None:
        await self.feed(contact=Contact(phone_number=phone, first_name="Sara", user_id=owner))

    async def photo(self) -> None:
        await self.feed(photo=[PhotoSize(file_id="p", file_unique_id="p", width=1, height=1)])

    async def pick_year(self, year: str, earlier: str) -> None:
        for _ in range(10):
            if year in self.buttons():
                await self.click(year)
                return
            await self.click(earlier)
        raise AssertionError(f"no year {year} in the calendar")

    def answers(self) -> list[str]:
        """What the handlers said themselves, outside the dialog windows."""
        return [call.text for call in self.session.sent("SendMessage")]

    def alerts(self) -> list[str]:
        return [call.text for call in self.session.sent("AnswerCallbackQuery") if call.text]


class MessageManager(MockMessageManager):
    """The test tools' manager keeps only inline keyboards: the contact keyboard is kept aside."""

    def __init__(self) -> None:
        super().__init__()
        self.reply_keyboard: ReplyKeyboardMarkup | None = None

    async def show_message(self, bot, new_message, old_message):  # type: ignore[no-untyped-def]
        if isinstance(new_message.reply_markup, ReplyKeyboardMarkup):
            self.reply_keyboard = new_message.reply_markup
            new_message = replace(new_message, reply_markup=None)
        return await super().show_message(bot, new_message, old_message)


def open_chat(
    storage: JsonMemoryStorage | None = None, throttle: ThrottleMiddleware | None = None
) -> Chat_:
    mm = MessageManager()
    session = LocalSession()
    bot = build_bot(SETTINGS, session=session)
    dp = build_dispatcher(
        SETTINGS,
        storage=storage or JsonMemoryStorage(),
        message_manager=mm,
        throttle=throttle or ThrottleMiddleware(limit=1000),
    )
    return Chat_(BotClient(dp, user_id=USER, chat_id=USER, bot=bot), mm, session)


@pytest.fixture
async def chat(db: str) -> Chat_:
    return open_chat()


async def joined(locale: str = "en", phone: str = "09121110000") -> Member:
    return await helpers.member(
        NOW, phone=phone, telegram_id=USER, locale=locale, first_name="Sara"
    )


# ---- sign-up ------------------------------------------------------------------------------------


async def test_whole_signup_in_english(chat: Chat_) -> None:
    await ProductGroup.create(name="Coffee")
    await ProductGroup.create(name="Cakes")
    await chat.send("/start")
    assert "Choose your language" in chat.text and chat.buttons() == ["فارسی", "English"]
    await chat.click("English")
    assert chat.text.startswith("To join, share your phone number")
    assert chat.buttons() == ["Share my phone number"]

    await chat.photo()
    assert chat.answers()[-1] == "Please press the button below to share your phone number."
    await chat.contact("+989121234567", owner=777)
    assert (
        chat.answers()[-1]
        == "That is someone else's number. Please share your own with the button below."
    )
    assert await Member.all().count() == 0

    await chat.contact("+989121234567")
    assert chat.text == "Thank you! What is your first name?"
    await chat.send("x" * 500)
    assert chat.answers()[-1] == "Please send a name of 1 to 64 letters."
    await chat.photo()
    assert chat.answers()[-1] == "Please answer with a text message."
    await chat.send("  Sara  ")
    assert chat.text.startswith("When is your birthday?") and "1991-08-03" in chat.text

    await chat.send("2025-02-30")
    assert chat.answers()[-1] == "That date does not exist or is not a valid birthday."
    await chat.send("1991-08-03")
    await chat.click("Woman")
    await chat.click("For a company")
    assert chat.buttons() == ["Cakes", "Coffee", "Done"]
    await chat.click("Coffee")
    await chat.click("Done")
    assert chat.text == "Welcome to the club, Sara! You received 20 points for joining."

    member = await Member.get(telegram_id=USER).prefetch_related("interests")
    assert (member.phone, member.first_name, member.locale, member.balance) == (
        "+989121234567",
        "Sara",
        "en",
        20,
    )
    assert (member.birth_date, member.gender, member.customer_type) == (
        date(1991, 8, 3),
        Gender.FEMALE,
        CustomerType.COMPANY,
    )
    assert [g.name for g in member.interests] == ["Coffee"]

    await chat.click("Open the menu")
    assert chat.text.startswith("Hello Sara! You have 20 points.")


async def test_signup_in_persian_with_a_jalali_birthday_and_referral(chat: Chat_) -> None:
    friend = await helpers.member(NOW, phone="09120000001", first_name="Ali")
    await chat.send(f"/start ref_{friend.referral_code}")
    await chat.click("فارسی")
    assert chat.buttons() == ["اشتراک شماره تلفن من"]
    await chat.contact("09121234567")
    await chat.send("سارا")
    assert "۱۳۷۰/۰۵/۱۲" in chat.text
    await chat.send("۱۴۰۴/۱۲/۳۰")  # 1404 is not a leap year: Esfand has 29 days
    assert chat.answers()[-1] == "این تاریخ وجود ندارد یا تاریخ تولد معتبری نیست."
    await chat.click("انتخاب از تقویم")
    await chat.pick_year("۱۳۷۰", "◀ قبلی‌ها")
    assert chat.buttons()[:3] == ["فروردین", "اردیبهشت", "خرداد"]
    await chat.click("مرداد")
    assert chat.buttons()[-2:] == ["۳۱", "بازگشت"]
    await chat.click("۱۲")
    assert chat.text.startswith("خانم هستید یا آقا؟")
    await chat.click("رد شدن")
    await chat.click("برای خودم")
    assert chat.text == "سارا، به باشگاه خوش آمدید! ۲۰ امتیاز برای عضویت گرفتید."
    member = await Member.get(telegram_id=USER)
    assert (member.birth_date, member.locale, member.referred_by_id) == (
        date(1991, 8, 3),
        "fa",
        friend.id,
    )


async def test_an_existing_member_is_linked_and_keeps_points(chat: Chat_) -> None:
    old = await helpers.member(NOW, phone="09121234567", channel="sms", first_name="Reza")
    await earning.award_purchase(old.id, 1_000_000, receipt="r1")
    balance = (await Member.get(id=old.id)).balance
    await chat.send("/start")
    await chat.click("English")
    await chat.contact("+98 912 123 4567")
    assert chat.text == (
        f"Welcome back, Reza! Your membership is now linked to this Telegram account "
        f"and keeps its {balance:,} points."
    )
    member = await Member.get(id=old.id)
    assert (member.telegram_id, member.balance, member.locale) == (USER, balance, "en")
    assert await Member.all().count() == 1


# ---- menus ---------------------------------------------------------------------------------


async def test_points_card_history_and_vouchers(chat: Chat_) -> None:
    member = await joined()
    await earning.award_purchase(member.id, 500_000, receipt="r1")
    member = await Member.get(id=member.id)
    await chat.send("/start")
    assert chat.text.startswith(f"Hello Sara! You have {member.balance} points.")

    await chat.click("My points")
    assert chat.text.startswith(f"Your balance: {member.balance} points\nYour tier: Bronze\n")
    assert "more points to reach Silver." in chat.text
    await chat.click("Back")

    await chat.click("My card")
    card = await Card.get(member_id=member.id, active=True)
    assert chat.text == f"Your card number: <code>{card.number}</code>"
    await chat.click("Show QR code")
    photo = chat.session.sent("SendPhoto")[-1]
    assert photo.photo.data.startswith(b"\x89PNG") and card.number in photo.caption
    await chat.click("Back")

    await chat.click("History")
    assert chat.text.splitlines()[0] == "Your history (page 1 of 1):"
    assert "+20  for joining" in chat.text and "purchase" in chat.text
    await chat.click("Back")

    await chat.click("My vouchers")
    assert "You have no vouchers yet." in chat.text


async def test_a_persian_member_reads_the_card_in_persian_digits(chat: Chat_) -> None:
    member = await joined(locale="fa")
    card = (await Card.get(member_id=member.id, active=True)).number
    persian = card.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    await chat.send("/start")
    await chat.click("کارت من")
    assert chat.text == f"شماره کارت شما: <code>{persian}</code>"
    await chat.click("نمایش کد QR")
    photo = chat.session.sent("SendPhoto")[-1]
    assert photo.caption == f"کارت {persian}: این کد را هنگام پرداخت به صندوق نشان دهید."


async def test_history_pages(chat: Chat_) -> None:
    member = await joined()
    for n in range(6):
        await earning.award_purchase(member.id, 100_000, receipt=f"r{n}")
    await chat.send("/start")
    await chat.click("History")
    assert chat.text.startswith("Your history (page 1 of 2):") and chat.buttons() == [
        "Older ▶",
        "Back",
    ]
    await chat.click("Older ▶")
    assert chat.text.startswith("Your history (page 2 of 2):") and "for joining" in chat.text
    assert chat.buttons() == ["◀ Newer", "Back"]


async def test_redeeming_a_reward(chat: Chat_) -> None:
    member = await joined()
    coffee = await helpers.reward(15, name="Coffee")
    await helpers.reward(1000, name="Blender")
    await chat.send("/start")
    await chat.click("Rewards")
    assert "You have 20 points" in chat.text
    assert chat.buttons() == ["✅ Coffee: 15 points", "Blender: 1,000 points", "Back"]

    await chat.click("Blender: 1,000 points")
    await chat.click("Yes, redeem")
    assert chat.alerts()[-1] == "Not enough points: you have 20, this needs 1,000."
    assert await Voucher.all().count() == 0

    await chat.click("✅ Coffee: 15 points")
    assert chat.text == "Take Coffee for 15 points? You have 20 points."
    await chat.click("Yes, redeem")
    voucher = await Voucher.get(member_id=member.id)
    assert voucher.reward_id == coffee.id
    assert chat.text.startswith(f"Your voucher for Coffee: <code>{voucher.code}</code>\n")
    assert chat.text.endswith("Your balance is now 5 points.")
    assert (await Member.get(id=member.id)).balance == 5

    await chat.click("Back to the menu")
    await chat.click("My vouchers")
    assert f"<code>{voucher.code}</code> Coffee: valid until" in chat.text


async def test_invite_feedback_and_messages(chat: Chat_) -> None:
    member = await joined()
    await helpers.member(NOW, phone="09120000009", referral_code=member.referral_code)
    await chat.send("/start")
    await chat.click("Invite friends")
    assert f"https://t.me/club_sandbox_bot?start=ref_{member.referral_code}" in chat.text
    assert chat.text.endswith("Friends who joined through you: 1")
    await chat.click("Back")

    await chat.click("Feedback")
    await chat.send("great")
    assert chat.answers()[-1] == "Please choose from the buttons."
    await chat.click("⭐⭐⭐⭐")
    await chat.send("x" * 2001)
    assert chat.answers()[-1] == "That text is too long: at most 2,000 characters."
    await chat.send("Lovely coffee")
    assert chat.text == "Thank you for your feedback!\nYou received 5 points for it."
    item = await InboxItem.get(kind=InboxKind.FEEDBACK)
    assert (item.rating, item.text, item.member_id) == (4, "Lovely coffee", member.id)
    await chat.click("Back to the menu")

    await chat.click("Write to us")
    await chat.send("Are you open on Friday?")
    assert chat.text == "Your message was sent. We will answer you here soon."
    assert (await InboxItem.get(kind=InboxKind.MESSAGE)).text == "Are you open on Friday?"


async def test_profile(chat: Chat_) -> None:
    member = await joined()
    await chat.send("/start")
    await chat.click("Profile")
    assert (
        chat.text == "Your profile\nName: Sara\nLast name: -\nBirthday: -\nGender: not given\n"
        "You buy for yourself\nInterests: -\nLanguage: English\nNews and offers: yes"
    )
    await chat.click("Change name")
    await chat.send("<Sara Jan>")
    assert "Name: &lt;Sara Jan&gt;" in chat.text  # escaped for the HTML parse mode
    await chat.click("Change birthday")
    await chat.send("1404/12/30")
    assert chat.answers()[-1] == "That date does not exist or is not a valid birthday."
    await chat.send("1990-03-20")
    assert "Birthday: 1990-03-20" in chat.text
    await chat.click("Change birthday")
    await chat.click("Pick from a calendar")
    await chat.pick_year("1992", "◀ Earlier")
    await chat.click("February")
    assert chat.buttons()[-2:] == ["29", "Back"]  # 1992 was a leap year
    await chat.click("29")
    assert "Birthday: 1992-02-29" in chat.text
    await chat.click("Stop news and offers")
    assert chat.text.endswith("News and offers: no")
    await chat.click("Change language")
    await chat.click("فارسی")
    assert chat.text.startswith("نمایه شما")
    assert "۱۳۷۰/۱۲/۱۰" in chat.text
    member = await Member.get(id=member.id)
    assert (member.first_name, member.birth_date, member.locale, member.consent_telegram) == (
        "<Sara Jan>",
        date(1992, 2, 29),
        "fa",
        False,
    )


async def test_the_birthday_calendar_pages_its_years_to_an_end_both_ways(chat: Chat_) -> None:
    await joined()
    this_year = utcnow().year  # the calendar reads the real clock, as the birthday rules do
    await chat.send("/start")
    await chat.click("Profile")
    await chat.click("Change birthday")
    await chat.click("Pick from a calendar")
    assert chat.buttons()[11:] == [str(this_year - 18), "◀ Earlier", "Later ▶", "Back"]
    await chat.click("Later ▶")
    await chat.click("Later ▶")
    assert str(this_year) in chat.buttons() and "Later ▶" not in chat.buttons()
    for _ in range(10):
        await chat.click("◀ Earlier")
    assert chat.buttons()[12:] == ["Later ▶", "Back"]
    assert int(chat.buttons()[0]) <= this_year - 120


async def test_delete_my_data(chat: Chat_) -> None:
    member = await joined()
    await chat.send("/start")
    await chat.click("Delete my data")
    await chat.click("No, keep my membership")
    assert chat.text.startswith("Hello Sara!")
    await chat.click("Delete my data")
    await chat.click("Yes, delete my data")
    assert (
        chat.answers()[-1]
        == "Your data has been deleted. Send /start if you ever want to join again."
    )
    gone = await Member.get(id=member.id)
    assert (gone.phone, gone.telegram_id, gone.first_name) == (None, None, "")
    assert await LedgerEntry.filter(member_id=member.id).count() == 1
    await chat.send("hello")
    assert "Choose your language" in chat.text


# ---- bad input and odd situations ----------------------------------------------------------


async def test_a_button_from_before_a_restart_gives_a_fresh_menu(chat: Chat_) -> None:
    await joined()
    await chat.send("/start")
    await chat.click("My points")
    old = chat.mm.last_message()
    restarted = open_chat()  # the dialog stacks are gone
    restarted.mm.sent_messages.append(old)
    await restarted.click("Back")
    assert restarted.text.startswith("Hello Sara! You have 20 points.")


async def test_blocking_and_unblocking_the_bot(chat: Chat_) -> None:
    member = await joined()
    user = User(id=USER, is_bot=False, first_name="Sara")
    await chat.client.my_chat_member_update(
        ChatMemberMember(user=user), ChatMemberBanned(user=user, until_date=0)
    )
    assert (await Member.get(id=member.id)).reachable_telegram is False
    await chat.client.my_chat_member_update(
        ChatMemberBanned(user=user, until_date=0), ChatMemberMember(user=user)
    )
    assert (await Member.get(id=member.id)).reachable_telegram is True


async def test_a_flood_is_throttled(db: str) -> None:
    clock = [0.0]
    chat = open_chat(
        throttle=ThrottleMiddleware(MemoryFloodCounter(10, clock=lambda: clock[0]), limit=3)
    )
    await joined()
    for n in range(10):
        await chat.send(f"spam {n}")
    # The first of the three heard opens the menu; the next two are pointed to its buttons;
    # of the seven dropped, the first is told why.
    choose, flood = (
        "Please choose from the buttons.",
        "Too many messages at once: please wait a few seconds.",
    )
    assert chat.answers() == [choose, choose, flood]
    assert await InboxItem.all().count() == 0
    clock[0] = 10.0  # the window is over: the member is heard again
    await chat.send("hello")
    assert chat.answers() == [choose, choose, flood, choose]


async def test_flood_windows_are_forgotten_when_over() -> None:
    """Memory follows the senders of the last window, not everyone who ever wrote."""
    clock = [0.0]
    counter = MemoryFloodCounter(10, clock=lambda: clock[0])
    for sender in range(1000):
        assert await counter.hit(f"0:{sender}") == 1
    assert await counter.hit("0:7") == 2
    clock[0] = 10.0
    assert await counter.hit("0:7") == 1
    assert len(counter) == 1
