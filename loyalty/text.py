"""Small text helpers the rules need: digits in any script, names."""

import re

from loyalty.errors import ErrorCode, LoyaltyError

_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
_CONTROL = re.compile(r"[\u0000-\u001f\u007f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")

MAX_NAME_LENGTH = 64


def to_ascii_digits(text: str) -> str:
    """Persian (۰-۹) and Arabic-Indic (٠-٩) digits to ASCII."""
    return text.translate(_DIGITS)


def clean_name(raw: str) -> str:
    """A person's name as typed, tidied; refuses empty or overlong names."""
    name = " ".join(_CONTROL.sub("", raw or "").split())
    if not name:
        raise LoyaltyError(ErrorCode.INVALID_NAME, max=MAX_NAME_LENGTH)
    if len(name) > MAX_NAME_LENGTH:
        raise LoyaltyError(ErrorCode.INVALID_NAME, max=MAX_NAME_LENGTH)
    return name
