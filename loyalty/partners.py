"""Partners: businesses whose offers members take for points, or free from a tier up.

A partner's offer is a reward (`models.Reward`) with its `partner` set, so taking one is
`rewards.redeem_reward`: one REDEEM ledger row keyed by the request (a debit that never
overdraws), and a voucher whose code the member shows at the partner. The code is made
by the club (`loyalty.codes`, unguessable) or is the next of the codes the partner
uploaded (`PartnerCode`, each given once); when those run out the offer says so. A free
offer (no points, usually from a tier up) is taken once per member: its key is the
member's. The partner's own staff (role partner) validate their offers' codes through
`loyalty.staff.counter.use_voucher`, which shows them no other voucher.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import datetime

from tortoise.exceptions import IntegrityError
from tortoise.functions import Count, Sum
from tortoise.transactions import in_transaction

from loyalty import audit, rewards
from loyalty.clock import utcnow
from loyalty.codes import clean_voucher_code
from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.importing import decode_csv
from loyalty.members import get_member
from loyalty.numbers import INT_MAX, parse_int
from loyalty.rules import ClubConfig, current_config
from loyalty.staff import team
from loyalty.staff.permissions import Action, require
from loyalty.text import clean_name
from models import (
    CodeSource,
    Member,
    Partner,
    PartnerCode,
    Reward,
    RewardKind,
    Staff,
    StaffInvite,
    StaffRole,
    Voucher,
    VoucherStatus,
)

MAX_DESCRIPTION = 300
MAX_CONTACT = 100
MAX_CODES = 10_000  # codes in one file
# An uploaded code as clean_voucher_code leaves it: letters and digits, 4 to 16 of them.
_CODE = re.compile(r"[A-Z0-9]{4,16}")
_HEADERS = {"CODE", "CODES", "کد", "کدها"}


@dataclass(frozen=True)
class OfferFigures:
    """An offer with its codes given (vouchers not cancelled), used, the points spent on
    them (vouchers still standing: a cancelled or expired one gave its points back), and
    for uploaded codes how many are left."""

    offer: Reward
    given: int
    used: int
    points: int
    left: int | None


@dataclass(frozen=True)
class PartnerFigures:
    partner: Partner
    offers: list[OfferFigures]

    @property
    def given(self) -> int:
        return sum(o.given for o in self.offers)

    @property
    def used(self) -> int:
        return sum(o.used for o in self.offers)

    @property
    def points(self) -> int:
        return sum(o.points for o in self.offers)


@dataclass(frozen=True)
class Offer:
    """An offer as a member sees it: `left` (uploaded codes, else None) and whether the
    member can take it now."""

    reward: Reward
    partner: Partner
    left: int | None
    can_take: bool


@dataclass(frozen=True)
class Uploaded:
    added: int
    refused: int  # already known (uploaded before, a voucher's code) or twice in the file


# --- the owner's partners ------------------------------------------------------------------


def _text(raw: str, maximum: int) -> str:
    text = " ".join((raw or "").split())
    if len(text) > maximum:
        raise LoyaltyError(ErrorCode.TEXT_TOO_LONG, max=maximum)
    return text


async def add_partner(
    name: str,
    *,
    description: str = "",
    contact: str = "",
    staff_id: int | None = None,
    actor: str = "",
    key: str | None = None,
    now: datetime | None = None,
) -> Partner:
    """A new partner; with `key`, the one added under that key before, if any."""
    now = now or utcnow()
    name = clean_name(name)
    description = _text(description, MAX_DESCRIPTION)
    contact = _text(contact, MAX_CONTACT)
    if key is not None and (earlier := await Partner.get_or_none(request_key=key)) is not None:
        return earlier
    partner = await Partner.create(
        name=name, description=description, contact=contact, created_at=now, request_key=key
    )
    await audit.record(
        "partner_added", staff_id=staff_id, actor=actor, now=now, partner=partner.id, name=name
    )
    return partner


async def get_partner(partner_id: int) -> Partner:
    partner = await Partner.get_or_none(id=partner_id)
    if partner is None:
        raise LoyaltyError(ErrorCode.PARTNER_NOT_FOUND, partner=partner_id)
    return partner


async def set_logo(
    partner_id: int,
    file_id: str | None,
    *,
    staff_id: int | None = None,
    actor: str = "",
    now: datetime | None = None,
) -> Partner:
    """The partner's logo: a picture's Telegram file id, or None for none."""
    partner = await get_partner(partner_id)
    partner.logo_file_id = file_id
    await partner.save(update_fields=["logo_file_id"])
    await audit.record(
        "partner_logo",
        staff_id=staff_id,
        actor=actor,
        now=now or utcnow(),
        partner=partner_id,
        logo=file_id is not None,
    )
    return partner


async def end_partner(
    partner_id: int, *, staff_id: int | None = None, actor: str = "", now: datetime | None = None
) -> Partner:
    """Take a partner off: its offers are no longer offered; codes already given stay valid."""
    partner = await get_partner(partner_id)
    async with in_transaction():
        ended = await Partner.filter(id=partner_id, active=True).update(active=False)
        await Reward.filter(partner_id=partner_id).update(active=False)
        if ended:
            await audit.record(
                "partner_ended",
                staff_id=staff_id,
                actor=actor,
                now=now or utcnow(),
                partner=partner_id,
            )
    await partner.refresh_from_db()
    return partner


def read_cost(raw: str) -> int:
    """An offer's price: points (a whole number from 1), or `free` / «رایگان» for 0."""
    if raw.strip().casefold() in ("free", "رایگان", "0", "۰"):
        return 0
    cost = parse_int(raw, maximum=INT_MAX)
    if cost <= 0:
        raise LoyaltyError(ErrorCode.INVALID_AMOUNT, amount=raw)
    return cost


async def add_offer(
    partner_id: int,
    name: str,
    cost: int,
    *,
    min_tier_id: int | None = None,
    uploaded_codes: bool = False,
    description: str = "",
    staff_id: int | None = None,
    actor: str = "",
    now: datetime | None = None,
) -> Reward:
    """A partner's offer: `cost` points (0: free, once per member), from `min_tier_id` up;
    its codes made by the club, or with `uploaded_codes` taken from the partner's list."""
    now = now or utcnow()
    partner = await get_partner(partner_id)
    if not partner.active:
        raise LoyaltyError(ErrorCode.PARTNER_NOT_FOUND, partner=partner_id)
    name = clean_name(name)
    description = _text(description, MAX_DESCRIPTION)
    if not 0 <= cost <= INT_MAX:
        raise LoyaltyError(ErrorCode.INVALID_AMOUNT, amount=cost)
    offer = await Reward.create(
        name=name,
        description=description,
        kind=RewardKind.PRODUCT,
        cost=cost,
        min_tier_id=min_tier_id,
        partner_id=partner_id,
        code_source=CodeSource.UPLOAD if uploaded_codes else CodeSource.CLUB,
    )
    await audit.record(
        "partner_offer_added",
        staff_id=staff_id,
        actor=actor,
        now=now,
        partner=partner_id,
        reward=offer.id,
        cost=cost,
    )
    return offer


async def get_offer(offer_id: int) -> Reward:
    offer = await Reward.get_or_none(id=offer_id, partner_id__not_isnull=True)
    if offer is None:
        raise LoyaltyError(ErrorCode.OFFER_NOT_FOUND, offer=offer_id)
    return offer


async def offer_for(staff: Staff, offer_id: int) -> Reward:
    """The offer whose codes `staff` may upload: any for the owner; for a partner's staff only
    their own partner's, another partner's offer being unknown to them (as at /redeem)."""
    require(staff, Action.PARTNER_CODES)
    offer = await get_offer(offer_id)
    if staff.role is StaffRole.PARTNER and offer.partner_id != staff.partner_id:  # type: ignore[attr-defined]
        raise LoyaltyError(ErrorCode.OFFER_NOT_FOUND, offer=offer_id)
    return offer


# --- uploaded codes --------------------------------------------------------------------------


def read_codes(data: bytes) -> list[str]:
    """The codes of a CSV file (the first cell of each row; a `code` heading is skipped),
    as clean_voucher_code leaves them. The whole file is refused (BAD_CODES_FILE with the
    line) when one cannot be a code, so a wrong file never reaches the database."""
    text = decode_csv(data)
    codes: list[str] = []
    sample = text[:2000]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t؛")
    except csv.Error:
        dialect = csv.excel
    for line, row in enumerate(csv.reader(io.StringIO(text), dialect), start=1):
        cells = [cell.strip() for cell in row if cell.strip()]
        if not cells:
            continue
        code = clean_voucher_code(cells[0])
        if line == 1 and code in _HEADERS:
            continue
        if not _CODE.fullmatch(code):
            raise LoyaltyError(ErrorCode.BAD_CODES_FILE, line=line, code=cells[0][:20])
        codes.append(code)
    if not codes:
        raise LoyaltyError(ErrorCode.NO_CODES_IN_FILE)
    if len(codes) > MAX_CODES:
        raise LoyaltyError(ErrorCode.NUMBER_TOO_LARGE, max=MAX_CODES)
    return codes


async def upload_codes(
    offer_id: int,
    codes: list[str],
    *,
    staff_id: int | None = None,
    actor: str = "",
    now: datetime | None = None,
) -> Uploaded:
    """Add the codes to an offer whose codes are uploaded; a code known already (uploaded
    before, for any offer, or a voucher's code) or repeated in the list is refused."""
    now = now or utcnow()
    offer = await get_offer(offer_id)
    if offer.code_source is not CodeSource.UPLOAD:
        raise LoyaltyError(ErrorCode.NOT_UPLOADED_CODES, offer=offer_id)
    fresh = list(dict.fromkeys(codes))
    known = set(await PartnerCode.filter(code__in=fresh).values_list("code", flat=True))
    known |= set(await Voucher.filter(code__in=fresh).values_list("code", flat=True))
    fresh = [code for code in fresh if code not in known]
    added = 0
    try:
        async with in_transaction():
            await PartnerCode.bulk_create(
                [PartnerCode(reward_id=offer_id, code=code, created_at=now) for code in fresh]
            )
        added = len(fresh)
    except IntegrityError:  # another upload of the same codes meanwhile: one at a time
        for code in fresh:
            try:
                await PartnerCode.create(reward_id=offer_id, code=code, created_at=now)
                added += 1
            except IntegrityError:
                continue
    await audit.record(
        "partner_codes",
        staff_id=staff_id,
        actor=actor,
        now=now,
        reward=offer_id,
        added=added,
        refused=len(codes) - added,
    )
    return Uploaded(added, len(codes) - added)


async def codes_left(offer_ids: list[int]) -> dict[int, int]:
    """Uploaded codes not given yet, per offer."""
    rows = (
        await PartnerCode.filter(reward_id__in=offer_ids, voucher_id=None)
        .group_by("reward_id")
        .annotate(n=Count("id"))
        .values_list("reward_id", "n")
    )
    return {reward_id: n for reward_id, n in rows}


# --- members -----------------------------------------------------------------------------------


async def offers(
    member: Member | None, *, now: datetime | None = None, config: ClubConfig | None = None
) -> list[Offer]:
    """The partners' offers on now, cheapest first, with what `member` can take."""
    config = config or await current_config()
    shown = [
        r
        for r in await rewards.catalog(now=now, config=config, partners=True)
        if r.partner_id is not None
    ]
    partners = {p.id: p for p in await Partner.filter(id__in={r.partner_id for r in shown})}
    left = await codes_left([r.id for r in shown if r.code_source is CodeSource.UPLOAD])
    can = (
        {r.id for r in await rewards.affordable(member, offered=shown, config=config)}
        if member is not None
        else set()
    )
    return [
        Offer(
            reward,
            partners[reward.partner_id],
            left.get(reward.id, 0) if reward.code_source is CodeSource.UPLOAD else None,
            reward.id in can
            and (reward.code_source is CodeSource.CLUB or left.get(reward.id, 0) > 0),
        )
        for reward in shown
        if partners[reward.partner_id].active
    ]


async def take(
    member_id: int, offer_id: int, *, key: str, now: datetime | None = None
) -> rewards.Redemption:
    """The member takes an offer: points spent once per `key`, never overdrawing; a free
    offer once per member (`replayed` when taken before: the same code again)."""
    offer = await get_offer(offer_id)
    await get_member(member_id)
    if offer.cost == 0:
        key = f"partner:{offer.id}:{member_id}"
    return await rewards.redeem_reward(member_id, offer.id, key=key, now=now)


# --- figures -------------------------------------------------------------------------------------


async def figures(
    *,
    partner_id: int | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[PartnerFigures]:
    """Per partner and offer: codes given, used, points spent; within [start, end] when
    given, as the report's other figures (codes given and points by when they were given,
    uses by when they were used)."""
    query = Partner.all().order_by("id")
    if partner_id is not None:
        query = query.filter(id=partner_id)
    partners = await query
    offered = await Reward.filter(partner_id__in=[p.id for p in partners]).order_by("id")
    vouchers = Voucher.filter(reward_id__in=[o.id for o in offered])
    issued = vouchers.filter(status__not=VoucherStatus.CANCELLED)
    standing = vouchers.filter(status__in=[VoucherStatus.ISSUED, VoucherStatus.USED])
    used = vouchers.filter(status=VoucherStatus.USED)
    if start is not None and end is not None:
        issued = issued.filter(issued_at__gte=start, issued_at__lte=end)
        standing = standing.filter(issued_at__gte=start, issued_at__lte=end)
        used = used.filter(used_at__gte=start, used_at__lte=end)

    async def per_offer(q, value) -> dict[int, int]:  # type: ignore[no-untyped-def]
        rows = await q.group_by("reward_id").annotate(v=value).values_list("reward_id", "v")
        return {reward_id: int(v or 0) for reward_id, v in rows}

    given_n = await per_offer(issued, Count("id"))
    used_n = await per_offer(used, Count("id"))
    points = await per_offer(standing, Sum("cost"))
    left = await codes_left([o.id for o in offered if o.code_source is CodeSource.UPLOAD])
    return [
        PartnerFigures(
            partner,
            [
                OfferFigures(
                    o,
                    given_n.get(o.id, 0),
                    used_n.get(o.id, 0),
                    points.get(o.id, 0),
                    left.get(o.id, 0) if o.code_source is CodeSource.UPLOAD else None,
                )
                for o in offered
                if o.partner_id == partner.id
            ],
        )
        for partner in partners
    ]


async def invite_staff(
    creator: Staff, partner_id: int, *, now: datetime | None = None
) -> StaffInvite:
    """A one-time invitation that makes its opener one of this partner's staff."""
    partner = await get_partner(partner_id)
    if not partner.active:
        raise LoyaltyError(ErrorCode.PARTNER_NOT_FOUND, partner=partner_id)
    return await team.create_invite(
        creator, StaffRole.PARTNER, None, partner_id=partner.id, now=now
    )
