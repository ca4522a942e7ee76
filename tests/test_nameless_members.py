"""A member with no name (added by the CLI, or SMS JOIN alone) is asked for it in Telegram,
and no greeting starts with a comma or holds a double space."""

from __future__ import annotations

import pytest

from handlers.sms.inbound import handle_inbound
from models import Member
from tests import helpers
from tests.conftest import NOW
from tests.test_member_dialogs import USER, Chat_, open_chat

ASK = {"en": "Hello! What is your first name?", "fa": "سلام! نام کوچک شما چیست؟"}
MENU = {
    "en": "Hello Maryam! You have 20 points.\nWhat would you like to do?",
    "fa": "سلام Maryam! شما ۲۰ امتیاز دارید.\nچه کاری می‌خواهید انجام دهید؟",
}
LINKED = {
    "en": "Welcome back! Your membership is now linked to this Telegram account and keeps "
    "its 20 points.",
    "fa": "خوش برگشتید! عضویت شما اکنون به این حساب تلگرام وصل است و ۲۰ امتیازش حفظ شده است.",
}
LANGUAGE_BUTTON = {"en": "English", "fa": "فارسی"}
OPEN_MENU = {"en": "Open the menu", "fa": "باز کردن منو"}
BAD_NAME = {"en": "Please send a name of 1 to 64 letters.", "fa": None}


@pytest.fixture
async def chat(db: str) -> Chat_:
    return open_chat()


def reads_well(text: str) -> bool:
    return not text.lstrip().startswith((",", "،")) and "  " not in text and " !" not in text


@pytest.mark.parametrize("language", ["en", "fa"])
async def test_a_member_added_without_a_name_is_asked_for_it(chat: Chat_, language: str) -> None:
    # As `club member add 09121234567 --telegram-id ...` leaves them: no name.
    await helpers.member(NOW, phone="09121234567", telegram_id=USER, locale=language)
    await chat.send("/start")
    assert chat.text == ASK[language]
    await chat.send("   ")
    assert chat.text == ASK[language] and chat.answers()[-1] != ""
    if BAD_NAME[language] is not None:
        assert chat.answers()[-1] == BAD_NAME[language]
    await chat.send("  Maryam ")
    assert chat.text == MENU[language]
    assert (await Member.get(telegram_id=USER)).first_name == "Maryam"
    await chat.send("/start")  # asked once: named now
    assert chat.text == MENU[language]


@pytest.mark.parametrize("language", ["en", "fa"])
async def test_a_member_who_joined_by_sms_without_a_name_links_then_is_asked(
    chat: Chat_, language: str
) -> None:
    await handle_inbound("09121234567", "JOIN" if language == "en" else "عضویت", now=NOW)
    assert (await Member.get(phone="+989121234567")).first_name == ""
    await chat.send("/start")
    await chat.click(LANGUAGE_BUTTON[language])
    await chat.contact("+989121234567")
    assert chat.text == LINKED[language] and reads_well(chat.text)
    await chat.click(OPEN_MENU[language])
    assert chat.text == ASK[language]
    await chat.send("Maryam")
    assert chat.text == MENU[language] and reads_well(chat.text)
