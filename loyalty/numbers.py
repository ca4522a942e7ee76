"""Numbers as people type them, read the same way at every door (chat, SMS, dialogs, CLI).

Persian (۰-۹) and Arabic-Indic (٠-٩) digits, thousands separators (`,` `٬` `،` `_`),
the Persian decimal point `٫`. A number too large for the column it is meant for is
refused with its own error, so a typo of many digits gets an answer, not a database error.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.text import to_ascii_digits

# The largest values of PostgreSQL's integer and bigint columns; ids are integers.
INT_MAX = 2**31 - 1
BIGINT_MAX = 2**63 - 1
MAX_DIGITS = 100

_SEPARATORS = str.maketrans("", "", ",٬،_")


def _plain(text: str) -> str:
    return to_ascii_digits(text or "").strip().translate(_SEPARATORS)


def parse_int(text: str, *, signed: bool = False, maximum: int | None = BIGINT_MAX) -> int:
    """A whole number; `signed` allows a leading + or -.

    INVALID_AMOUNT (`amount`: the text) when it is not one; NUMBER_TOO_LARGE (`max`) when
    its size is above `maximum`. `maximum=None` for an amount the rules bound themselves
    before it is stored (a purchase, a refund, a correction), so the answer names the
    club's own limit.
    """
    raw = _plain(text)
    body = raw[1:] if signed and raw[:1] in "+-" and len(raw) > 1 else raw
    # isdecimal, not isdigit: "²" is a digit that int() does not read.
    if not body.isdecimal():
        raise LoyaltyError(ErrorCode.INVALID_AMOUNT, amount=text)
    # Counting digits first keeps int() away from a number of thousands of digits, which
    # it refuses to read; with no maximum, one of more than MAX_DIGITS is beyond any rule.
    digits = body.lstrip("0") or "0"
    longest = MAX_DIGITS if maximum is None else len(str(maximum))
    if len(digits) > longest or (maximum is not None and int(digits) > maximum):
        raise LoyaltyError(ErrorCode.NUMBER_TOO_LARGE, max=maximum or BIGINT_MAX)
    value = int(digits)
    return -value if raw[:1] == "-" else value


def parse_id(text: str) -> int:
    """A row's number as staff type it (`#12` too); within an integer column."""
    return parse_int((text or "").strip().lstrip("#"), maximum=INT_MAX)


def parse_decimal(text: str) -> Decimal:
    """A finite decimal number (`1.5`, `۱٫۵`); INVALID_AMOUNT when it is not one."""
    raw = _plain(text).replace("٫", ".")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise LoyaltyError(ErrorCode.INVALID_AMOUNT, amount=text) from None
    if not value.is_finite():
        raise LoyaltyError(ErrorCode.INVALID_AMOUNT, amount=text)
    return value
