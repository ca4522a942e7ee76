"""Reading SMS keywords: every keyword in both languages and in the forms phones produce."""

from __future__ import annotations

from datetime import date

import pytest

from handlers.sms.keywords import Command, Kind, parse
from loyalty.dates import parse_birthday
from loyalty.errors import ErrorCode, LoyaltyError

ZWNJ, RLM, TATWEEL = "\u200c", "\u200f", "\u0640"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the contract, Persian and English
        ("عضویت", Command(Kind.JOIN, "", "fa")),
        ("JOIN", Command(Kind.JOIN, "", "en")),
        ("عضویت علی رضایی", Command(Kind.JOIN, "علی رضایی", "fa")),
        ("join Sara Ahmadi", Command(Kind.JOIN, "Sara Ahmadi", "en")),
        ("امتیاز", Command(Kind.POINTS, "", "fa")),
        ("POINTS", Command(Kind.POINTS, "", "en")),
        ("جوایز", Command(Kind.REWARDS, "", "fa")),
        ("Rewards", Command(Kind.REWARDS, "", "en")),
        ("دریافت 3", Command(Kind.REDEEM, "3", "fa")),
        ("REDEEM 3", Command(Kind.REDEEM, "3", "en")),
        ("تولد 1370/05/12", Command(Kind.BIRTHDAY, "1370/05/12", "fa")),
        ("BIRTHDAY 1991-08-03", Command(Kind.BIRTHDAY, "1991-08-03", "en")),
        ("نظر نان‌ها عالی بود", Command(Kind.FEEDBACK, "نان‌ها عالی بود", "fa")),
        ("FEEDBACK Great bread", Command(Kind.FEEDBACK, "Great bread", "en")),
        ("لغو", Command(Kind.STOP, "", "fa")),
        ("11", Command(Kind.STOP, "", "fa")),
        ("STOP", Command(Kind.STOP, "", "en")),
        ("12", Command(Kind.START, "", "fa")),
        ("START", Command(Kind.START, "", "en")),
        ("راهنما", Command(Kind.HELP, "", "fa")),
        ("HELP", Command(Kind.HELP, "", "en")),
    ],
)
def test_every_keyword_in_both_languages(text: str, expected: Command) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "kind", "arg"),
    [
        ("امتياز", Kind.POINTS, ""),  # Arabic yeh
        ("جوايز", Kind.REWARDS, ""),  # Arabic yeh
        ("عضويت", Kind.JOIN, ""),  # Arabic yeh
        ("   امتیاز   ", Kind.POINTS, ""),  # spaces around
        (f"{RLM}امتیاز{RLM}", Kind.POINTS, ""),  # direction marks
        (f"امت{TATWEEL}یاز", Kind.POINTS, ""),  # tatweel
        (f"راه{ZWNJ}نما", Kind.HELP, ""),  # a ZWNJ inside the keyword
        ("  points  ", Kind.POINTS, ""),
        ("pOiNtS", Kind.POINTS, ""),
        ("points.", Kind.POINTS, ""),  # trailing punctuation
        ("دریافت   ۳", Kind.REDEEM, "۳"),  # Persian digit, extra spaces
        ("دریافت٣", Kind.REDEEM, "3"),  # Arabic-Indic digit glued to the keyword
        ("redeem3", Kind.REDEEM, "3"),
        ("REDEEM\t 3 ", Kind.REDEEM, "3"),
        ("تولد ۱۳۷۰/۰۵/۱۲", Kind.BIRTHDAY, "۱۳۷۰/۰۵/۱۲"),
        ("تولد:  1370/5/12", Kind.BIRTHDAY, "1370/5/12"),
        ("۱۱", Kind.STOP, ""),  # Persian digits
        ("١١", Kind.STOP, ""),  # Arabic-Indic digits
        (" 11 ", Kind.STOP, ""),
        ("۱۲", Kind.START, ""),
        ("لغو۱۱", Kind.STOP, ""),  # copied from the end of a campaign SMS
        ("لغو ۱۱", Kind.STOP, ""),
        ("نظر   نان‌ها    عالی   بود", Kind.FEEDBACK, "نان‌ها عالی بود"),  # ZWNJ kept in the text
        ("نظر\nخیلی خوب", Kind.FEEDBACK, "خیلی خوب"),
        ("JOIN   Sara   Ahmadi ", Kind.JOIN, "Sara Ahmadi"),
    ],
)
def test_messy_forms(text: str, kind: Kind, arg: str) -> None:
    command = parse(text)
    assert (command.kind, command.arg) == (kind, arg)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        RLM,
        "hello",
        "salam",
        "pointsx",
        "امتیازها",
        "1.5",
        "-3",
        "join-us",
        "stopp",
        "تولدم",
    ],
)
def test_anything_else_is_unknown(text: str) -> None:
    assert parse(text).kind is Kind.UNKNOWN


@pytest.mark.parametrize(("text", "arg"), [("13", "13"), ("111", "111"), ("1", "1"), ("۷", "7")])
def test_a_bare_number_answers_a_survey(text: str, arg: str) -> None:
    """The inbound door treats it as unknown text when no survey asked the sender one."""
    assert parse(text) == Command(Kind.ANSWER, arg)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1370/05/12", date(1991, 8, 3)),
        ("۱۳۷۰/۰۵/۱۲", date(1991, 8, 3)),
        ("١٣٧٠/٠٥/١٢", date(1991, 8, 3)),
        ("1370/5/12", date(1991, 8, 3)),
        ("1370-05-12", date(1991, 8, 3)),
        ("12/05/1370", date(1991, 8, 3)),
        ("1991-08-03", date(1991, 8, 3)),
        ("۱۹۹۱-۰۸-۰۳", date(1991, 8, 3)),
        ("1991/8/3", date(1991, 8, 3)),
        ("3.8.1991", date(1991, 8, 3)),
        ("1368/12/29", date(1990, 3, 20)),
    ],
)
def test_parse_birthday_in_both_calendars(text: str, expected: date) -> None:
    assert parse_birthday(text, "fa") == expected
    assert parse_birthday(text, "en") == expected


@pytest.mark.parametrize(
    "text",
    ["", "tomorrow", "1370/13/01", "1370/00/10", "1991-02-30", "70/5/12", "1370/05", "99999/1/1"],
)
def test_parse_birthday_refuses_what_is_not_a_date(text: str) -> None:
    with pytest.raises(LoyaltyError) as caught:
        parse_birthday(text, "fa")
    assert caught.value.code is ErrorCode.INVALID_DATE
