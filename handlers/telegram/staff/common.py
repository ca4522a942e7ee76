"""Small helpers the staff handlers share: reading numbers, answering in plain text."""

from __future__ import annotations

from aiogram.types import Message

from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.text import to_ascii_digits


def parse_int(text: str, *, signed: bool = False) -> int:
    """A whole number as staff type it: Persian digits, thousands separators, a sign."""
    raw = to_ascii_digits(text or "").replace(",", "").replace("٬", "").replace("_", "").strip()
    body = raw[1:] if signed and raw[:1] in "+-" and len(raw) > 1 else raw
    # isdecimal, not isdigit: "²" is a digit that int() does not read.
    if not body.isdecimal():
        raise LoyaltyError(ErrorCode.INVALID_AMOUNT, amount=text)
    return int(raw)


def request_of(message: Message) -> str:
    """The message as a request key. Telegram delivers an update again after a crash or a
    lost webhook answer; a command keyed by its message changes the balance only once."""
    return f"tg-{message.chat.id}-{message.message_id}"


async def say(message: Message, text: str) -> Message:
    # Plain text: names and usage lines may contain "<", which HTML mode would refuse.
    return await message.answer(text, parse_mode=None)


def ident(value: int | None, locale: str) -> str:
    """A number people read as a name (#12, request 7): no thousands separator."""
    from handlers.format import persian_digits

    text = str(value if value is not None else "-")
    return persian_digits(text) if locale == "fa" else text
