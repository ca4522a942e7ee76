"""Words staff read in every door (the chat, the panel's pages): the roles, the club's
rules by name, amounts that may be decimal (an earning rate of 1.25), refusals."""

from __future__ import annotations

from decimal import Decimal

from handlers.format import number, persian_digits
from handlers.i18n import N_, t
from handlers.texts import error_text
from loyalty.errors import ErrorCode, LoyaltyError

ROLES = {
    "owner": N_("owner"),
    "manager": N_("manager"),
    "cashier": N_("cashier"),
    "partner": N_("partner's staff"),
    "agent": N_("agent"),
}


def amount(value: int | Decimal, locale: str) -> str:
    """A whole number with separators, or a decimal (1.25) with the reader's digits."""
    if isinstance(value, Decimal) and value != value.to_integral_value():
        text = f"{value.normalize():f}"
        return persian_digits(text.replace(".", "٫")) if locale == "fa" else text
    return number(int(value), locale)


STAFF_ERRORS: dict[ErrorCode, str] = {
    ErrorCode.NOT_ALLOWED: N_("Not allowed."),
    ErrorCode.INVITE_NOT_FOUND: N_("This invitation link is not valid or was already used."),
    ErrorCode.STAFF_NOT_FOUND: N_("No staff member with that number."),
    ErrorCode.APPROVAL_NOT_FOUND: N_("This request was already decided or does not exist."),
    ErrorCode.ALREADY_ANSWERED: N_("This message was already answered."),
    ErrorCode.INBOX_NOT_FOUND: N_("No message with that number in the inbox."),
    ErrorCode.NO_TELEGRAM: N_("This member cannot be reached on Telegram."),
    ErrorCode.NO_SMS: N_("This member cannot be reached by SMS."),
    ErrorCode.INVALID_SETTING: N_("That value is not valid for {key}."),
    ErrorCode.INVALID_VALUE: N_("This value is not understood."),
    ErrorCode.NOT_A_COMPANY: N_(
        "This member is not a company customer: give the company's name first."
    ),
    ErrorCode.DUPLICATE_PHONE: N_("This phone number is on an earlier line too."),
    # A member reading "you have" fits the member chat; staff read about the member.
    ErrorCode.NOT_ENOUGH_POINTS: N_(
        "Not enough points: the member has {balance}, this needs {needed}."
    ),
    ErrorCode.ALREADY_APPROVED: N_("Request {approval} was already approved."),
    ErrorCode.ALREADY_REJECTED: N_("Request {approval} was already rejected."),
    ErrorCode.APPROVAL_REFUSED: N_("Request {approval} was not approved: {reason}"),
}


OUT_OF_RANGE = N_("That value is not valid for {key}: send a number from {min} to {max}.")


def staff_error_text(error: LoyaltyError, locale: str) -> str:
    values = error.values
    if error.code is ErrorCode.INVALID_SETTING and "max" in values:
        return t(
            OUT_OF_RANGE,
            locale,
            key=values["key"],
            min=amount(values["min"], locale),
            max=amount(values["max"], locale),
        )
    template = STAFF_ERRORS.get(error.code)
    if template is None:
        return error_text(error, locale)
    try:
        return t(template, locale, **{k: _value(v, locale) for k, v in error.values.items()})
    except (KeyError, IndexError):
        return t(template, locale)


def _value(value: object, locale: str) -> str:
    """A value in a staff refusal: a refusal it carries in words, digits the reader's."""
    if isinstance(value, LoyaltyError):
        return staff_error_text(value, locale)
    text = str(value)
    return persian_digits(text) if locale == "fa" else text
