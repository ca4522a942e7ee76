"""The member's own profile in Telegram: last name, gender, self or company, interests."""

from __future__ import annotations

import pytest

from models import CustomerType, Gender, Member, ProductGroup
from tests.test_member_dialogs import Chat_, joined, open_chat


@pytest.fixture
async def chat(db: str) -> Chat_:
    return open_chat()


async def test_the_member_fills_the_rest_of_the_profile_in_english(chat: Chat_) -> None:
    member = await joined("en")
    coffee = await ProductGroup.create(name="Coffee")
    await ProductGroup.create(name="Cakes")
    tea = await ProductGroup.create(name="Tea")
    await chat.send("/start")
    await chat.click("Profile")
    await chat.click("Change last name")
    await chat.send("Rahimi")
    await chat.click("Change gender")
    await chat.click("Woman")
    await chat.click("Self or company")
    await chat.click("For a company")
    await chat.send("Acme Trading")
    await chat.click("Interests")
    assert chat.buttons() == ["Cakes", "Coffee", "Tea", "Done", "Back"]
    await chat.click("Coffee")
    await chat.click("Tea")
    await chat.click("Done")
    assert chat.text == (
        "Your profile\nName: Sara\nLast name: Rahimi\nBirthday: -\nGender: woman\n"
        "You buy for the company Acme Trading\nInterests: Coffee, Tea\nLanguage: English\n"
        "News and offers: yes"
    )
    fresh = await Member.get(id=member.id)
    assert (fresh.last_name, fresh.gender, fresh.customer_type, fresh.company_name) == (
        "Rahimi",
        Gender.FEMALE,
        CustomerType.COMPANY,
        "Acme Trading",
    )
    assert sorted(await fresh.interests.all().values_list("id", flat=True)) == [coffee.id, tea.id]
    # The list opens with what was chosen; untick one, and back to buying for oneself.
    await chat.click("Interests")
    assert chat.buttons() == ["Cakes", "✅ Coffee", "✅ Tea", "Done", "Back"]
    await chat.click("✅ Coffee")
    await chat.click("Done")
    await chat.click("Self or company")
    await chat.click("For myself")
    assert "You buy for yourself\nInterests: Tea\n" in chat.text
    fresh = await Member.get(id=member.id)
    assert (fresh.customer_type, fresh.company_name) == (CustomerType.INDIVIDUAL, "")
    assert await fresh.interests.all().values_list("id", flat=True) == [tea.id]


async def test_the_profile_in_persian(chat: Chat_) -> None:
    member = await joined("fa")
    await ProductGroup.create(name="قهوه")
    await chat.send("/start")
    await chat.click("نمایه")
    await chat.click("تغییر نام خانوادگی")
    await chat.send("رحیمی")
    await chat.click("تغییر جنسیت")
    await chat.click("آقا")
    await chat.click("خودم یا شرکت")
    await chat.click("برای شرکت")
    await chat.send("بازرگانی آلفا")
    await chat.click("علاقه‌مندی‌ها")
    await chat.click("قهوه")
    await chat.click("تمام")
    assert chat.text == (
        "نمایه شما\nنام: Sara\nنام خانوادگی: رحیمی\nتاریخ تولد: -\nجنسیت: آقا\n"
        "خرید برای: شرکت بازرگانی آلفا\nعلاقه‌مندی‌ها: قهوه\nزبان: فارسی\n"
        "اخبار و پیشنهادها: بله"
    )
    fresh = await Member.get(id=member.id)
    assert (fresh.last_name, fresh.gender, fresh.company_name) == (
        "رحیمی",
        Gender.MALE,
        "بازرگانی آلفا",
    )


@pytest.mark.parametrize(
    ("locale", "button", "refusal"),
    [
        ("en", "Change last name", "Please send a name of 1 to 64 letters."),
        ("fa", "تغییر نام خانوادگی", "لطفاً نامی بین ۱ تا ۶۴ حرف بفرستید."),
    ],
)
async def test_too_long_a_name_gets_one_clear_line(
    chat: Chat_, locale: str, button: str, refusal: str
) -> None:
    member = await joined(locale)
    await chat.send("/start")
    await chat.click("Profile" if locale == "en" else "نمایه")
    # The club has no product groups to choose from.
    assert not {"Interests", "علاقه‌مندی‌ها"} & set(chat.buttons())
    await chat.click(button)
    await chat.send("R" * 65)
    assert chat.answers()[-1] == refusal
    assert (await Member.get(id=member.id)).last_name == ""
