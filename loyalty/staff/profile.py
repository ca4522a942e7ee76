"""A member as staff see them: profile, balance, tier, the last transactions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from loyalty import audit
from loyalty.clock import utcnow
from loyalty.ledger import history
from loyalty.members import active_card, replaced_cards
from loyalty.rules import open_branch
from loyalty.staff.access import check_member_scope
from loyalty.staff.permissions import Action, allowed, require
from models import Branch, Card, LedgerEntry, Member, Staff, Tier


@dataclass(frozen=True)
class Profile:
    member: Member
    card: str
    tier: Tier | None
    birth_date: date | None  # None for cashiers, who may not see it
    gender: str | None
    history: list[LedgerEntry]
    floor: Tier | None  # the tier the periodic review keeps the member at, at least
    replaced_cards: list[Card]  # lost cards, refused since, the latest first


async def profile(staff: Staff, member: Member, *, now: datetime | None = None) -> Profile:
    require(staff, Action.VIEW_MEMBER)
    private = allowed(staff, Action.SEE_PRIVATE)
    card = await active_card(member.id)
    tier = await Tier.get_or_none(id=member.tier_id) if member.tier_id else None
    await audit.record("member_view", staff_id=staff.id, now=now or utcnow(), member=member.id)
    return Profile(
        member,
        card.number,
        tier,
        member.birth_date if private else None,
        member.gender.value if private else None,
        await history(member.id, limit=5),
        await Tier.get_or_none(id=member.tier_floor_id) if member.tier_floor_id else None,
        await replaced_cards(member.id),
    )


async def move_member(
    staff: Staff, member: Member, branch_id: int, *, now: datetime | None = None
) -> Branch:
    """Move a member to another home branch: the owner and managers of every branch move
    anyone; a manager of one branch, the members of that branch or of none."""
    require(staff, Action.MOVE_MEMBER)
    check_member_scope(staff, member.branch_id)
    branch = await open_branch(branch_id)
    await Member.filter(id=member.id).update(branch_id=branch.id)
    await audit.record(
        "member_moved",
        staff_id=staff.id,
        now=now or utcnow(),
        member=member.id,
        from_branch=member.branch_id,
        to_branch=branch.id,
    )
    return branch
