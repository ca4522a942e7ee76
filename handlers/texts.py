"""Sentences every channel shares: what a domain error means, why points changed."""

from __future__ import annotations

from collections.abc import Iterable

from handlers.format import number
from handlers.i18n import LOCALES, N_, t
from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.rules import DEFAULT_BRANCH_NAME, DEFAULT_CLUB_NAME

ERRORS: dict[ErrorCode, str] = {
    ErrorCode.INVALID_PHONE: N_("That is not a valid mobile number."),
    ErrorCode.INVALID_AMOUNT: N_("The amount must be a positive whole number."),
    ErrorCode.INVALID_CARD: N_("That card number is not valid: please check the digits."),
    ErrorCode.INVALID_NAME: N_("Please send a name of 1 to {max} letters."),
    ErrorCode.INVALID_DATE: N_("That date does not exist or is not a valid birthday."),
    ErrorCode.INVALID_FILE: N_(
        "The file cannot be read as CSV text: in Excel choose Save As, CSV (UTF-8 or comma "
        "delimited)."
    ),
    ErrorCode.MEMBER_NOT_FOUND: N_("No member with that phone or card number."),
    ErrorCode.MEMBER_DELETED: N_("This membership was closed at the member's request."),
    ErrorCode.TELEGRAM_LINKED_ELSEWHERE: N_(
        "This Telegram account already belongs to another member."
    ),
    ErrorCode.BRANCH_NOT_FOUND: N_("No such branch."),
    ErrorCode.BRANCH_CLOSED: N_(
        "Branch {branch} is closed: it takes no new purchases, staff or members."
    ),
    ErrorCode.BRANCH_NAME_TAKEN: N_("Another branch is already called {name}."),
    ErrorCode.LAST_OPEN_BRANCH: N_("This is the last open branch: open another one first."),
    ErrorCode.INVALID_FILTER: N_("There is no {value} for {filter}."),
    ErrorCode.OTHER_BRANCH: N_("You manage branch {branch}: only its members can be chosen."),
    ErrorCode.GROUP_NOT_FOUND: N_("No such product group."),
    ErrorCode.INVALID_PERCENT: N_("A percentage must be above 0 and at most 100."),
    ErrorCode.INVALID_DATE_RANGE: N_("The end date is before the start date."),
    ErrorCode.DISCOUNT_NOT_FOUND: N_("No discount rule with that number."),
    ErrorCode.PROMO_NOT_FOUND: N_("No promo code {code}."),
    ErrorCode.CAUSE_NOT_FOUND: N_("No charity cause number {cause} takes gifts."),
    ErrorCode.NO_CAUSES: N_("No charity cause takes gifts right now."),
    ErrorCode.CHOOSE_CAUSE: N_("Several causes take gifts: please choose one by its number."),
    ErrorCode.CHARITY_BELOW_MINIMUM: N_("The smallest gift to a cause is {minimum} points."),
    ErrorCode.PARTNER_NOT_FOUND: N_("No partner number {partner}."),
    ErrorCode.OFFER_NOT_FOUND: N_("No partner offer number {offer}."),
    ErrorCode.CODES_RAN_OUT: N_("The codes of {reward} have run out."),
    ErrorCode.NOT_UPLOADED_CODES: N_("Offer {offer} has codes made by the club: it takes no file."),
    ErrorCode.BAD_CODES_FILE: N_(
        "Line {line} of the file is not a code (4 to 16 letters or digits): {code}"
    ),
    ErrorCode.NO_CODES_IN_FILE: N_("The file holds no codes: one code a line."),
    ErrorCode.AGENT_NOT_FOUND: N_("No agent has the code {code}."),
    ErrorCode.PAY_MORE_THAN_DUE: N_(
        "Only {due} {currency} is due to this agent: {amount} {currency} cannot be paid."
    ),
    ErrorCode.SURVEY_NOT_FOUND: N_("No survey number {survey}."),
    ErrorCode.SURVEY_SENT: N_("Survey {survey} was sent already: its questions cannot change."),
    ErrorCode.SURVEY_NO_QUESTIONS: N_("Survey {survey} has no questions yet."),
    ErrorCode.SURVEY_TOO_MANY: N_("A survey has at most {max} questions."),
    ErrorCode.SURVEY_OPTIONS: N_("A choice question needs {min} to {max} options."),
    ErrorCode.SURVEY_DEADLINE_PAST: N_("The deadline has passed already."),
    ErrorCode.SURVEY_CLOSED: N_("This survey is closed."),
    ErrorCode.SURVEY_ANSWERED: N_("You have answered this survey already."),
    ErrorCode.SURVEY_NOT_INVITED: N_("This survey was not sent to you."),
    ErrorCode.SURVEY_ANSWER_RANGE: N_("Please answer with a number from {low} to {high}."),
    ErrorCode.SURVEY_ANSWER_MISSING: N_("Question {question} needs an answer."),
    ErrorCode.SURVEY_NO_SMS_QUESTION: N_(
        "SMS asks one choice or rating question, and this survey has none: send it by Telegram."
    ),
    ErrorCode.SURVEY_SMS_TOO_LONG: N_(
        "The SMS question takes {parts} SMS: shorten it to fit one, or send by Telegram."
    ),
    ErrorCode.PROMO_NOT_STARTED: N_("Promo code {code} is not valid yet."),
    ErrorCode.PROMO_EXPIRED: N_("Promo code {code} has expired."),
    ErrorCode.PROMO_USED_UP: N_("Promo code {code} is used up."),
    ErrorCode.PROMO_MEMBER_LIMIT: N_("This member has used promo code {code} as often as allowed."),
    ErrorCode.PROMO_BELOW_MINIMUM: N_("Promo code {code} needs a purchase of at least {minimum}."),
    ErrorCode.PROMO_OTHER_BRANCH: N_("Promo code {code} is for another branch."),
    ErrorCode.PROMO_OTHER_GROUP: N_("Promo code {code} is for another product group."),
    ErrorCode.PROMO_TIER: N_("Promo code {code} is for a higher tier."),
    ErrorCode.PROMO_ONCE_PER_PURCHASE: N_("This purchase already used a promo code."),
    ErrorCode.PROMO_NOT_YOURS: N_("Promo code {code} was given to another member."),
    ErrorCode.CAMPAIGN_NOT_FOUND: N_("No campaign number {campaign}."),
    ErrorCode.CAMPAIGN_STARTED: N_("Campaign {campaign} has already started: too late for codes."),
    ErrorCode.CAMPAIGN_NO_CODE: N_(
        "The text of campaign {campaign} has no {{code}} for each member's code."
    ),
    ErrorCode.CAMPAIGN_HAS_BATCH: N_("Campaign {campaign} already has a batch of codes."),
    ErrorCode.BAD_PICTURE: N_(
        "This file is not a picture we can use: send a JPEG, PNG, WebP or GIF under 5 MB."
    ),
    ErrorCode.INVALID_LINK: N_(
        "A link must be a web address that starts with https:// or http://."
    ),
    ErrorCode.BANNER_NOT_FOUND: N_("No such banner: it may have been removed already."),
    ErrorCode.PICTURE_NOT_FOUND: N_("No such picture: it may have been removed already."),
    ErrorCode.BAD_COLOUR: N_("A colour is written as # and six hex digits, like #0f766e."),
    ErrorCode.INVALID_CONTACT_PHONE: N_(
        "That is not a phone number: write it with its area code, like 021 1234 5678."
    ),
    ErrorCode.BELOW_MINIMUM: N_(
        "Not recorded: the minimum purchase here is {minimum}; smaller purchases earn no points."
    ),
    ErrorCode.PURCHASE_NOT_FOUND: N_("No purchase with receipt {receipt} at this branch."),
    ErrorCode.RECEIPT_IN_BRANCHES: N_(
        "Receipt {receipt} is in branches {branches}: name the branch, as in "
        "/refund {receipt} all <branch>."
    ),
    ErrorCode.OWN_BRANCH_ONLY: N_("Only purchases of your own branch (#{branch}) can be refunded."),
    ErrorCode.REFUND_TOO_LARGE: N_("Only {left} of this purchase is left to refund."),
    ErrorCode.ALREADY_REFUNDED: N_("This purchase has already been refunded in full."),
    ErrorCode.ENTRY_NOT_FOUND: N_("No transaction with that number."),
    ErrorCode.ALREADY_REVERSED: N_("That transaction has already been undone."),
    ErrorCode.NOT_REVERSIBLE: N_(
        "That transaction cannot be undone this way: refund the purchase or cancel the voucher."
    ),
    ErrorCode.REWARD_NOT_FOUND: N_("No such reward."),
    ErrorCode.REWARD_INACTIVE: N_("This reward is no longer offered."),
    ErrorCode.REWARD_NOT_STARTED: N_("This reward is not available yet."),
    ErrorCode.REWARD_ENDED: N_("This reward has ended."),
    ErrorCode.REWARD_OUT_OF_STOCK: N_("This reward is out of stock."),
    ErrorCode.REWARD_WRONG_BRANCH: N_("This voucher is for another branch."),
    ErrorCode.TIER_TOO_LOW: N_("This reward needs a higher tier."),
    ErrorCode.CUSTOMER_TYPE_ONLY: N_("This reward is for {customer_type} customers only."),
    ErrorCode.CARD_REPLACED: N_("Card {reference} was replaced by a new card and no longer works."),
    ErrorCode.TIER_NOT_FOUND: N_("There is no tier {tier}."),
    ErrorCode.NOT_ENOUGH_POINTS: N_("Not enough points: you have {balance}, this needs {needed}."),
    ErrorCode.NEGATIVE_BALANCE: N_(
        "Your balance is below zero, so rewards are paused until it is positive again."
    ),
    ErrorCode.VOUCHER_NOT_FOUND: N_("No voucher with that code."),
    ErrorCode.VOUCHER_USED: N_("This voucher has already been used."),
    ErrorCode.VOUCHER_EXPIRED: N_("This voucher has expired."),
    ErrorCode.VOUCHER_CANCELLED: N_("This voucher was cancelled."),
    ErrorCode.SELF_REFERRAL: N_("You cannot invite yourself."),
    ErrorCode.ALREADY_REFERRED: N_("You were already invited by someone else."),
    ErrorCode.REFERRAL_NOT_FOUND: N_("That invitation link is not valid."),
    ErrorCode.FEEDBACK_RATING: N_("Please rate from 1 to 5."),
    ErrorCode.TEXT_TOO_LONG: N_("That text is too long: at most {max} characters."),
    ErrorCode.EMPTY_TEXT: N_("Please write some text."),
    ErrorCode.AMOUNT_TOO_LARGE: N_("The amount is above the club's maximum purchase of {max}."),
    ErrorCode.NUMBER_TOO_LARGE: N_("That number is too large: at most {max}."),
    ErrorCode.ADJUSTMENT_TOO_LARGE: N_("A correction can change at most {max} points."),
    ErrorCode.NEGATIVE_RESULT: N_(
        "This correction would leave the balance at {after} (now {balance})."
    ),
    ErrorCode.UNKNOWN_SCOPE: N_("Unknown scopes: {scopes}. Choose from: {known}."),
    ErrorCode.API_KEY_NOT_FOUND: N_("No API key with that number."),
    ErrorCode.INVALID_GIFT_CODE: N_("That is not a gift card code: please check it."),
    ErrorCode.GIFT_CARD_NOT_FOUND: N_("No gift card with that code."),
    ErrorCode.GIFT_CARD_BLOCKED: N_("This gift card is blocked."),
    ErrorCode.GIFT_CARD_EXPIRED: N_("This gift card has expired."),
    ErrorCode.GIFT_CARD_BALANCE: N_("Not enough on the gift card: it holds {balance} {currency}."),
    ErrorCode.GIFT_REFUND_TOO_LARGE: N_(
        "Only {left} {currency} of this receipt can go back on the card."
    ),
    ErrorCode.GIFT_CARD_NOT_YOURS: N_("That gift card is not yours."),
    ErrorCode.GIFT_CARD_TO_SELF: N_("The card is yours already: give it to someone else."),
    ErrorCode.INVALID_MULTIPLIER: N_(
        "The multiplier must be above 0 and at most {max}, with at most two decimals."
    ),
    ErrorCode.FESTIVAL_DATE: N_(
        "{text} is not a date: write 1405/10/01 or 2026-12-22, a time may follow (18:30)."
    ),
    ErrorCode.FESTIVAL_ENDS_FIRST: N_("The festival must end after it starts."),
    ErrorCode.FESTIVAL_NOT_FOUND: N_("No festival with that number."),
}

# The club's currency (ClubRules.currency), after an amount of money.
CURRENCIES: dict[str, str] = {"toman": N_("toman"), "rial": N_("rial")}

REASONS: dict[str, str] = {
    "signup": N_("for joining"),
    "purchase": N_("purchase"),
    "refund": N_("purchase refunded"),
    "redeem": N_("reward redeemed"),
    "adjust": N_("correction"),
    "reverse": N_("transaction undone"),
    "expired": N_("points expired"),
    "birthday": N_("birthday gift"),
    "feedback": N_("thanks for your feedback"),
    "promo": N_("promo code"),
    "referral_joined": N_("for joining through a friend"),
    "referral_invited": N_("for inviting a friend"),
    "voucher_cancelled": N_("voucher cancelled"),
    "voucher_expired": N_("unused voucher expired"),
    "import": N_("opening balance"),
    "birthday_voucher": N_("birthday gift voucher"),
    "gift_voucher": N_("gift voucher"),
    "charity": N_("given to charity"),
    "survey": N_("survey answered"),
}

# Who a reward is for, in "This reward is for {customer_type} customers only."
CUSTOMER_TYPES: dict[str, str] = {
    "individual": N_("individual"),
    "company": N_("company"),
}

TIERS: dict[str, str] = {
    "bronze": N_("Bronze"),
    "silver": N_("Silver"),
    "gold": N_("Gold"),
}

# RFM segments (loyalty/rfm.py), for campaign audiences and reports.
SEGMENT_NAMES = {
    "champions": N_("Champions"),
    "loyal": N_("Loyal"),
    "new": N_("New"),
    "at_risk": N_("At risk"),
    "hibernating": N_("Hibernating"),
    "needs_attention": N_("Need attention"),
}


def error_text(error: LoyaltyError, locale: str) -> str:
    values = {key: _value(value, locale) for key, value in error.values.items()}
    if error.values.get("customer_type") in CUSTOMER_TYPES:
        values["customer_type"] = t(CUSTOMER_TYPES[error.values["customer_type"]], locale)
    if "currency" in values:
        values["currency"] = currency_name(str(values["currency"]), locale)
    template = ERRORS.get(error.code)
    if template is None:
        return t(N_("That did not work."), locale)
    try:
        return t(template, locale, **values)
    except (KeyError, IndexError):
        return t(template, locale)


def _value(value: object, locale: str) -> object:
    """A number in the reader's digits; a list of numbers (branch ids) one after another."""
    if isinstance(value, int) and not isinstance(value, bool):
        return number(value, locale)
    if isinstance(value, list):
        return ("، " if locale == "fa" else ", ").join(str(_value(v, locale)) for v in value)
    return value


def currency_name(code: str, locale: str) -> str:
    return t(CURRENCIES[code], locale) if code in CURRENCIES else code


def money(amount: int, code: str, locale: str) -> str:
    """An amount of money with its unit: 25,000 toman, ۲۵٬۰۰۰ تومان."""
    return f"{number(amount, locale)} {currency_name(code, locale)}"


def reason_text(reason: str, note: str, locale: str) -> str:
    """Why points changed, as the member reads it; staff's own words follow a correction."""
    label = t(REASONS[reason], locale) if reason in REASONS else reason
    return f"{label}: {note}" if note else label


def branch_name(name: str, locale: str) -> str:
    """A branch as the reader calls it: the first branch the club was given is named in
    their language until the owner renames it."""
    return t(N_("Main"), locale) if name == DEFAULT_BRANCH_NAME else name


def club_name(name: str, locale: str) -> str:
    """The club's name, in the reader's language while the owner has not set one."""
    return t(N_("Club"), locale) if name == DEFAULT_CLUB_NAME else name


def tier_name(code: str, custom: str | None, locale: str) -> str:
    if custom:
        return custom
    return t(TIERS[code], locale) if code in TIERS else code


def tier_names(tiers: Iterable[tuple[str, str | None]]) -> dict[str, str]:
    """Every name a tier (code, owner's name) is shown by, in every language, to its code:
    what a spreadsheet typed by a person may hold in its tier column."""
    return {tier_name(code, custom, locale): code for code, custom in tiers for locale in LOCALES}


def tier_code(typed: str, tiers: Iterable[tuple[str, str | None]]) -> str:
    """The code of the tier staff typed by its code or any of its names, in any letter
    case; what they typed when no tier has it (the domain refuses it then)."""
    tiers = list(tiers)
    known = {name.casefold(): code for name, code in tier_names(tiers).items()}
    known |= {code.casefold(): code for code, _ in tiers}
    typed = " ".join(typed.split())
    return known.get(typed.casefold(), typed)
