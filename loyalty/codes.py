"""Numbers and codes people read aloud: card numbers, voucher codes, referral codes."""

import secrets

from stdnum import luhn

from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.text import to_ascii_digits

CARD_BODY_DIGITS = 7  # plus one Luhn check digit: 8 digits, easy to say at a till
# Letters and digits that cannot be mistaken for each other when read aloud or typed.
VOUCHER_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
VOUCHER_LENGTH = 8
REFERRAL_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def new_card_number() -> str:
    first = str(1 + secrets.randbelow(9))
    rest = "".join(str(secrets.randbelow(10)) for _ in range(CARD_BODY_DIGITS - 1))
    body = first + rest
    return body + luhn.calc_check_digit(body)


def clean_card_number(raw: str) -> str:
    """A card number as typed; a typo in one digit fails the check digit."""
    digits = to_ascii_digits(raw).replace(" ", "").replace("-", "")
    if not digits.isdigit() or len(digits) != CARD_BODY_DIGITS + 1 or not luhn.is_valid(digits):
        raise LoyaltyError(ErrorCode.INVALID_CARD, card=raw)
    return digits


def looks_like_card(raw: str) -> bool:
    digits = to_ascii_digits(raw).replace(" ", "").replace("-", "")
    return digits.isdigit() and len(digits) == CARD_BODY_DIGITS + 1


def new_voucher_code() -> str:
    return "".join(secrets.choice(VOUCHER_ALPHABET) for _ in range(VOUCHER_LENGTH))


def clean_voucher_code(raw: str) -> str:
    """Voucher codes are matched without regard to case, spaces or dashes."""
    return to_ascii_digits(raw).upper().replace(" ", "").replace("-", "")


def new_referral_code() -> str:
    return "".join(secrets.choice(REFERRAL_ALPHABET) for _ in range(8))


# A gift card is money to whoever holds its code: 15 random characters of the voucher
# alphabet (75 bits, beyond any guessing) and a check character (Luhn mod 32) that catches
# a mistyped character or two swapped ones before the code is looked up at all.
GIFT_CARD_BODY = 15
GIFT_CARD_GROUP = 4  # shown as ABCD-EFGH-JKLM-NPQR, read aloud in fours


def new_gift_card_code() -> str:
    body = "".join(secrets.choice(VOUCHER_ALPHABET) for _ in range(GIFT_CARD_BODY))
    return body + luhn.calc_check_digit(body, alphabet=VOUCHER_ALPHABET)


def clean_gift_card_code(raw: str) -> str:
    """A gift card code as typed (any case, spaces or dashes); INVALID_GIFT_CODE when it
    cannot be one, so a typo never reaches the database."""
    code = clean_voucher_code(raw or "")
    if (
        len(code) != GIFT_CARD_BODY + 1
        or any(c not in VOUCHER_ALPHABET for c in code)
        or not luhn.is_valid(code, alphabet=VOUCHER_ALPHABET)
    ):
        raise LoyaltyError(ErrorCode.INVALID_GIFT_CODE)
    return code


def show_gift_card_code(code: str) -> str:
    return "-".join(code[i : i + GIFT_CARD_GROUP] for i in range(0, len(code), GIFT_CARD_GROUP))


# An agent's code is in links and read aloud: 10 characters of the referral alphabet (about
# 50 bits, beyond guessing), always with a digit and a letter, so that `JOIN <code>` by SMS
# is told from `JOIN <name>`.
AGENT_CODE_LENGTH = 10


def new_agent_code() -> str:
    while True:
        code = "".join(secrets.choice(REFERRAL_ALPHABET) for _ in range(AGENT_CODE_LENGTH))
        if any(c.isdigit() for c in code) and any(c.isalpha() for c in code):
            return code


def clean_agent_code(raw: str) -> str:
    """An agent's code as typed (any case, Persian digits, spaces); "" when it cannot be one."""
    code = to_ascii_digits(raw or "").strip().lower().replace(" ", "").replace("-", "")
    if len(code) != AGENT_CODE_LENGTH or any(c not in REFERRAL_ALPHABET for c in code):
        return ""
    return code


def looks_like_agent_code(raw: str) -> bool:
    """A word meant as an agent's code rather than a name: Latin letters and digits, with a
    digit (a mistyped code included, so that it is refused rather than taken as a name)."""
    word = to_ascii_digits(raw or "").strip().lower()
    return (
        6 <= len(word) <= 16
        and word.isascii()
        and word.isalnum()
        and any(c.isdigit() for c in word)
        and any(c.isalpha() for c in word)
    )
