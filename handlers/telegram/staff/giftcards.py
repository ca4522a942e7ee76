"""/giftcard at the till: sell, top up, spend, refund onto a card, block a lost one.

One command for the staff table; each verb asks the permission table for its own action
in `loyalty.giftcards`. A command is keyed by its message (and a spend by its receipt),
so Telegram delivering it twice moves the money once.
"""

from __future__ import annotations

from datetime import datetime

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, Message

from handlers.gift_texts import code_text
from handlers.i18n import N_, t
from handlers.qr import qr_png
from handlers.telegram.staff.common import request_of, say
from handlers.texts import money
from loyalty import giftcards
from loyalty.numbers import parse_int
from loyalty.staff.permissions import Action
from models import Staff

USAGE = N_(
    "Usage:\n/giftcard sell <amount> [member]\n/giftcard topup <code> <amount>\n"
    "/giftcard spend <code> <amount> [receipt]\n/giftcard refund <code> <amount> <receipt>\n"
    "/giftcard block <code>"
)
# The verb and how many words may follow it.
ARGS = {"sell": (1, 2), "topup": (2, 2), "spend": (2, 3), "refund": (3, 3), "block": (1, 1)}


def _amount(raw: str) -> int:
    return parse_int(raw, maximum=None)  # the club's maximum purchase bounds it


async def on_giftcard(
    message: Message, command: CommandObject, staff: Staff, locale: str, now: datetime
) -> None:
    words = (command.args or "").split()
    verb = words[0].lower() if words else ""
    low, high = ARGS.get(verb, (-1, -1))
    if not low <= len(words) - 1 <= high:
        await say(message, t(USAGE, locale))
        return
    args, request = words[1:], request_of(message)
    if verb == "sell":
        member = args[1] if len(args) == 2 else None
        sold = await giftcards.sell(staff, _amount(args[0]), member, request=request, now=now)
        code = code_text(sold.card.code)
        caption = t(
            N_("Gift card sold: {code}, holding {balance}."),
            locale,
            code=code,
            balance=money(sold.balance, sold.currency, locale),
        )
        await message.answer_photo(
            BufferedInputFile(qr_png(sold.card.code), filename=f"gift-{code}.png"),
            caption=caption,
            parse_mode=None,
        )
        return
    if verb == "block":
        card = await giftcards.block(staff, args[0], now=now)
        text = t(
            N_("Gift card {code} is blocked; the {balance} on it stays owed."),
            locale,
            code=code_text(card.code),
            balance=money(card.balance, await giftcards.currency(), locale),
        )
        await say(message, text)
        return
    amount = _amount(args[1])
    if verb == "topup":
        moved = await giftcards.top_up(staff, args[0], amount, request=request, now=now)
        template = N_("Gift card {code} topped up by {amount}. Balance: {balance}.")
    elif verb == "spend":
        receipt = args[2] if len(args) == 3 else None
        moved = await giftcards.spend(staff, args[0], amount, receipt, request=request, now=now)
        template = (
            N_("Receipt {receipt} was already paid by this card: {amount}. Left on it: {balance}.")
            if moved.replayed and receipt
            else N_("Paid {amount} by gift card {code}. Left on it: {balance}.")
        )
        amount = -moved.entry.amount
    else:
        moved = await giftcards.refund(staff, args[0], amount, args[2], request=request, now=now)
        template = N_("{amount} put back on gift card {code}. Balance: {balance}.")
    await say(
        message,
        t(
            template,
            locale,
            code=code_text(moved.card.code),
            amount=money(amount, moved.currency, locale),
            balance=money(moved.balance, moved.currency, locale),
            receipt=moved.entry.receipt or "",
        ),
    )


def router() -> Router:
    commands = Router(name="staff.giftcards")
    commands.message.register(on_giftcard, Command("giftcard"), flags={"action": Action.GIFT_CARDS})
    return commands
