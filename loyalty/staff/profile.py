"""A member as staff see them: profile, balance, tier, the last transactions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from loyalty import audit
from loyalty.clock import utcnow
from loyalty.ledger import history
from loyalty.members import active_card
from loyalty.staff.permissions import Action, allowed, require
from models import LedgerEntry, Member, Staff, Tier


@dataclass(frozen=True)
class Profile:
    member: Member
    card: str
    tier: Tier | None
    birth_date: date | None  # None for cashiers, who may not see it
    gender: str | None
    history: list[LedgerEntry]


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
    )
