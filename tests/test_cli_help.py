"""The `club` command's help, its refusals of bad arguments in the club's language, the
reward list with ids and stock, and a landline refused as a member's phone at every door."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator

import pytest

from bot.cli import build_parser
from handlers.i18n import t
from models import Member
from tests import cli_harness
from tests.cli_harness import Club
from tests.test_member_dialogs import Chat_, open_chat

club = cli_harness.club  # the fixture


def parsers(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                yield from parsers(child)


def arguments(parser: argparse.ArgumentParser) -> Iterator[argparse.Action]:
    """The options and positionals, and each subcommand as its parent's help lists it."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            yield from action._choices_actions
        else:
            yield action


@pytest.mark.parametrize("locale", ["fa", "en"])
def test_every_argument_says_what_it_takes(locale: str) -> None:
    english = {a.help for p in parsers(build_parser("en")) for a in arguments(p)}
    for parser in parsers(build_parser(locale)):
        for action in arguments(parser):
            assert action.help, f"{parser.prog} {action.dest} has no help"
            if locale == "fa":
                assert action.help not in english, f"{parser.prog} {action.dest}: not in Persian"


@pytest.mark.parametrize(
    ("locale", "lines"),
    [
        (
            "en",
            [
                "  AMOUNT             the purchase amount in toman, a whole number",
                "  --branch ID        the branch id",
            ],
        ),
        (
            "fa",
            [
                "  مبلغ              مبلغ خرید به تومان، عدد صحیح",
                "  --branch شماره    شماره شعبه",
            ],
        ),
    ],
)
def test_the_help_of_earn_names_the_currency(
    club: Callable[[str], Club], locale: str, lines: list[str]
) -> None:
    code, out, _ = club(locale)("earn", "-h")
    assert code == 0
    for line in lines:
        assert line in out.split("\n")


@pytest.mark.parametrize(
    ("locale", "args", "message"),
    [
        ("en", ("earn",), "club earn: Missing: MEMBER, AMOUNT. See -h for what each one takes."),
        ("fa", ("earn",), "club earn: جا افتاده: عضو، مبلغ. با ‎-h ببینید هر کدام چه می‌گیرد."),
        ("en", ("earn", "0912", "abc"), "club earn: AMOUNT: «abc» is not a whole number."),
        ("fa", ("earn", "0912", "abc"), "club earn: مبلغ: «abc» عدد صحیح نیست."),
        (
            "fa",
            ("reward", "add", "قهوه", "30", "--kind", "free"),
            "club reward add: --kind: «free» یکی از این‌ها نیست: product، fixed_discount، "
            "percent_discount.",
        ),
        (
            "en",
            ("status", "--loud"),
            "club: Not understood: --loud. See -h for what the command takes.",
        ),
        (
            "en",
            ("run", "--workers", "0"),
            "club run: --workers: «0» is not a whole number of 1 or more.",
        ),
    ],
)
def test_argument_errors_are_one_line_in_the_clubs_language(
    club: Callable[[str], Club], locale: str, args: tuple[str, ...], message: str
) -> None:
    code, out, err = club(locale)(*args)
    assert (code, out, err) == (2, "", message + "\n")


@pytest.mark.parametrize(
    ("locale", "listed"),
    [
        (
            "en",
            [
                "Reward 1: Coffee, 30 points, 2 left",
                "Reward 2: Cake, 1,200 points, no stock limit",
            ],
        ),
        (
            "fa",
            [
                "جایزه ۱: Coffee، ۳۰ امتیاز، ۲ عدد مانده",
                "جایزه ۲: Cake، ۱٬۲۰۰ امتیاز، بی‌محدودیت موجودی",
            ],
        ),
    ],
)
def test_the_reward_list_shows_the_id_and_stock(
    club: Callable[[str], Club], locale: str, listed: list[str]
) -> None:
    run = club(locale)
    assert run("reward", "add", "Coffee", "30", "--stock", "2")[0] == 0
    assert run("reward", "add", "Cake", "1200")[0] == 0
    code, out, _ = run("reward", "list")
    assert (code, out.strip().split("\n")) == (0, listed)
    assert run("member", "add", "09121234567")[0] == 0
    assert run("earn", "09121234567", "5000000")[0] == 0
    assert run("redeem", "09121234567", "۱" if locale == "fa" else "1")[0] == 0
    left = (
        "Reward 1: Coffee, 30 points, 1 left"
        if locale == "en"
        else "جایزه ۱: Coffee، ۳۰ امتیاز، ۱ عدد مانده"
    )
    assert run("reward", "list")[1].split("\n")[0] == left


LANDLINE = "+98 21 8877 6655"
NOT_MOBILE = {"en": "That is not a valid mobile number.", "fa": "این شماره موبایل معتبر نیست."}


@pytest.mark.parametrize("locale", ["en", "fa"])
def test_a_landline_is_refused_by_the_command(club: Callable[[str], Club], locale: str) -> None:
    assert club(locale)("member", "add", LANDLINE) == (1, "", NOT_MOBILE[locale] + "\n")
    assert club(locale)("member", "add", "02188776655")[2] == NOT_MOBILE[locale] + "\n"


def test_a_landline_is_a_row_error_in_an_import(club: Callable[[str], Club], tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "m.csv").write_text("phone\n02188776655\n09121234567\n", encoding="utf-8")
    code, out, _ = club("en")("import", "m.csv")
    assert out.strip().split("\n") == [
        "Imported 1 new members; 0 were already in the club; 1 rows with errors.",
        "Line 2, column phone: That is not a valid mobile number.",
    ]


@pytest.mark.parametrize("locale", ["en", "fa"])
async def test_a_landline_contact_is_refused_in_telegram(db: str, locale: str) -> None:
    chat: Chat_ = open_chat()
    await chat.send("/start")
    await chat.click("English" if locale == "en" else "فارسی")
    await chat.contact("+982188776655")
    assert chat.answers()[-1] == t(NOT_MOBILE["en"], locale) == NOT_MOBILE[locale]
    assert await Member.all().count() == 0
