"""What staff set on a member beyond the profile: a new card for a lost one, a tier floor,
and the company a member buys for with its own earning rate. Each is checked by the
permission table and audited."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from tortoise.transactions import in_transaction

from loyalty import audit, tiers
from loyalty.clock import utcnow
from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.members import Replacement, find_member, get_member, replace_card, replacement_of
from loyalty.staff.access import check_member_scope
from loyalty.staff.limits import DECIMAL_LIMITS, in_range
from loyalty.staff.permissions import Action, require
from loyalty.text import clean_name
from models import CustomerType, Member, Staff, Tier


async def new_card(
    staff: Staff, reference: str, *, request: str | None = None, now: datetime | None = None
) -> Replacement:
    """A lost card: the member named by `reference` (phone, card, #number) gets a new
    number, and the old one is refused from now on. The same `request` again answers with
    the card it issued, though the old number it named no longer finds the member."""
    now = now or utcnow()
    require(staff, Action.REPLACE_CARD)
    if request is not None:
        done = await replacement_of(request)
        if done is not None:
            return done
    member = await find_member(reference)
    done = await replace_card(member.id, request=request, now=now)
    if not done.replayed:
        await audit.record(
            "card_replaced",
            staff_id=staff.id,
            now=now,
            member=member.id,
            old=done.old,
            new=done.card.number,
        )
    return done


async def tier_by_code(code: str) -> Tier:
    tier = await Tier.get_or_none(code=code.strip().lower())
    if tier is None:
        raise LoyaltyError(ErrorCode.TIER_NOT_FOUND, tier=code)
    return tier


async def set_tier_floor(
    staff: Staff, member_id: int, code: str | None, *, now: datetime | None = None
) -> Member:
    """The tier the periodic review never takes the member below (None: the points alone
    decide again, from the next review). A floor above the member's tier lifts them now;
    points still lift them above it."""
    now = now or utcnow()
    require(staff, Action.SET_TIER)
    floor = await tier_by_code(code) if code is not None else None
    async with in_transaction():
        check_member_scope(staff, (await get_member(member_id, lock=True)).branch_id)
        await Member.filter(id=member_id).update(tier_floor_id=floor.id if floor else None)
        await tiers.review(member_id, now, allow_downgrade=False)
        await audit.record(
            "tier_floor",
            staff_id=staff.id,
            now=now,
            member=member_id,
            tier=floor.code if floor else None,
        )
    return await get_member(member_id)


async def set_company(
    staff: Staff, member_id: int, company_name: str | None, *, now: datetime | None = None
) -> Member:
    """Make the member a company customer buying for `company_name`, or (None) an
    individual again, without the company's own earning rate."""
    now = now or utcnow()
    require(staff, Action.COMPANY)
    if company_name is None:
        changed: dict[str, object] = {
            "customer_type": CustomerType.INDIVIDUAL,
            "company_name": "",
            "company_earn_rate": None,
        }
    else:
        changed = {"customer_type": CustomerType.COMPANY, "company_name": clean_name(company_name)}
    await _update(staff, member_id, changed)
    await audit.record(
        "member_company",
        staff_id=staff.id,
        now=now,
        member=member_id,
        company=changed["company_name"] or None,
    )
    return await get_member(member_id)


async def set_company_rate(
    staff: Staff, member_id: int, rate: Decimal | None, *, now: datetime | None = None
) -> Member:
    """A company customer's own earning rate, in place of the club's and the branch's;
    None: theirs again. Only a company customer has one."""
    now = now or utcnow()
    require(staff, Action.COMPANY)
    if rate is not None:
        in_range("earn_rate", rate, *DECIMAL_LIMITS["earn_rate"])
    member = await get_member(member_id)
    if member.customer_type != CustomerType.COMPANY and rate is not None:
        raise LoyaltyError(ErrorCode.NOT_A_COMPANY)
    await _update(staff, member_id, {"company_earn_rate": rate})
    await audit.record(
        "company_rate",
        staff_id=staff.id,
        now=now,
        member=member_id,
        rate=str(rate) if rate is not None else None,
    )
    return await get_member(member_id)


async def _update(staff: Staff, member_id: int, changed: dict[str, object]) -> None:
    # Only these fields, under the member's lock: a purchase may have moved the balance.
    async with in_transaction():
        check_member_scope(staff, (await get_member(member_id, lock=True)).branch_id)
        await Member.filter(id=member_id).update(**changed)
