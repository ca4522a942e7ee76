"""Small helpers the staff handlers share: request keys, answering in plain text, ids."""

from __future__ import annotations

from aiogram.types import Message


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
