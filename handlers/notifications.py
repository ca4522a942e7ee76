"""Outbox messages as the member reads them: one function per template code.

Rendered at sending time in the member's stored language (jobs have no middleware).
The SMS version is short: every part is billed, and 70 Persian characters fill one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from handlers.format import day, digits, number, signed
from handlers.i18n import N_, t
from handlers.surveys import ANSWER_BUTTON, INVITATION_PREFIX, invitation
from handlers.texts import money, reason_text, tier_name
from handlers.till_texts import discount_lines, offer_line
from loyalty.notify import SMS_REPLY

# Advertising SMS must end with this: the receiver answering 11 opts out.
OPT_OUT = "لغو۱۱"

Params = dict[str, Any]
Renderer = Callable[[Params, str, bool, ZoneInfo], str]


def _n(params: Params, key: str, locale: str) -> str:
    return number(int(params.get(key) or 0), locale)


def points_earned(params: Params, locale: str, sms: bool, tz: ZoneInfo) -> str:
    values = {"points": _n(params, "points", locale), "balance": _n(params, "balance", locale)}
    if sms:
        return t(N_("+{points} points. Balance: {balance}"), locale, **values)
    amount = _n(params, "amount", locale)
    found = discount_lines(params, locale, member=True)
    if found:
        lines = [
            t(N_("Your purchase of {amount}:"), locale, amount=amount),
            *found,
            t(
                N_("You paid {paid} and earned {points} points. Your balance is {balance}."),
                locale,
                paid=_n(params, "paid", locale),
                **values,
            ),
        ]
    else:
        lines = [
            t(
                N_(
                    "You earned {points} points for your purchase of {amount}. "
                    "Your balance is {balance}."
                ),
                locale,
                amount=amount,
                **values,
            )
        ]
    offer = offer_line(params, locale, member=True)
    return "\n".join([*lines, offer] if offer else lines)


def _tier(params: Params, locale: str) -> str:
    return tier_name(str(params.get("tier", "")), params.get("tier_name") or None, locale)


def tier_up(params: Params, locale: str, sms: bool, tz: ZoneInfo) -> str:
    if sms:
        return t(N_("Your new tier: {tier}"), locale, tier=_tier(params, locale))
    return t(
        N_("Congratulations! You are now in the {tier} tier."), locale, tier=_tier(params, locale)
    )


def tier_down(params: Params, locale: str, sms: bool, tz: ZoneInfo) -> str:
    return t(N_("Your tier is now {tier}."), locale, tier=_tier(params, locale))


def voucher_used(params: Params, locale: str, sms: bool, tz: ZoneInfo) -> str:
    code, reward = str(params.get("code", "")), str(params.get("reward", ""))
    if sms:
        return t(N_("Voucher {code} used."), locale, code=code)
    return t(
        N_("Your voucher {code} for {reward} was used. Enjoy!"), locale, code=code, reward=reward
    )


def voucher_cancelled(params: Params, locale: str, sms: bool, tz: ZoneInfo) -> str:
    code, points = str(params.get("code", "")), _n(params, "points", locale)
    balance = _n(params, "balance", locale)
    if sms:
        return t(
            N_("Voucher {code} cancelled: +{points} points. Balance: {balance}"),
            locale,
            code=code,
            points=points,
            balance=balance,
        )
    return t(
        N_(
            "Your voucher {code} for {reward} was cancelled and its {points} points were "
            "returned. Your balance is {balance}."
        ),
        locale,
        code=code,
        reward=str(params.get("reward", "")),
        points=points,
        balance=balance,
    )


def referral_rewarded(params: Params, locale: str, sms: bool, tz: ZoneInfo) -> str:
    points = _n(params, "points", locale)
    if sms:
        return t(N_("+{points} points for inviting a friend."), locale, points=points)
    return t(
        N_("A friend you invited made their first purchase: you received {points} points."),
        locale,
        points=points,
    )


def points_adjusted(params: Params, locale: str, sms: bool, tz: ZoneInfo) -> str:
    points = signed(int(params.get("points") or 0), locale)
    balance = _n(params, "balance", locale)
    note = str(params.get("note") or "")
    if sms or not note:
        return t(
            N_("Points corrected: {points}. Balance: {balance}"),
            locale,
            points=points,
            balance=balance,
        )
    return t(
        N_("Your points were corrected by {points} ({note}). Your balance is {balance}."),
        locale,
        points=points,
        note=note,
        balance=balance,
    )


def points_reversed(params: Params, locale: str, sms: bool, tz: ZoneInfo) -> str:
    """A staff member undid one of the member's transactions (a reversing row)."""
    points = signed(int(params.get("points") or 0), locale)
    balance = _n(params, "balance", locale)
    if sms:
        return t(
            N_("Undone: {points} points. Balance: {balance}"),
            locale,
            points=points,
            balance=balance,
        )
    what = reason_text(str(params.get("reason") or ""), str(params.get("note") or ""), locale)
    return t(
        N_(
            "The club undid a transaction of yours ({what}): {points} points. "
            "Your balance is {balance}."
        ),
        locale,
        what=what,
        points=points,
        balance=balance,
    )


def points_refunded(params: Params, locale: str, sms: bool, tz: ZoneInfo) -> str:
    points, balance = _n(params, "points", locale), _n(params, "balance", locale)
    if sms:
        return t(
            N_("Refund: -{points} points. Balance: {balance}"),
            locale,
            points=points,
            balance=balance,
        )
    return t(
        N_(
            "Your purchase of {amount} was refunded: {points} points were taken back. "
            "Your balance is {balance}."
        ),
        locale,
        amount=_n(params, "amount", locale),
        points=points,
        balance=balance,
    )


def staff_reply(params: Params, locale: str, sms: bool, tz: ZoneInfo) -> str:
    return t(N_("Reply from the club: {text}"), locale, text=str(params.get("text", "")))


def staff_message(params: Params, locale: str, sms: bool, tz: ZoneInfo) -> str:
    return t(N_("Message from the club: {text}"), locale, text=str(params.get("text", "")))


def birthday(params: Params, locale: str, sms: bool, tz: ZoneInfo) -> str:
    bonus = int(params.get("bonus") or 0)
    wish = t(N_("Happy birthday! The whole club wishes you a wonderful year."), locale)
    if sms:
        wish = t(N_("Happy birthday!"), locale)
    if bonus > 0:
        wish += " " + t(N_("Our gift: {points} points."), locale, points=number(bonus, locale))
    code = str(params.get("voucher") or "")
    if code and sms:
        wish += " " + t(N_("Gift voucher: {code}"), locale, code=code)
    elif code:
        wish += " " + t(
            N_("And a gift voucher for {reward}: show code {code} at the counter."),
            locale,
            reward=str(params.get("reward", "")),
            code=code,
        )
    return wish


def expiry_reminder(params: Params, locale: str, sms: bool, tz: ZoneInfo) -> str:
    when = day(date.fromisoformat(str(params["date"])), locale)
    points = _n(params, "points", locale)
    if sms:
        return t(N_("{points} points expire on {date}."), locale, points=points, date=when)
    return t(
        N_("{points} of your points expire on {date}. Use them before then!"),
        locale,
        points=points,
        date=when,
    )


def campaign(params: Params, locale: str, sms: bool, tz: ZoneInfo) -> str:
    text = str(params.get("text", ""))
    if params.get("survey"):  # a survey's invitation, in the member's language
        text = invitation(params["survey"], locale, sms, tz)
    return f"{text}\n{OPT_OUT}" if sms else text


def lottery_won(params: Params, locale: str, sms: bool, tz: ZoneInfo) -> str:
    lottery = number(int(params.get("lottery") or 0), locale)
    if sms:
        return t(N_("You won club lottery {lottery}!"), locale, lottery=lottery)
    return t(
        N_("Congratulations! You are a winner of club lottery {lottery}. We will be in touch."),
        locale,
        lottery=lottery,
    )


def gift_card_received(params: Params, locale: str, sms: bool, tz: ZoneInfo) -> str:
    balance = money(int(params.get("balance") or 0), str(params.get("currency", "")), locale)
    if sms:
        return t(N_("You received a gift card holding {balance}."), locale, balance=balance)
    return t(
        N_("You received a gift card holding {balance}. It is under Gift cards in the menu."),
        locale,
        balance=balance,
    )


def sms_reply(params: Params, locale: str, sms: bool, tz: ZoneInfo) -> str:
    # Rendered when the message was answered, in the sender's language: sent as it is.
    return str(params.get("text", ""))


def web_code(params: Params, locale: str, sms: bool, tz: ZoneInfo) -> str:
    # The sign-in code of the club's pages (loyalty/web_signin.py): SMS only.
    return t(
        N_("Your club sign-in code: {code}. Good for 5 minutes; tell it to nobody."),
        locale,
        code=digits(str(params.get("code", "")), locale),
    )


TEMPLATES: dict[str, Renderer] = {
    "points_earned": points_earned,
    "tier_up": tier_up,
    "tier_down": tier_down,
    "voucher_used": voucher_used,
    "voucher_cancelled": voucher_cancelled,
    "referral_rewarded": referral_rewarded,
    "points_adjusted": points_adjusted,
    "points_reversed": points_reversed,
    "points_refunded": points_refunded,
    "staff_reply": staff_reply,
    "staff_message": staff_message,
    "birthday": birthday,
    "expiry_reminder": expiry_reminder,
    "campaign": campaign,
    "lottery_won": lottery_won,
    "gift_card_received": gift_card_received,
    SMS_REPLY: sms_reply,
    "web_code": web_code,
}


def buttons(params: Params, locale: str) -> InlineKeyboardMarkup | None:
    """The button under a Telegram message, if it has one: a survey's invitation opens it."""
    survey = params.get("survey")
    if not survey:
        return None
    button = InlineKeyboardButton(
        text=t(ANSWER_BUTTON, locale), callback_data=f"{INVITATION_PREFIX}{survey['id']}"
    )
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


def render(template: str, params: Params, locale: str, *, sms: bool, tz: ZoneInfo) -> str:
    """The message text; raises KeyError for a template code nobody knows."""
    return TEMPLATES[template](params, locale, sms, tz)
