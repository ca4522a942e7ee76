"""Lotteries anyone can check: the seed hash is published before the draw, the seed after.

The draw is a pure function of the seed and the published entries (member id, tickets),
sorted by member id: winner i is ticket int(sha256("<seed>:<i>")) mod (tickets left),
counted through the entries in order; a winner's tickets leave the pot. Anyone with the
seed and the entries repeats it with `pick_winners` and gets the same winners.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from tortoise.expressions import Q

from loyalty import audit, notify
from loyalty.audiences import check, scoped, values
from loyalty.clock import utcnow
from models import Card, Lottery, Member


def seed_hash(seed: str) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()


def tickets_of(balance: int, points_per_ticket: int | None) -> int:
    if not points_per_ticket:
        return 1
    return max(0, balance) // points_per_ticket


def pick_winners(seed: str, entries: list[list[int]], count: int) -> list[int]:
    """Member ids of the winners, in the order drawn."""
    pot = [(member, tickets) for member, tickets in sorted(entries) if tickets > 0]
    winners: list[int] = []
    for i in range(min(count, len(pot))):
        total = sum(tickets for _, tickets in pot)
        ticket = int(hashlib.sha256(f"{seed}:{i}".encode()).hexdigest(), 16) % total
        for index, (member, tickets) in enumerate(pot):
            if ticket < tickets:
                winners.append(member)
                del pot[index]
                break
            ticket -= tickets
    return winners


async def create(
    audience: dict[str, Any],
    winners: int,
    *,
    points_per_ticket: int | None = None,
    staff_id: int | None = None,
    actor: str = "",
    now: datetime | None = None,
    seed: str | None = None,
) -> Lottery:
    """A lottery with a fresh secret seed; publish `seed_hash` now."""
    now = now or utcnow()
    audience = await scoped(audience, staff_id)
    await check(audience)
    seed = seed or secrets.token_hex(32)
    lottery = await Lottery.create(
        audience=audience,
        winners_count=max(1, winners),
        points_per_ticket=points_per_ticket or None,
        seed_hash=seed_hash(seed),
        seed=seed,
        created_at=now,
    )
    await audit.record(
        "lottery_created",
        staff_id=staff_id,
        actor=actor,
        now=now,
        lottery=lottery.id,
        seed_hash=lottery.seed_hash,
    )
    return lottery


async def draw(
    lottery_id: int,
    *,
    now: datetime,
    tz: ZoneInfo,
    staff_id: int | None = None,
    actor: str = "",
) -> Lottery:
    """Draw once (a second call returns the first result) and notify the winners."""
    lottery = await Lottery.get(id=lottery_id)
    if lottery.status == "drawn":
        return lottery
    consenting = Q(consent_telegram=True) | Q(consent_sms=True)
    members = await values(
        lottery.audience, now, now.astimezone(tz).date(), ("id", "balance"), consenting
    )
    entries = [
        [member_id, tickets_of(balance, lottery.points_per_ticket)]
        for member_id, balance in members
    ]
    winners = pick_winners(lottery.seed, entries, lottery.winners_count)
    updated = await Lottery.filter(id=lottery_id, status="open").update(
        status="drawn", entries=entries, winners=winners, drawn_at=now
    )
    lottery = await Lottery.get(id=lottery_id)
    if updated:
        for member_id in winners:
            await notify.enqueue(
                member_id,
                "lottery_won",
                f"lottery:{lottery_id}:{member_id}",
                now=now,
                params={"lottery": lottery_id},
            )
        await audit.record(
            "lottery_drawn",
            staff_id=staff_id,
            actor=actor,
            now=now,
            lottery=lottery_id,
            seed=lottery.seed,
            winners=winners,
        )
    return lottery


def verify(lottery: Lottery) -> bool:
    """The revealed seed matches the published hash and gives the recorded winners."""
    return (
        seed_hash(lottery.seed) == lottery.seed_hash
        and pick_winners(lottery.seed, lottery.entries, lottery.winners_count) == lottery.winners
    )


SLICE = 10_000


@dataclass(frozen=True)
class Entrant:
    """One entry of a drawn lottery, as it is published."""

    member_id: int
    name: str
    card: str  # the active card's number; "" for a member without one
    phone: str  # E.164; "" when none
    tickets: int


async def entrants(lottery: Lottery) -> list[Entrant]:
    """The entries of a drawn lottery in the order the draw counts them (by member number)."""
    ids = [member_id for member_id, _ in lottery.entries]
    members: dict[int, Member] = {}
    cards: dict[int, str] = {}
    # In slices: SQLite binds at most 32766 values to one statement.
    for i in range(0, len(ids), SLICE):
        part = ids[i : i + SLICE]
        fields = ("id", "first_name", "last_name", "phone")
        members |= {m.id: m for m in await Member.filter(id__in=part).only(*fields)}
        found_cards = Card.filter(member_id__in=part, active=True)
        cards |= dict(await found_cards.values_list("member_id", "number"))
    found = []
    for member_id, tickets in sorted(lottery.entries):
        member = members.get(member_id)
        name = f"{member.first_name} {member.last_name}".strip() if member else ""
        phone = (member.phone or "") if member else ""
        found.append(Entrant(member_id, name, cards.get(member_id, ""), phone, tickets))
    return found


async def winners_of(lottery: Lottery) -> list[Entrant]:
    """The winners of a drawn lottery, in the order drawn."""
    by_id = {e.member_id: e for e in await entrants(lottery)}
    return [by_id[member_id] for member_id in lottery.winners if member_id in by_id]
