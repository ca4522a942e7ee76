"""SMS keywords: what a member's text asks for, and the short answer to it.

The keyword table is a contract with members (printed on posters and receipts):

    عضویت [name] | JOIN [name]    join with the sender's number
    عضویت <code> [name]           join brought by the agent with that code (`loyalty.agents`)
    امتیاز       | POINTS         balance, tier, points to the next tier
    جوایز        | REWARDS        affordable rewards, each with its number
    دریافت <n>   | REDEEM <n>     redeem reward n, answer with the voucher code
    تولد <date>  | BIRTHDAY <d>   set the birthday (1370/05/12 or 1991-08-03)
    نظر <text>   | FEEDBACK <t>   feedback for staff (/inbox)
    لغو or 11    | STOP           no more campaigns by SMS
    12           | START          campaigns by SMS again
    راهنما       | HELP           the list of keywords (in Persian without the hints)
    کارت <code>  | GIFT <code>    what a gift card holds (anyone may ask: the code is the key)
    اهدا <n> [c] | GIVE <n> [c]   give n points to the active charity cause (c: its number,
                                  needed when several take gifts)
    <n>                           answer the survey question the member was sent by SMS
                                  (a bare number; 11 and 12 stay STOP and START)

The number n in REDEEM is the reward's id, which the REWARDS answer prints before each
reward. An id stays the same between the list and the redeem request, whereas a position
in "the last list shown" would point at another reward once the balance or the catalogue
changed in between, and it would need per-sender state.

Every answer is written to fit one SMS part (70 characters in Persian) and never more
than two; tests/test_sms_templates.py measures them all in both languages.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from handlers.format import day, number
from handlers.i18n import N_, pick_locale, t
from handlers.sms.text import normalize, sms_parts, to_persian_digits
from handlers.surveys import SMS_THANKS, THANKS_NO_POINTS, thanks
from handlers.texts import error_text, money, tier_name
from loyalty import charity, giftcards, inbox, members, rewards, surveys, tiers
from loyalty.codes import looks_like_agent_code
from loyalty.dates import parse_birthday
from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.numbers import parse_id
from loyalty.text import to_ascii_digits
from models import Channel, Member

NEW_NUMBER_LOCALE = "fa"  # the issue: a number the club does not know is answered in Persian
MAX_PARTS = 2
MAX_LISTED_REWARDS = 5
MAX_REWARD_NAME = 20
MAX_CAUSE_NAME = 14  # the thanks carries two totals besides the name, in one part


class Kind(StrEnum):
    JOIN = "join"
    POINTS = "points"
    REWARDS = "rewards"
    REDEEM = "redeem"
    BIRTHDAY = "birthday"
    FEEDBACK = "feedback"
    STOP = "stop"
    START = "start"
    HELP = "help"
    GIFT = "gift"
    GIVE = "give"
    ANSWER = "answer"  # a bare number: the answer to a survey's SMS question
    UNKNOWN = "unknown"


# First word of the text (normalised: Persian letters, ASCII digits, casefolded).
KEYWORDS: dict[str, tuple[Kind, str]] = {
    "عضویت": (Kind.JOIN, "fa"),
    "join": (Kind.JOIN, "en"),
    "امتیاز": (Kind.POINTS, "fa"),
    "points": (Kind.POINTS, "en"),
    "جوایز": (Kind.REWARDS, "fa"),
    "rewards": (Kind.REWARDS, "en"),
    "دریافت": (Kind.REDEEM, "fa"),
    "redeem": (Kind.REDEEM, "en"),
    "تولد": (Kind.BIRTHDAY, "fa"),
    "birthday": (Kind.BIRTHDAY, "en"),
    "نظر": (Kind.FEEDBACK, "fa"),
    "feedback": (Kind.FEEDBACK, "en"),
    "لغو": (Kind.STOP, "fa"),
    "stop": (Kind.STOP, "en"),
    "start": (Kind.START, "en"),
    "راهنما": (Kind.HELP, "fa"),
    "help": (Kind.HELP, "en"),
    "کارت": (Kind.GIFT, "fa"),
    "gift": (Kind.GIFT, "en"),
    "اهدا": (Kind.GIVE, "fa"),
    "give": (Kind.GIVE, "en"),
}
# Whole texts: the operators' opt-out codes, and «لغو۱۱» copied from the end of a campaign.
EXACT: dict[str, tuple[Kind, str]] = {
    "11": (Kind.STOP, "fa"),
    "12": (Kind.START, "fa"),
    "لغو11": (Kind.STOP, "fa"),
    "لغو 11": (Kind.STOP, "fa"),
}
# Keywords whose argument is a number or a date and may be typed without a space.
_GLUED = (Kind.REDEEM, Kind.BIRTHDAY, Kind.GIVE)
_PUNCTUATION = ":.,;!?؟،؛-«»\"'()"


@dataclass(frozen=True)
class Command:
    kind: Kind
    arg: str = ""  # the rest of the text as typed (letters and digits untouched)
    language: str = "fa"  # the language of the keyword used


def parse(text: str) -> Command:
    """Read a member's SMS. Case, Arabic or Persian letters and digits, invisible marks and
    extra spaces do not matter; the argument keeps the member's own spelling."""
    whole = normalize(text or "")
    if whole in EXACT:
        kind, language = EXACT[whole]
        return Command(kind, "", language)
    if whole.isdigit() and whole.isascii():
        return Command(Kind.ANSWER, whole)
    words = [w for w in (text or "").split() if normalize(w)]
    if not words:
        return Command(Kind.UNKNOWN)
    head = normalize(words[0]).strip(_PUNCTUATION)
    rest = " ".join(words[1:])
    if head in KEYWORDS:
        kind, language = KEYWORDS[head]
        return Command(kind, rest.strip(), language)
    for keyword, (kind, language) in KEYWORDS.items():
        glued = head.removeprefix(keyword)
        if kind in _GLUED and glued != head and glued[:1].isdigit():
            return Command(kind, f"{glued} {rest}".strip(), language)
    return Command(Kind.UNKNOWN)


# --- answers ------------------------------------------------------------------------

# Persian has room for every keyword in one part (70 characters) only without the hints a
# bare keyword answers anyway (its how-to line); the agent code and survey numbers do not fit.
HELP = N_(
    "Keywords: JOIN [code] name, POINTS, REWARDS, REDEEM n, BIRTHDAY 1991-08-03, "
    "FEEDBACK text, GIFT code, GIVE n, STOP, START. Survey: send a number."
)
JOINED = N_("Welcome! Card {card}, {points} points gift. Send HELP for keywords.")
JOINED_NO_BONUS = N_("Welcome! Your card is {card}. Send HELP for keywords.")
ALREADY_MEMBER = N_("You are already a member. Card {card}, {balance} points.")
NOT_MEMBER = N_("You are not a member yet. To join, send JOIN and your name.")
POINTS_NEXT = N_("{balance} points. Tier {tier}; {to_next} more points to {next}.")
POINTS_TOP = N_("{balance} points. Tier {tier}, the highest.")
REWARDS_HEAD = N_("Send REDEEM and a number:")
NO_REWARDS = N_("No reward within your {balance} points yet.")
REDEEM_HOW = N_("Send REDEEM and the reward number from REWARDS.")
REDEEMED = N_("Voucher {code}: {reward}, until {until}. Balance {balance}.")
BIRTHDAY_SET = N_("Birthday saved: {date}.")
BIRTHDAY_HOW = N_("Send the date like this: BIRTHDAY 1991-08-03")
FEEDBACK_THANKS = N_("Thank you! Your message reached the club.")
FEEDBACK_BONUS = N_("Thank you! Your message reached the club. {points} points gift.")
FEEDBACK_HOW = N_("Send FEEDBACK and your message.")
STOPPED = N_("No more club offers by SMS. Send 12 to get them again.")
STARTED = N_("Club offers by SMS are on again. Send 11 to stop them.")
THROTTLED = N_("Too many messages. Please wait a few minutes.")
FAILED = N_("Something went wrong. Please try again later.")
GIFT_BALANCE = N_("Gift card {code}: {balance}.")
GIFT_BALANCE_UNTIL = N_("Gift card {code}: {balance}, until {until}.")
GIFT_HOW = N_("Send GIFT and the code of the gift card.")
GIFT_THROTTLED = N_("Too many gift card checks. Please try again in an hour.")
GIVE_HOW = N_("Send GIVE and the points, like this: GIVE 20")
GIVE_CHOOSE = N_("Send GIVE, the points and the cause number, like GIVE 20 1:")
GIVEN = N_("Thank you! {points} points to {cause}, total {total}. Balance {balance}.")

# Every sentence an SMS answer can be made of, for the length test.
TEMPLATES = (
    HELP,
    JOINED,
    JOINED_NO_BONUS,
    ALREADY_MEMBER,
    NOT_MEMBER,
    POINTS_NEXT,
    POINTS_TOP,
    REWARDS_HEAD,
    NO_REWARDS,
    REDEEM_HOW,
    REDEEMED,
    BIRTHDAY_SET,
    BIRTHDAY_HOW,
    FEEDBACK_THANKS,
    FEEDBACK_BONUS,
    FEEDBACK_HOW,
    STOPPED,
    STARTED,
    THROTTLED,
    FAILED,
    GIFT_BALANCE,
    GIFT_BALANCE_UNTIL,
    GIFT_HOW,
    GIFT_THROTTLED,
    GIVE_HOW,
    GIVE_CHOOSE,
    GIVEN,
    SMS_THANKS,
    THANKS_NO_POINTS,
)


@dataclass(frozen=True)
class Context:
    phone: str  # E.164
    member: Member | None
    now: datetime
    tz: ZoneInfo
    key: str | None = None  # idempotency key of this SMS (its Kavenegar message id)


def help_text(locale: str) -> str:
    return t(HELP, locale)


def member_locale(member: Member | None, keyword_language: str | None = None) -> str:
    """The language an SMS is answered in: the member's; for a number not known, the
    language of the help keyword it sent (HELP in English, راهنما in Persian), else Persian."""
    if member is not None:
        return pick_locale(member.locale, default=NEW_NUMBER_LOCALE)
    return pick_locale(keyword_language, default=NEW_NUMBER_LOCALE)


async def respond(command: Command, ctx: Context) -> str:
    """Carry out the command and return the answer in the member's language.

    A refused request (a `LoyaltyError`) is answered with what went wrong; nothing changed.
    """
    # Someone who asks for help by name is answered in the language they asked in.
    asked = command.language if command.kind is Kind.HELP else None
    locale = member_locale(ctx.member, asked)
    if ctx.member is None and command.kind is Kind.GIFT:
        locale = command.language  # a stranger with a card: the language they wrote in
    try:
        return await _respond(command, ctx, locale)
    except LoyaltyError as error:
        return error_text(error, locale)


async def _respond(command: Command, ctx: Context, locale: str) -> str:
    if command.kind is Kind.HELP or command.kind is Kind.UNKNOWN:
        return help_text(locale)
    if command.kind is Kind.JOIN:
        return await _join(command, ctx)
    if command.kind is Kind.GIFT:  # a card's holder need not be a member
        return await _gift(command, ctx, locale)
    if command.kind is Kind.STOP and ctx.member is None:
        return t(STOPPED, locale)  # a stranger gets no offers anyway: just confirm
    if ctx.member is None:
        return t(NOT_MEMBER, locale)
    handler = _MEMBER_HANDLERS[command.kind]
    return await handler(command, ctx, ctx.member, locale)


def _digits(text: str, locale: str) -> str:
    return to_persian_digits(text) if locale == "fa" else text


def _short(name: str, most: int = MAX_REWARD_NAME) -> str:
    # ".." rather than "…", which is not GSM-7 and would make an English answer UCS-2.
    return name if len(name) <= most else name[: most - 2] + ".."


async def _gift(command: Command, ctx: Context, locale: str) -> str:
    if not command.arg:
        return t(GIFT_HOW, locale)
    card = await giftcards.balance_by_code(command.arg, now=ctx.now)
    values = {
        # ".." rather than "…", which would make an English answer UCS-2 (as `_short`).
        "code": ".." + card.code[-4:],
        "balance": money(card.balance, await giftcards.currency(), locale),
    }
    if card.expires_at is None:
        return t(GIFT_BALANCE, locale, **values)
    return t(GIFT_BALANCE_UNTIL, locale, until=day(card.expires_at, locale, ctx.tz), **values)


async def _join(command: Command, ctx: Context) -> str:
    if ctx.member is not None:
        locale = ctx.member.locale
        card = await members.active_card(ctx.member.id)
        return t(
            ALREADY_MEMBER,
            locale,
            card=_digits(card.number, locale),
            balance=number(ctx.member.balance, locale),
        )
    name, code = command.arg, None
    head, _, rest = name.partition(" ")
    if looks_like_agent_code(head):  # JOIN <agent's code> [name]
        name, code = rest.strip(), head
    first, _, last = name.partition(" ")
    try:
        result = await members.register_member(
            ctx.phone,
            first_name=first,
            last_name=last,
            locale=command.language,
            agent_code=code,
            channel=Channel.SMS,
            now=ctx.now,
        )
    except LoyaltyError as error:  # a stranger: answered in the language they wrote in
        return error_text(error, command.language)
    locale = result.member.locale
    card = _digits((await members.active_card(result.member.id)).number, locale)
    if result.bonus > 0:
        return t(JOINED, locale, card=card, points=number(result.bonus, locale))
    return t(JOINED_NO_BONUS, locale, card=card)


async def _points(command: Command, ctx: Context, member: Member, locale: str) -> str:
    progress = await tiers.progress(member, ctx.now)
    values = {
        "balance": number(member.balance, locale),
        "tier": tier_name(progress.tier.code, progress.tier.name, locale),
    }
    if progress.next_tier is None:
        return t(POINTS_TOP, locale, **values)
    return t(
        POINTS_NEXT,
        locale,
        **values,
        to_next=number(progress.points_to_next, locale),
        next=tier_name(progress.next_tier.code, progress.next_tier.name, locale),
    )


async def _rewards(command: Command, ctx: Context, member: Member, locale: str) -> str:
    offered = await rewards.affordable(member, now=ctx.now)
    if not offered:
        return t(NO_REWARDS, locale, balance=number(member.balance, locale))
    text = t(REWARDS_HEAD, locale)
    for reward in offered[:MAX_LISTED_REWARDS]:
        line = f"{number(reward.id, locale)}. {_short(reward.name)} ({number(reward.cost, locale)})"
        if sms_parts(f"{text}\n{line}") > MAX_PARTS:
            break  # the cheapest ones are listed first, so the rest can wait
        text = f"{text}\n{line}"
    return text


async def _redeem(command: Command, ctx: Context, member: Member, locale: str) -> str:
    wanted = to_ascii_digits(command.arg).strip(_PUNCTUATION + " ")
    try:
        reward_id = parse_id(wanted)
    except LoyaltyError as error:
        if error.code is ErrorCode.NUMBER_TOO_LARGE:  # no reward has a number that large
            raise LoyaltyError(ErrorCode.REWARD_NOT_FOUND, reward=wanted) from None
        return t(REDEEM_HOW, locale)
    result = await rewards.redeem_reward(member.id, reward_id, key=ctx.key, now=ctx.now)
    return t(
        REDEEMED,
        locale,
        code=result.voucher.code,
        reward=_short(result.voucher.reward.name),
        until=day(result.voucher.expires_at, locale, ctx.tz),
        balance=number(result.balance, locale),
    )


async def _birthday(command: Command, ctx: Context, member: Member, locale: str) -> str:
    try:
        born = parse_birthday(command.arg, locale)
    except LoyaltyError as error:
        if error.code is ErrorCode.INVALID_DATE:
            return t(BIRTHDAY_HOW, locale)
        raise
    await members.update_profile(member.id, birth_date=born, now=ctx.now)
    return t(BIRTHDAY_SET, locale, date=day(born, locale))


async def _feedback(command: Command, ctx: Context, member: Member, locale: str) -> str:
    if not command.arg:
        return t(FEEDBACK_HOW, locale)
    result = await inbox.submit_feedback(
        member.id, command.arg, channel=Channel.SMS, tz=ctx.tz, now=ctx.now
    )
    if result.bonus > 0:
        return t(FEEDBACK_BONUS, locale, points=number(result.bonus, locale))
    return t(FEEDBACK_THANKS, locale)


async def _stop(command: Command, ctx: Context, member: Member, locale: str) -> str:
    await members.update_profile(member.id, consent_sms=False, now=ctx.now)
    return t(STOPPED, locale)


async def _start(command: Command, ctx: Context, member: Member, locale: str) -> str:
    await members.update_profile(member.id, consent_sms=True, now=ctx.now)
    return t(STARTED, locale)


async def _give(command: Command, ctx: Context, member: Member, locale: str) -> str:
    """`GIVE <points> [cause number]`: every word read and checked before the gift."""
    words = to_ascii_digits(command.arg).replace("#", " ").split()
    if not 1 <= len(words) <= 2:
        return t(GIVE_HOW, locale)
    try:
        # Not `_PUNCTUATION`: its "-" would make "-3" a gift of 3.
        points = await charity.read_points(words[0].strip(".,;:!?؟،؛"))
        cause = await charity.pick_cause(parse_id(words[1]) if len(words) == 2 else None)
    except LoyaltyError as error:
        if error.code is ErrorCode.CHOOSE_CAUSE:
            return await _causes_list(locale)
        raise
    given = await charity.give(
        member.id, cause.id, points, key=f"sms:{ctx.key or uuid.uuid4().hex}", now=ctx.now
    )
    return t(
        GIVEN,
        locale,
        points=number(given.points, locale),
        cause=_short(given.cause.name, MAX_CAUSE_NAME),
        total=number(given.total, locale),
        balance=number(given.balance, locale),
    )


async def _causes_list(locale: str) -> str:
    text = t(GIVE_CHOOSE, locale)
    for standing in await charity.standings():
        line = f"{number(standing.cause.id, locale)}. {_short(standing.cause.name)}"
        if sms_parts(f"{text}\n{line}") > MAX_PARTS:
            break
        text = f"{text}\n{line}"
    return text


async def asked_by_sms(member: Member | None) -> bool:
    """A survey with a question for SMS was sent to the member: a bare number answers it."""
    if member is None:
        return False
    survey = await surveys.latest_invitation(member.id)
    return (
        survey is not None
        and surveys.sms_question(await surveys.questions_of(survey.id)) is not None
    )


async def _answer(command: Command, ctx: Context, member: Member, locale: str) -> str:
    """A bare number: the answer to the SMS question of the survey the member was sent last."""
    survey = await surveys.latest_invitation(member.id)
    asked = surveys.sms_question(await surveys.questions_of(survey.id)) if survey else None
    if survey is None or asked is None:
        return help_text(locale)
    completed = await surveys.complete(
        survey.id, member.id, {asked.id: int(command.arg)}, channel="sms", now=ctx.now
    )
    return thanks(completed, locale, sms=True)


_MEMBER_HANDLERS = {
    Kind.POINTS: _points,
    Kind.REWARDS: _rewards,
    Kind.REDEEM: _redeem,
    Kind.BIRTHDAY: _birthday,
    Kind.FEEDBACK: _feedback,
    Kind.STOP: _stop,
    Kind.START: _start,
    Kind.GIVE: _give,
    Kind.ANSWER: _answer,
}
