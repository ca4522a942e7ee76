"""At the counter: purchases, refunds, corrections, vouchers and member look-ups."""

from __future__ import annotations

import logging
from datetime import datetime

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject, MagicData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from handlers.format import day, number, signed
from handlers.i18n import N_, t
from handlers.telegram.staff.common import ident, request_of, say
from handlers.telegram.workflow import Settings
from handlers.texts import reason_text, tier_name
from handlers.till_texts import offer_line, priced_lines
from loyalty.members import find_member, get_member
from loyalty.numbers import parse_id, parse_int
from loyalty.staff import counter as desk
from loyalty.staff.access import approvers
from loyalty.staff.permissions import Action
from loyalty.staff.profile import move_member, profile
from models import PendingApproval, Staff, Tier

log = logging.getLogger("club.staff")

GENDERS = {
    "male": N_("Gender: male"),
    "female": N_("Gender: female"),
    "unspecified": N_("Gender: not given"),
}


def _tier(tier: Tier | None, locale: str) -> str:
    return tier_name(tier.code, tier.name, locale) if tier else "-"


async def on_earn(
    message: Message,
    command: CommandObject,
    staff: Staff,
    locale: str,
    now: datetime,
    settings: Settings,
    bot: Bot,
) -> None:
    parts = (command.args or "").split()
    # A promo code rides along as code=X, anywhere after the member.
    codes = [p.split("=", 1)[1] for p in parts if p.lower().startswith("code=")]
    parts = [p for p in parts if not p.lower().startswith("code=")]
    if len(parts) not in (2, 3) or len(codes) > 1:
        await say(message, t(N_("Usage: /earn <member> <amount> [receipt]"), locale))
        return
    member = await find_member(parts[0])
    amount = parse_int(parts[1], maximum=None)  # the club's maximum purchase bounds it
    given = parts[2] if len(parts) == 3 else None
    # Without a receipt the message itself names the purchase.
    receipt = given or request_of(message)
    outcome = await desk.earn(
        staff,
        member,
        amount,
        receipt,
        tz=settings.tz,
        now=now,
        promo_code=codes[0] if codes else None,
    )
    if outcome.pending is not None:
        await say(
            message,
            t(
                N_(
                    "Over the daily cap: this purchase waits for a manager's approval "
                    "(request {id})."
                ),
                locale,
                id=ident(outcome.pending.id, locale),
            ),
        )
        if outcome.new_request:
            await _ask_approvers(bot, outcome.pending, staff, settings)
        return
    result = outcome.result
    assert result is not None
    values = {
        "points": number(result.points, locale),
        "balance": number(result.balance, locale),
        "tier": _tier(result.tier, locale),
    }
    if result.replayed and given:
        text = t(
            N_(
                "This receipt was already recorded: {points} points were earned then. "
                "Balance: {balance}. Tier: {tier}."
            ),
            locale,
            **values,
        )
    else:
        params = outcome.quote.params() if outcome.quote else {}
        lines = priced_lines(params, amount, locale)
        lines.append(
            t(
                N_("Purchase recorded: {points} points earned. Balance: {balance}. Tier: {tier}."),
                locale,
                **values,
            )
        )
        offer = offer_line(params, locale, member=False)
        text = "\n".join([*lines, offer] if offer else lines)
    await say(message, text)


# The approvers' buttons; every staff button's data starts with BUTTONS
# (handlers/telegram/routers.py).
BUTTONS = "staff:"
APPROVE, REJECT = f"{BUTTONS}approve:", f"{BUTTONS}reject:"


async def _ask_approvers(
    bot: Bot, held: PendingApproval, cashier: Staff, settings: Settings
) -> None:
    member = await get_member(held.payload["member"])
    locale = settings.default_locale
    text = t(
        N_(
            "Approval needed (request {id}): {cashier} records a purchase of {amount} "
            "for {member}: {points} points."
        ),
        locale,
        id=ident(held.id, locale),
        cashier=cashier.name or str(cashier.telegram_id),
        amount=number(held.payload["amount"], locale),
        member=f"{member.first_name} {member.last_name}".strip() or member.phone or "-",
        points=number(held.points, locale),
    )
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=t(N_("Approve"), locale), callback_data=f"{APPROVE}{held.id}"
                ),
                InlineKeyboardButton(
                    text=t(N_("Reject"), locale), callback_data=f"{REJECT}{held.id}"
                ),
            ]
        ]
    )
    for chat_id in await approvers(held.branch_id, settings.owner_ids):
        try:
            await bot.send_message(chat_id, text, reply_markup=keyboard, parse_mode=None)
        except TelegramAPIError as error:
            # An approver who never opened the bot cannot be written to; the others can decide.
            log.warning(
                "approval %s not delivered to %s: %s", held.id, chat_id, type(error).__name__
            )


async def on_decide(
    query: CallbackQuery, staff: Staff, locale: str, now: datetime, bot: Bot, settings: Settings
) -> None:
    _, verdict, raw_id = (query.data or "").split(":")
    held, result = await desk.decide(
        staff, int(raw_id), verdict == "approve", now=now, tz=settings.tz
    )
    if result is not None:
        text = t(
            N_("Request {id} approved: {points} points earned. Balance: {balance}."),
            locale,
            id=ident(held.id, locale),
            points=number(result.points, locale),
            balance=number(result.balance, locale),
        )
    else:
        text = t(N_("Request {id} rejected."), locale, id=ident(held.id, locale))
    await query.answer()
    if query.message is not None:
        await bot.edit_message_text(
            text,
            chat_id=query.message.chat.id,
            message_id=query.message.message_id,
            parse_mode=None,
        )
    try:
        await bot.send_message(held.staff.telegram_id, text, parse_mode=None)
    except TelegramAPIError:
        log.warning("decision on %s not delivered to the cashier", held.id)


# The amount of /refund that means the whole purchase, for naming the branch after it.
WHOLE = frozenset({"all", "همه"})


async def on_refund(
    message: Message, command: CommandObject, staff: Staff, locale: str, now: datetime
) -> None:
    parts = (command.args or "").split()
    if len(parts) not in (1, 2, 3):
        await say(message, t(N_("Usage: /refund <receipt> [amount|all] [branch]"), locale))
        return
    whole = len(parts) == 1 or parts[1].casefold() in WHOLE
    amount = None if whole else parse_int(parts[1], maximum=None)
    branch_id = parse_id(parts[2]) if len(parts) == 3 else None
    result = await desk.refund(
        staff, parts[0], amount, branch_id=branch_id, request=request_of(message), now=now
    )
    await say(
        message,
        t(
            N_("Refund recorded: {points} points taken back. Balance: {balance}."),
            locale,
            points=number(result.points_reversed, locale),
            balance=number(result.balance, locale),
        ),
    )


async def on_adjust(
    message: Message, command: CommandObject, staff: Staff, locale: str, now: datetime
) -> None:
    parts = (command.args or "").split(maxsplit=2)
    if len(parts) != 3 or parts[1][:1] not in "+-":
        await say(message, t(N_("Usage: /adjust <member> <+N|-N> <reason>"), locale))
        return
    member = await find_member(parts[0])
    entry = await desk.adjust(
        staff,
        member.id,
        parse_int(parts[1], signed=True, maximum=None),
        parts[2],
        request=request_of(message),
        now=now,
    )
    balance = (await get_member(member.id)).balance
    await say(
        message,
        t(
            N_("Correction #{id}: {points} points. Balance: {balance}."),
            locale,
            id=ident(entry.id, locale),
            points=signed(entry.amount, locale),
            balance=number(balance, locale),
        ),
    )


async def on_undo(
    message: Message, command: CommandObject, staff: Staff, locale: str, now: datetime
) -> None:
    parts = (command.args or "").split()
    if len(parts) != 1:
        await say(message, t(N_("Usage: /undo <transaction id>"), locale))
        return
    entry = await desk.undo(staff, parse_id(parts[0]), now=now)
    balance = (await get_member(entry.member_id)).balance
    await say(
        message,
        t(
            N_("Transaction #{original} undone by #{id}: {points} points. Balance: {balance}."),
            locale,
            original=entry.reverses_id,
            id=ident(entry.id, locale),
            points=signed(entry.amount, locale),
            balance=number(balance, locale),
        ),
    )


async def on_redeem(
    message: Message, command: CommandObject, staff: Staff, locale: str, now: datetime
) -> None:
    code = (command.args or "").strip()
    if not code:
        await say(message, t(N_("Usage: /redeem <voucher code>"), locale))
        return
    voucher = await desk.use_voucher(staff, code, now=now)
    await say(
        message,
        t(
            N_("Voucher {code} accepted: give {reward}."),
            locale,
            code=voucher.code,
            reward=voucher.reward.name,
        ),
    )


async def on_member(
    message: Message,
    command: CommandObject,
    staff: Staff,
    locale: str,
    now: datetime,
    settings: Settings,
) -> None:
    reference = (command.args or "").strip()
    if not reference:
        await say(message, t(N_("Usage: /member <phone, card or #member number>"), locale))
        return
    info = await profile(staff, await find_member(reference), now=now)
    member = info.member
    lines = [
        f"{member.first_name} {member.last_name}".strip() or "-",
        t(N_("Card: {card}"), locale, card=info.card),
        t(N_("Tier: {tier}"), locale, tier=_tier(info.tier, locale)),
        t(N_("Balance: {points} points"), locale, points=number(member.balance, locale)),
    ]
    if info.gender is not None:
        if member.birth_date is not None:
            lines.append(t(N_("Birthday: {date}"), locale, date=day(member.birth_date, locale)))
        lines.append(t(GENDERS[info.gender], locale))
    if info.history:
        lines.append(t(N_("Last transactions:"), locale))
    for entry in info.history:
        lines.append(
            f"#{ident(entry.id, locale)} {day(entry.created_at, locale, settings.tz)} "
            f"{signed(entry.amount, locale)} {reason_text(entry.reason, entry.note, locale)}"
        )
    await say(message, "\n".join(lines))


async def on_move(
    message: Message, command: CommandObject, staff: Staff, locale: str, now: datetime
) -> None:
    """Move a member to another home branch: /move <member> <branch number>."""
    parts = (command.args or "").split()
    if len(parts) < 2:
        await say(message, t(N_("Usage: /move <member> <branch number>"), locale))
        return
    member = await find_member(" ".join(parts[:-1]))
    branch = await move_member(staff, member, parse_int(parts[-1]), now=now)
    name = f"{member.first_name} {member.last_name}".strip() or f"#{ident(member.id, locale)}"
    await say(
        message,
        t(N_("{name} now belongs to branch {branch}."), locale, name=name, branch=branch.name),
    )


def router() -> Router:
    commands = Router(name="staff.counter")
    commands.message.register(on_earn, Command("earn"), flags={"action": Action.EARN})
    commands.callback_query.register(
        on_decide,
        MagicData(F.event.data.startswith(APPROVE) | F.event.data.startswith(REJECT)),
        flags={"action": Action.APPROVE},
    )
    commands.message.register(on_refund, Command("refund"), flags={"action": Action.REFUND})
    commands.message.register(on_adjust, Command("adjust"), flags={"action": Action.ADJUST})
    commands.message.register(on_undo, Command("undo"), flags={"action": Action.UNDO})
    commands.message.register(on_redeem, Command("redeem"), flags={"action": Action.USE_VOUCHER})
    commands.message.register(on_member, Command("member"), flags={"action": Action.VIEW_MEMBER})
    commands.message.register(on_move, Command("move"), flags={"action": Action.MOVE_MEMBER})
    return commands
