"""Persian text reads as Persian: Persian digits and the Persian comma «،»."""

from __future__ import annotations

import re

import pytest

from handlers.format import digits, listing, number
from loyalty.text import to_ascii_digits
from models import Branch, LedgerEntry, Staff, StaffRole
from tests.conftest import NOW
from tests.helpers import member as make_member
from tests.staff_harness import CASHIER, harness
from tests.test_translations import translations

PERSIAN = "\u0600-\u06ff"
# What people and programs type stays as typed in a Persian sentence: placeholders,
# commands, filters (tier=gold), scopes (members:read), names with Latin letters (UTF-8,
# SHA-256, till1), and a button number after # in the sandbox.
_CODE = re.compile(r"\{[^}]*\}|/\w+|\S*(?:[A-Za-z=:|_#])\S*")


def _persian_sentences() -> dict[str, str]:
    return {msgid: _CODE.sub(" ", text) for msgid, text in translations("fa").items()}


def test_persian_sentences_use_persian_punctuation() -> None:
    between = re.compile(rf"[{PERSIAN}»)]\s*[,;?]|[,;?]\s*[{PERSIAN}«]")
    wrong = [msgid for msgid, text in _persian_sentences().items() if between.search(text)]
    assert wrong == []


def test_persian_sentences_use_persian_digits() -> None:
    wrong = [msgid for msgid, text in _persian_sentences().items() if re.search("[0-9]", text)]
    assert wrong == []


@pytest.mark.parametrize(
    ("locale", "amount", "items", "card"),
    [
        ("fa", "۱٬۲۳۴٬۵۶۷", "طلایی ۲، نقره‌ای ۳", "۶۰۳۷۹۹۱۲۳۴۵۶"),
        ("en", "1,234,567", "طلایی ۲, نقره‌ای ۳", "603799123456"),
    ],
)
def test_numbers_lists_and_cards_in_the_readers_form(
    locale: str, amount: str, items: str, card: str
) -> None:
    assert number(1234567, locale) == amount
    assert listing(["طلایی ۲", "نقره‌ای ۳"], locale) == items
    assert digits("603799123456", locale) == card


async def test_a_persian_reader_sees_the_card_in_persian_digits_and_types_either(
    db: str,
) -> None:
    member = await make_member(NOW, phone="09121111111", first_name="Sara", last_name="Karimi")
    card = (await member.cards.all())[0].number
    persian_card = digits(card, "fa")
    assert to_ascii_digits(persian_card) == card
    signup = await LedgerEntry.get(member_id=member.id)
    await Staff.create(
        telegram_id=CASHIER,
        role=StaffRole.CASHIER,
        branch=await Branch.first(),
        name="Kaveh",
        created_at=NOW,
    )
    profile = (
        f"Sara Karimi\nکارت: {persian_card}\nسطح: برنزی\nموجودی: ۲۰ امتیاز\n"
        f"آخرین تراکنش‌ها:\n#{digits(str(signup.id), 'fa')} ۱۴۰۴/۱۲/۱۰ +۲۰ برای عضویت"
    )
    async with harness() as h:
        for typed in (card, persian_card):
            assert await h.send(CASHIER, f"/member {typed}", language="fa") == [profile]
