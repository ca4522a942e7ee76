"""The ranges staff may type for amounts, stock, days and multipliers, and the check.

A value outside is refused with the key and its bounds in the error, so every door can
say what is expected.
"""

from __future__ import annotations

from decimal import Decimal

from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.numbers import parse_decimal, parse_int

LIMITS: dict[str, tuple[int, int]] = {
    "cost": (1, 10_000_000),
    "fixed_discount": (1, 1_000_000_000_000),
    "percent_discount": (1, 100),
    "stock": (0, 1_000_000),
    "days": (1, 3650),
    "threshold": (0, 1_000_000_000),
    "discount_percent": (0, 100),
}
DECIMAL_LIMITS: dict[str, tuple[Decimal, Decimal]] = {
    "multiplier": (Decimal("0"), Decimal("100")),
    "earn_rate": (Decimal("0"), Decimal("1000")),
    "agent_percent": (Decimal("0"), Decimal("100")),
}
MULTIPLIER_RANGE = DECIMAL_LIMITS["multiplier"]


def parse_number(raw: str, key: str, *, decimal: bool = False) -> int | Decimal:
    """A number as staff type it, refused outside LIMITS[key] (or DECIMAL_LIMITS[key])."""
    low, high = DECIMAL_LIMITS[key] if decimal else LIMITS[key]
    try:
        value: int | Decimal = parse_decimal(raw) if decimal else parse_int(raw, signed=True)
    except LoyaltyError:
        raise LoyaltyError(ErrorCode.INVALID_SETTING, key=key, min=low, max=high) from None
    in_range(key, value, low, high)
    return value


def in_range(
    key: str, value: int | Decimal | None, low: int | Decimal, high: int | Decimal
) -> None:
    if value is None or not low <= value <= high:
        raise LoyaltyError(ErrorCode.INVALID_SETTING, key=key, min=low, max=high)
