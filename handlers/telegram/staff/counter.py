"""At the counter: purchases, refunds, corrections, vouchers and member look-ups."""

from __future__ import annotations

import logging
from datetime import datetime

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject, MagicData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from handlers.format import day, digits, number, signed
from handlers.i18n import N_, t
from handlers.telegram.staff.common import ident, request_of, say
from handlers.telegram.staff.texts import amount
from handlers.telegram.workflow import Settings
from handlers.texts import branch_name, reason_text, tier_name
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


# Typed in the receipt's place to name a product group for a purchase without a receipt.
NO_RECEIPT = "-"


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
    words = (command.args or "").split()
    # A promo code rides along as code=X, anywhere after the member.
    codes = [w.split("=", 1)[1] for w in words if w.lower().startswith("code=")]
    words = [w for w in words if not w.lower().startswith("code=")]
    # The group's name may have spaces: it is the rest of the line.
    parts = [*words[:3], " ".join(words[3:])] if len(words) > 3 else words
    if len(parts) < 2 or len(codes) > 1:
        await say(
            message, t(N_("Usage: /earn <member> <amount> [receipt] [group] [code=X]"), locale)
        )
        return
    member = await find_member(parts[0])
    amount = parse_int(parts[1], maximum=None)  # the club's maximum purchase bounds it
    given = parts[2] if len(parts) > 2 and parts[2] != NO_RECEIPT else None
    group = await desk.product_group(parts[3]) if len(parts) == 4 else None
    # Without a receipt the message itself names the purchase.
    receipt = given or request_of(message)
    outcome = await desk.earn(
        staff,
        member,
        amount,
        receipt,
        tz=settings.tz,
        group_id=group and group.id,
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
        if group is not None:
            lines.append(
                t(
                    N_("Product group: {group} (points ×{multiplier})."),
                    locale,
                    group=group.name,
                    multiplier=number(group.multiplier, locale),
                )
            )
        offer = offer_line(params, locale, member=False)
        text = "\n".join([*lines, offer] if offer else lines)
    await say(message, text)


# The approvers' buttons; every staff button's data starts with BUTTONS
# (handlers/telegram/routers.py).
BUTTONS = "staff:"
APPROVE, REJECT = f"{BUTTONS}approve:", f"{BUTTONS}reject:"
ADJUST_OK, ADJUST_NO = f"{BUTTONS}adjust_ok:", f"{BUTTONS}adjust_no:"


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
        cashier=cashier.name or ident(cashier.telegram_id, locale),
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
    outcome = await desk.adjust(
        staff,
        member.id,
        parse_int(parts[1], signed=True, maximum=None),
        parts[2],
        request=request_of(message),
        now=now,
    )
    if outcome.held is not None:
        held = outcome.held
        await message.answer(
            t(
                N_(
                    "This correction ({points} points) would leave the balance at {after} "
                    "(now {balance}). Record it anyway?"
                ),
                locale,
                points=signed(held.points, locale),
                after=number(outcome.balance + held.points, locale),
                balance=number(outcome.balance, locale),
            ),
            reply_markup=_confirm_keyboard(held.id, locale),
            parse_mode=None,
        )
        return
    await say(message, _corrected(outcome, locale))


def _corrected(outcome: desk.AdjustOutcome, locale: str) -> str:
    assert outcome.entry is not None
    return t(
        N_("Correction #{id}: {points} points. Balance: {balance}."),
        locale,
        id=ident(outcome.entry.id, locale),
        points=signed(outcome.entry.amount, locale),
        balance=number(outcome.balance, locale),
    )


def _confirm_keyboard(held_id: int, locale: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=t(N_("Confirm"), locale), callback_data=f"{ADJUST_OK}{held_id}"
                ),
                InlineKeyboardButton(
                    text=t(N_("Cancel"), locale), callback_data=f"{ADJUST_NO}{held_id}"
                ),
            ]
        ]
    )


async def on_adjust_confirm(
    query: CallbackQuery, staff: Staff, locale: str, now: datetime, bot: Bot
) -> None:
    _, verdict, raw_id = (query.data or "").split(":")
    held, outcome = await desk.confirm_adjustment(
        staff, int(raw_id), verdict == "adjust_ok", now=now
    )
    if outcome.entry is not None:
        text = _corrected(outcome, locale)
    else:
        text = t(N_("Correction cancelled: nothing was recorded."), locale)
    await query.answer()
    if query.message is not None:
        await bot.edit_message_text(
            text,
            chat_id=query.message.chat.id,
            message_id=query.message.message_id,
            parse_mode=None,
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


async def on_voucher(
    message: Message, command: CommandObject, staff: Staff, locale: str, now: datetime
) -> None:
    """/voucher cancel <code>: withdraw an unused voucher; its points go back."""
    parts = (command.args or "").split()
    if len(parts) != 2 or parts[0].casefold() != "cancel":
        await say(message, t(N_("Usage: /voucher cancel <voucher code>"), locale))
        return
    voucher = await desk.cancel_voucher(staff, parts[1], now=now)
    balance = (await get_member(voucher.member_id)).balance
    await say(
        message,
        t(
            N_("Voucher {code} cancelled: {points} points back to the member. Balance: {balance}."),
            locale,
            code=voucher.code,
            points=number(voucher.cost, locale),
            balance=number(balance, locale),
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
        t(N_("Card: {card}"), locale, card=digits(info.card, locale)),
        t(N_("Tier: {tier}"), locale, tier=_tier(info.tier, locale)),
        t(N_("Balance: {points} points"), locale, points=number(member.balance, locale)),
    ]
    if info.floor is not None:
        lines.append(t(N_("Tier floor: {tier}"), locale, tier=_tier(info.floor, locale)))
    if member.company_name:
        lines.append(t(N_("Company: {company}"), locale, company=member.company_name))
    if member.company_earn_rate is not None:
        lines.append(
            t(
                N_("Company earning rate: {rate}"),
                locale,
                rate=amount(member.company_earn_rate, locale),
            )
        )
    for card in info.replaced_cards:
        lines.append(
            t(
                N_("Card {card} replaced on {date}"),
                locale,
                card=card.number,
                date=day(card.replaced_at, locale, settings.tz) if card.replaced_at else "-",
            )
        )
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
        t(
            N_("{name} now belongs to branch {branch}."),
            locale,
            name=name,
            branch=branch_name(branch.name, locale),
        ),
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
    commands.callback_query.register(
        on_adjust_confirm,
        MagicData(F.event.data.startswith(ADJUST_OK) | F.event.data.startswith(ADJUST_NO)),
        flags={"action": Action.ADJUST},
    )
    commands.message.register(on_undo, Command("undo"), flags={"action": Action.UNDO})
    commands.message.register(on_redeem, Command("redeem"), flags={"action": Action.USE_VOUCHER})
    commands.message.register(
        on_voucher, Command("voucher"), flags={"action": Action.CANCEL_VOUCHER}
    )
    commands.message.register(on_member, Command("member"), flags={"action": Action.VIEW_MEMBER})
    commands.message.register(on_move, Command("move"), flags={"action": Action.MOVE_MEMBER})
    return commands
