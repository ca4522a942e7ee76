"""Persian text helpers: keyword normalisation and SMS part counting."""

from __future__ import annotations

import pytest

from handlers.sms.text import is_gsm7, normalize, sms_parts, to_persian_digits

PERSIAN_LETTER = "س"


@pytest.mark.parametrize(
    ("messy", "clean"),
    [
        ("امتياز", "امتیاز"),  # Arabic yeh
        ("كد", "کد"),  # Arabic kaf
        ("موسى", "موسی"),  # alef maksura
        ("کد ۱۲", "کد 12"),  # Persian digits
        ("کد ١٢", "کد 12"),  # Arabic-Indic digits
        ("می\u200cخواهم", "میخواهم"),  # ZWNJ
        ("\ufeff\u200fامتیاز\u200e", "امتیاز"),  # BOM, RLM, LRM
        ("امتـــیاز", "امتیاز"),  # tatweel
        ("  BALANCE\t\n  ", "balance"),
        ("Points   ۱۰۰\u00a0\u00a0 please", "points 100 please"),
        ("", ""),
    ],
)
def test_normalize(messy: str, clean: str) -> None:
    assert normalize(messy) == clean


def test_normalize_makes_variants_match() -> None:
    variants = ["امتياز ۵", "امتیاز 5", " امتیاز\u200c  ٥ ", "امتـیاز 5"]
    assert len({normalize(v) for v in variants}) == 1


def test_to_persian_digits() -> None:
    assert to_persian_digits("امتیاز: 1250") == "امتیاز: ۱۲۵۰"
    assert to_persian_digits("١٢") == "۱۲"


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("", 0),
        (PERSIAN_LETTER * 70, 1),
        (PERSIAN_LETTER * 71, 2),
        (PERSIAN_LETTER * 134, 2),
        (PERSIAN_LETTER * 135, 3),
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("a" * 159 + "é", 1),  # é is in the GSM basic set
        ("a" * 159 + PERSIAN_LETTER, 3),  # one Persian letter makes it all UCS-2
        ("[" * 80, 1),  # extension characters take two septets
        ("[" * 81, 2),
        ("a" * 158 + "€", 1),
        ("a" * 159 + "€", 2),
        ("a" * 152 + "{" + "a" * 10, 2),  # the escape pair is not split across parts
        ("a" * 152 + "{" + "a" * 152, 3),
        ("😀" * 35, 1),  # surrogate pairs: two UCS-2 units each
        ("😀" * 36, 2),
        (PERSIAN_LETTER * 68 + "😀", 1),
        (PERSIAN_LETTER * 66 + "😀" + PERSIAN_LETTER * 65, 2),
        (PERSIAN_LETTER * 66 + "😀" + PERSIAN_LETTER * 66, 3),  # the pair is not split
    ],
)
def test_sms_parts(text: str, parts: int) -> None:
    assert sms_parts(text) == parts


def test_is_gsm7() -> None:
    assert is_gsm7("Hello {world} ~ 100€ @home\n")
    assert not is_gsm7("سلام")
    assert not is_gsm7("naïve")  # ï is not in the GSM alphabet
    assert not is_gsm7("`")
