"""Joining the club, finding a member, cards and profiles (leaving: `loyalty.erasure`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from loyalty import agents, ledger
from loyalty.clock import utcnow
from loyalty.codes import (
    clean_card_number,
    looks_like_card,
    new_card_number,
    new_referral_code,
)
from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.phones import normalize_mobile, normalize_phone
from loyalty.rules import ClubConfig, club_config, current_config, get_rules, open_branch
from loyalty.text import clean_name, to_ascii_digits
from models import (
    Agent,
    Branch,
    Card,
    Channel,
    ClubRules,
    CustomerType,
    EntryKind,
    Gender,
    Member,
    ProductGroup,
    Tier,
)
from models.queries import members as members_sql

SUPPORTED_LOCALES = ("fa", "en")


@dataclass(frozen=True)
class Registration:
    member: Member
    created: bool  # False: the phone belonged to a member already, who is now linked
    bonus: int  # points given for joining now (0 when linking an existing member)


async def register_member(
    phone: str,
    *,
    first_name: str = "",
    last_name: str = "",
    telegram_id: int | None = None,
    locale: str = "fa",
    branch_id: int | None = None,
    referral_code: str | None = None,
    agent_code: str | None = None,
    channel: Channel = Channel.TELEGRAM,
    now: datetime | None = None,
) -> Registration:
    """Join with a verified phone number, or link a Telegram account to the member who has it.

    `agent_code`: the agent who brought a new member (AGENT_NOT_FOUND for a code that is
    nobody's). It is written with the member row, so only a member created now is the
    agent's: one who was a member already, or lost a race to join with the same number,
    keeps their agent (or none)."""
    now = now or utcnow()
    e164 = normalize_mobile(phone)
    first = clean_name(first_name) if first_name.strip() else ""
    last = clean_name(last_name) if last_name.strip() else ""
    locale = locale if locale in SUPPORTED_LOCALES else "fa"
    existing = await Member.get_or_none(phone=e164)
    agent = await agents.for_signup(agent_code, telegram_id)
    if existing is not None:
        return Registration(await _link(existing, telegram_id, first, last), False, 0)
    if telegram_id is not None and await Member.exists(telegram_id=telegram_id):
        raise LoyaltyError(ErrorCode.TELEGRAM_LINKED_ELSEWHERE)
    referrer = await _find_referrer(referral_code)
    try:
        member, bonus = await _create(
            e164, first, last, telegram_id, locale, branch_id, referrer, channel, now, agent
        )
    except IntegrityError:
        # Another request joined the same phone a moment earlier: link to that member.
        existing = await Member.get_or_none(phone=e164)
        if existing is None:
            raise
        return Registration(await _link(existing, telegram_id, first, last), False, 0)
    return Registration(member, True, bonus)


async def _create(
    phone: str,
    first: str,
    last: str,
    telegram_id: int | None,
    locale: str,
    branch_id: int | None,
    referrer: Member | None,
    channel: Channel,
    now: datetime,
    agent: Agent | None = None,
) -> tuple[Member, int]:
    rules = await get_rules()
    lowest_tier = await Tier.all().order_by("threshold").first()
    async with in_transaction():
        member = await Member.create(
            phone=phone,
            first_name=first,
            last_name=last,
            telegram_id=telegram_id,
            locale=locale,
            preferred_channel=channel,
            reachable_telegram=telegram_id is not None,
            branch_id=branch_id,
            tier=lowest_tier,
            referral_code=await _unused_referral_code(),
            referred_by=referrer,
            agent=agent,
            joined_at=now,
        )
        await Card.create(number=await _unused_card_number(), member=member, issued_at=now)
        if rules.signup_bonus > 0:
            await ledger.post(
                member.id,
                EntryKind.BONUS,
                rules.signup_bonus,
                "signup",
                f"signup:{member.id}",
                now=now,
                branch_id=branch_id,
                expires_at=await credit_expiry(now, rules),
            )
    await member.refresh_from_db()
    return member, rules.signup_bonus


async def _link(member: Member, telegram_id: int | None, first: str, last: str) -> Member:
    if member.deleted_at is not None:
        raise LoyaltyError(ErrorCode.MEMBER_DELETED)
    if telegram_id is None or member.telegram_id == telegram_id:
        return member
    other = await Member.get_or_none(telegram_id=telegram_id)
    if other is not None and other.id != member.id:
        raise LoyaltyError(ErrorCode.TELEGRAM_LINKED_ELSEWHERE)
    # Telegram proved the phone belongs to this account, so it takes over the membership,
    # even from an older Telegram account that had the same number.
    member.telegram_id = telegram_id
    member.reachable_telegram = True
    member.first_name = member.first_name or first
    member.last_name = member.last_name or last
    # Not onto a member deleted since it was read: that account is forgotten.
    linked = await Member.filter(id=member.id, deleted_at=None).update(
        telegram_id=telegram_id,
        reachable_telegram=True,
        first_name=member.first_name,
        last_name=member.last_name,
    )
    if not linked:
        raise LoyaltyError(ErrorCode.MEMBER_DELETED)
    return member


async def _find_referrer(code: str | None) -> Member | None:
    if not code:
        return None
    referrer = await Member.get_or_none(referral_code=code.strip().lower(), deleted_at=None)
    if referrer is None:
        # A stale or mistyped invitation must not stop anyone from joining.
        return None
    return referrer


async def _unused_card_number() -> str:
    while True:
        number = new_card_number()
        if not await Card.exists(number=number):
            return number


async def _unused_referral_code() -> str:
    while True:
        code = new_referral_code()
        if not await Member.exists(referral_code=code):
            return code


async def credit_expiry(now: datetime, rules: ClubRules | None = None) -> datetime | None:
    """When points credited now will expire, or None if the club's points never expire."""
    days = (rules or await get_rules()).expiry_days
    return now + timedelta(days=days) if days > 0 else None


async def find_member(reference: str) -> Member:
    """A member by phone number (any format, any digits), an active card number, or the
    member number after # (#12: the way lists show it; a bare number is a mistyped phone)."""
    reference = (reference or "").strip()
    number = to_ascii_digits(reference).removeprefix("#")
    if reference.startswith("#") and number.isdigit():
        member = await Member.get_or_none(id=int(number), deleted_at=None)
        if member is None:
            raise LoyaltyError(ErrorCode.MEMBER_NOT_FOUND, reference=reference)
        return member
    if looks_like_card(reference):
        number = clean_card_number(reference)
        found = await members_sql.member_by_active_card(number)
        if found is None:
            # A lost card stays in history, refused: say so, rather than "no such member".
            replaced = await Card.exists(number=number, active=False)
            code = ErrorCode.CARD_REPLACED if replaced else ErrorCode.MEMBER_NOT_FOUND
            raise LoyaltyError(code, reference=reference)
        return found
    member = await Member.get_or_none(phone=normalize_phone(reference))
    if member is None or member.deleted_at is not None:
        raise LoyaltyError(ErrorCode.MEMBER_NOT_FOUND, reference=reference)
    return member


async def choose_branch(member_id: int, branch_id: int) -> Branch:
    """The member's own choice of home branch, among the open ones; it stays theirs (a
    purchase elsewhere does not move them) until they or a manager change it."""
    branch = await open_branch(branch_id)
    await get_member(member_id)
    await Member.filter(id=member_id, deleted_at=None).update(branch_id=branch.id)
    return branch


async def open_branches() -> list[Branch]:
    """The branches a member may choose, in the order the club made them."""
    return await Branch.filter(active=True).order_by("id")


async def get_member(member_id: int, *, lock: bool = False) -> Member:
    """The member, not deleted. `lock`: read under the row lock (PostgreSQL), to change the
    member in the caller's transaction while nothing else can."""
    member = await members_sql.member_by_id(member_id, lock=lock)
    if member is None or member.deleted_at is not None:
        raise LoyaltyError(ErrorCode.MEMBER_NOT_FOUND, reference=str(member_id))
    return member


async def member_by_telegram(telegram_id: int) -> Member | None:
    return await members_sql.member_by_telegram(telegram_id)


async def member_and_config_by_telegram(telegram_id: int) -> tuple[Member | None, ClubConfig]:
    """The member with this Telegram id and the club's set-up, checked in the same statement."""
    found = await members_sql.member_with_token_by_telegram(telegram_id)
    if found is None:
        return None, await current_config()
    return found.member, await club_config(found.config_token)


async def member_and_config_by_id(member_id: int) -> tuple[Member | None, ClubConfig]:
    """The member with this id, if not deleted, and the club's set-up."""
    member = await members_sql.member_by_id(member_id)
    if member is None or member.deleted_at is not None:
        return None, await current_config()
    return member, await current_config()


async def locale_by_telegram(telegram_id: int) -> str | None:
    """The stored language of the member with this Telegram id; None for a stranger."""
    return await members_sql.locale_by_telegram(telegram_id)


async def member_by_phone(phone: str) -> Member | None:
    return await Member.get_or_none(phone=normalize_phone(phone), deleted_at=None)


async def active_card(member_id: int) -> Card:
    card = await Card.get_or_none(member_id=member_id, active=True)
    if card is None:
        raise LoyaltyError(ErrorCode.MEMBER_NOT_FOUND, reference=str(member_id))
    return card


@dataclass(frozen=True)
class Replacement:
    card: Card  # the new one
    old: str  # the number that stopped working
    replayed: bool  # the same request again: this card was issued then


async def replace_card(
    member_id: int, *, request: str | None = None, now: datetime | None = None
) -> Replacement:
    """A new card number; the old one stops working and stays in history. The same
    `request` again answers with the card it issued, and replaces nothing more."""
    now = now or utcnow()
    try:
        async with in_transaction():
            # The member's row lock keeps two replacements at once from leaving two active
            # cards, and makes a repeated request wait for the first and find its card.
            await get_member(member_id, lock=True)
            if request is not None:
                done = await replacement_of(request)
                if done is not None and done.card.member_id == member_id:
                    return done
            old = await active_card(member_id)
            await Card.filter(id=old.id).update(active=False, replaced_at=now)
            card = await Card.create(
                number=await _unused_card_number(),
                member_id=member_id,
                issued_at=now,
                request=request,
            )
            return Replacement(card, old.number, False)
    except IntegrityError:
        # SQLite has no row lock: the same request committed first in another connection.
        done = await replacement_of(request) if request is not None else None
        if done is None or done.card.member_id != member_id:
            raise
        return done


async def replacement_of(request: str) -> Replacement | None:
    """The replacement this request made before, if it did."""
    card = await Card.get_or_none(request=request)
    if card is None:
        return None
    old = (
        await Card.filter(member_id=card.member_id, replaced_at=card.issued_at, active=False)
        .order_by("-id")
        .first()
    )
    return Replacement(card, old.number if old else "", True)


async def replaced_cards(member_id: int) -> list[Card]:
    """The member's earlier cards, the latest replaced first."""
    return await Card.filter(member_id=member_id, active=False).order_by("-replaced_at", "-id")


async def update_profile(
    member_id: int,
    *,
    first_name: str | None = None,
    last_name: str | None = None,
    gender: Gender | None = None,
    birth_date: date | None = None,
    customer_type: CustomerType | None = None,
    company_name: str | None = None,
    locale: str | None = None,
    consent_telegram: bool | None = None,
    consent_sms: bool | None = None,
    interest_ids: list[int] | None = None,
    now: datetime | None = None,
) -> Member:
    # Under the member's lock, and only the fields changed here: a purchase, a redemption
    # or a job may have moved the rest of the row (the balance) since the member was read,
    # and a member deleted meanwhile is not written again.
    async with in_transaction():
        member = await get_member(member_id, lock=True)
        changed: dict[str, object] = {}
        if first_name is not None:
            changed["first_name"] = clean_name(first_name)
        if last_name is not None:
            changed["last_name"] = clean_name(last_name) if last_name.strip() else ""
        if gender is not None:
            changed["gender"] = gender
        if birth_date is not None:
            if birth_date > (now or utcnow()).date() or birth_date.year < 1900:
                raise LoyaltyError(ErrorCode.INVALID_DATE)
            changed["birth_date"] = birth_date
        if customer_type is not None:
            changed["customer_type"] = customer_type
        if company_name is not None:
            changed["company_name"] = clean_name(company_name) if company_name.strip() else ""
        if locale is not None and locale in SUPPORTED_LOCALES:
            changed["locale"] = locale
        if consent_telegram is not None:
            changed["consent_telegram"] = consent_telegram
        if consent_sms is not None:
            changed["consent_sms"] = consent_sms
        if changed:
            member.update_from_dict(changed)
            await member.save(update_fields=list(changed))
        if interest_ids is not None:
            await member.interests.clear()
            groups = await ProductGroup.filter(id__in=interest_ids, active=True)
            if groups:
                await member.interests.add(*groups)
    return member


async def interests_of(member_id: int) -> list[ProductGroup]:
    """The product groups on offer that the member said they are interested in, by name."""
    return await ProductGroup.filter(members__id=member_id, active=True).order_by("name")


async def set_reachable(member_id: int, channel: Channel, reachable: bool) -> None:
    field = "reachable_telegram" if channel is Channel.TELEGRAM else "reachable_sms"
    await Member.filter(id=member_id).update(**{field: reachable})


async def referral_count(member_id: int) -> int:
    return await Member.filter(referred_by_id=member_id).count()


__all__ = [
    "Registration",
    "Replacement",
    "active_card",
    "credit_expiry",
    "find_member",
    "get_member",
    "locale_by_telegram",
    "member_and_config_by_telegram",
    "member_by_phone",
    "member_by_telegram",
    "referral_count",
    "register_member",
    "replace_card",
    "replaced_cards",
    "replacement_of",
    "set_reachable",
    "update_profile",
]
