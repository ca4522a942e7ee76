"""Every SMS answer measured in both languages: one part where possible, never more than two."""

from __future__ import annotations

import re
from string import Formatter
from zoneinfo import ZoneInfo

import pytest

from handlers.format import number
from handlers.i18n import t
from handlers.sms import keywords as kw
from handlers.sms.text import sms_parts, to_persian_digits
from handlers.texts import ERRORS, error_text, tier_name
from loyalty.errors import LoyaltyError
from tests.conftest import NOW
from tests.helpers import member, reward

LOCALES = ("fa", "en")


def worst_values(locale: str) -> dict[str, str]:
    """The longest values a member is likely to see in each placeholder."""
    digits = to_persian_digits if locale == "fa" else str
    return {
        "card": digits("98765432"),
        "points": number(1_000, locale),
        "balance": number(1_234_567, locale),
        "to_next": number(1_999, locale),
        "tier": tier_name("bronze", None, locale),
        "next": tier_name("silver", None, locale),
        "code": "ABCD2345",
        "reward": "R" * (kw.MAX_REWARD_NAME - 2) + "..",
        "until": "۱۴۰۵/۰۱/۱۱" if locale == "fa" else "2026-03-31",
        "date": "۱۳۷۰/۰۵/۱۲" if locale == "fa" else "1991-08-03",
        "cause": "C" * (kw.MAX_CAUSE_NAME - 2) + "..",
        "total": number(123_456, locale),
    }


def placeholders(template: str) -> list[str]:
    return [name for _, name, _, _ in Formatter().parse(template) if name]


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("template", kw.TEMPLATES)
def test_every_answer_fits_one_part(template: str, locale: str) -> None:
    values = worst_values(locale)
    text = t(template, locale, **{name: values[name] for name in placeholders(template)})
    assert "{" not in text, text
    assert sms_parts(text) == 1, f"{len(text)} characters: {text}"


@pytest.mark.parametrize("locale", LOCALES)
def test_every_answer_is_translated(locale: str) -> None:
    for template in kw.TEMPLATES:
        text = t(template, locale)
        if locale == "en":
            assert text == template
        else:
            words = re.sub(r"\{\w+\}", "", text)
            assert text != template and not any("a" <= c.lower() <= "z" for c in words), text


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("code", list(ERRORS))
def test_refusals_sent_by_sms_fit_two_parts(code: object, locale: str) -> None:
    values = {
        "max": 64,
        "minimum": 100_000,
        "receipt": "R-000123",
        "left": 50_000,
        "balance": 1_234,
        "needed": 2_000,
        "reference": "09121234567",
    }
    error = LoyaltyError(code, **values)  # type: ignore[arg-type]
    assert sms_parts(error_text(error, locale)) <= kw.MAX_PARTS


@pytest.mark.parametrize("locale", LOCALES)
async def test_a_long_reward_list_stays_within_two_parts(db: str, locale: str) -> None:
    someone = await member(NOW, locale=locale)
    await someone.filter(id=someone.id).update(balance=100_000)
    for cost in range(100, 1_000, 100):
        await reward(cost, name="Large family pizza with extra cheese " + str(cost))
    someone = await someone.get(id=someone.id)
    ctx = kw.Context(someone.phone, someone, NOW, ZoneInfo("Asia/Tehran"))
    text = await kw.respond(kw.Command(kw.Kind.REWARDS), ctx)
    lines = text.split("\n")
    assert sms_parts(text) <= kw.MAX_PARTS
    assert 2 <= len(lines) - 1 <= kw.MAX_LISTED_REWARDS
    assert lines[1].endswith(f"({number(100, locale)})")  # cheapest first
