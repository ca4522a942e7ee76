"""Phone numbers: whatever a person types in Iran, stored as E.164."""

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.text import to_ascii_digits


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


# What a member's own phone may be: a landline cannot share a contact in Telegram, receive
# an SMS or verify anything. Some countries' numbers do not tell the two apart.
_MEMBER_TYPES = (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE)


def normalize_mobile(raw: str) -> str:
    """As `normalize_phone`, for a member's own number: a landline (`+98 21 ...`) is refused."""
    number = parse_phone(raw)
    if phonenumbers.number_type(number) not in _MEMBER_TYPES:
        raise LoyaltyError(ErrorCode.INVALID_PHONE, phone=raw)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def is_iranian_mobile(raw: str) -> bool:
    """Only Iranian mobiles get automatic replies and join by SMS: short codes and landlines
    may be machines (a reply loop), and an SMS abroad costs the club many times more (SMS
    pumping: strangers' numbers made to text the club so that it answers them)."""
    try:
        number = parse_phone(raw)
    except LoyaltyError:
        return False
    return (
        phonenumbers.region_code_for_number(number) == "IR"
        and phonenumbers.number_type(number) == PhoneNumberType.MOBILE
    )


def national(phone: str) -> str:
    """A stored number (E.164) as people of its country write it: `021 1234 5678`."""
    return phonenumbers.format_number(
        phonenumbers.parse(phone), phonenumbers.PhoneNumberFormat.NATIONAL
    )
