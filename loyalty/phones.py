"""Phone numbers: whatever a person types in Iran, stored as E.164."""

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.text import to_ascii_digits

_MOBILE_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


def parse_phone(raw: str, region: str = "IR") -> phonenumbers.PhoneNumber:
    text = to_ascii_digits(raw or "").strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException as exc:
        raise LoyaltyError(ErrorCode.INVALID_PHONE, phone=raw) from exc
    if not phonenumbers.is_valid_number(number):
        raise LoyaltyError(ErrorCode.INVALID_PHONE, phone=raw)
    return number


def normalize_phone(raw: str) -> str:
    """`09121234567`, `۰۹۱۲...`, `+98 912 ...`, `0098...` all become `+989121234567`."""
    return phonenumbers.format_number(parse_phone(raw), phonenumbers.PhoneNumberFormat.E164)


def is_mobile(raw: str) -> bool:
    """Only mobile numbers get automatic replies: short codes and landlines may be machines."""
    try:
        number = parse_phone(raw)
    except LoyaltyError:
        return False
    return phonenumbers.number_type(number) in _MOBILE_TYPES


def looks_like_phone(raw: str) -> bool:
    digits = to_ascii_digits(raw).lstrip("+")
    return len(digits) >= 10
