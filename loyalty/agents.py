"""Agents: people who bring members and are paid a commission on their purchases.

An agent has a code nobody can guess (`loyalty.codes.new_agent_code`); a member who joins
by it (the link `start=ag_<code>`, SMS `JOIN <code>`, a cashier's sign-up) is the agent's,
once: the agent is written with the member row when it is created, so someone already a
member, or a second sign-up of the same number at the same moment, is never attributed.

For `days` after a member joined, each of their purchases earns the agent `percent` of
what was paid (rounded down to a whole unit of money), as one ACCRUE row of the commission
ledger keyed by the purchase, in the purchase's own transaction. A refund takes back the
same share of it: after refunds of R of an amount A, the commission reversed so far is
floor(commission × R / A), computed on the running total as points are. The owner pays
agents (PAY rows), never more than is due. An agent earns nothing on their own purchases.

The owner may switch an agent off (`switch_off`): their code and link then bring no one
(a sign-up names an unknown code), while the members they brought stay theirs and keep
earning them commission until each one's period ends; to stop that too, set their percent
to 0. The owner may change an agent's percent and days (`set_terms`): they apply to
purchases from then on, and the days count from each member's joining, as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_FLOOR, Decimal

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.functions import Count, Sum
from tortoise.transactions import in_transaction

from loyalty import audit
from loyalty.clock import utcnow
from loyalty.codes import AGENT_CODE_LENGTH, clean_agent_code, new_agent_code
from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.numbers import INT_MAX, parse_decimal, parse_id, parse_int
from loyalty.rules import get_rules
from loyalty.staff.permissions import Action, require
from loyalty.text import clean_name
from models import (
    Agent,
    ClubRules,
    Commission,
    CommissionKind,
    Member,
    Purchase,
    Staff,
    StaffInvite,
    StaffRole,
)

LINK_PREFIX = "ag_"  # the deep link payload: start=ag_<code>
PERCENT_RANGE = (Decimal("0"), Decimal("100"))
DAYS_RANGE = (1, 36_500)


# ---- reading what people type ------------------------------------------------------------------


def read_percent(raw: str) -> Decimal:
    """A commission percent as typed (`5`, `2.5`, `۲٫۵`): 0 to 100, two decimals at most."""
    low, high = PERCENT_RANGE
    try:
        value = parse_decimal(raw)
    except LoyaltyError:
        raise LoyaltyError(ErrorCode.INVALID_SETTING, key="percent", min=low, max=high) from None
    if not low <= value <= high or value != value.quantize(Decimal("0.01")):
        raise LoyaltyError(ErrorCode.INVALID_SETTING, key="percent", min=low, max=high)
    return value.quantize(Decimal("0.01"))


def read_days(raw: str) -> int:
    low, high = DAYS_RANGE
    try:
        value = parse_int(raw, signed=True, maximum=INT_MAX)
    except LoyaltyError:
        raise LoyaltyError(ErrorCode.INVALID_SETTING, key="days", min=low, max=high) from None
    if not low <= value <= high:
        raise LoyaltyError(ErrorCode.INVALID_SETTING, key="days", min=low, max=high)
    return value


def read_money(raw: str) -> int:
    """An amount paid to an agent: a positive whole number (Persian digits too)."""
    value = parse_int(raw, signed=True)
    if value <= 0:
        raise LoyaltyError(ErrorCode.INVALID_AMOUNT, amount=raw)
    return value


def payload_code(payload: str | None) -> str | None:
    """The agent's code in a deep link payload `ag_<code>`, else None."""
    if payload and payload.startswith(LINK_PREFIX):
        return payload[len(LINK_PREFIX) :]
    return None


# ---- agents -----------------------------------------------------------------------------------


async def add_agent(
    name: str,
    *,
    percent: Decimal | None = None,
    days: int | None = None,
    staff: Staff | None = None,
    actor: str = "",
    key: str | None = None,
    now: datetime | None = None,
) -> Agent:
    """A new agent with a fresh code; with `staff` (the owner in the chat) also a one-time
    staff invitation of role agent, whose opener becomes the agent's account."""
    now = now or utcnow()
    if staff is not None:
        require(staff, Action.AGENTS)
    if key is not None and (earlier := await Agent.get_or_none(request_key=key)) is not None:
        return earlier
    name = clean_name(name)
    try:
        async with in_transaction():
            invite = None
            if staff is not None:
                from loyalty.staff.team import new_invite_token

                invite = await StaffInvite.create(
                    token=new_invite_token(),
                    role=StaffRole.AGENT,
                    created_by=staff,
                    created_at=now,
                )
            agent = await Agent.create(
                code=await _unused_code(),
                name=name,
                percent=percent,
                days=days,
                invite=invite,
                created_at=now,
                request_key=key,
            )
            await audit.record(
                "agent_added",
                staff_id=staff.id if staff else None,
                actor=actor,
                now=now,
                agent=agent.id,
                percent=str(percent) if percent is not None else None,
                days=days,
            )
    except IntegrityError:
        if key is not None and (earlier := await Agent.get_or_none(request_key=key)) is not None:
            return earlier
        raise
    return agent


async def _unused_code() -> str:
    while True:
        code = new_agent_code()
        if not await Agent.exists(code=code):
            return code


async def link_staff(invite_id: int, staff_id: int) -> None:
    """The agent whose invitation was just opened gets that staff account."""
    await Agent.filter(invite_id=invite_id, staff_id=None).update(staff_id=staff_id)


async def by_code(raw: str) -> Agent:
    """The active agent with this code (any case, Persian digits); AGENT_NOT_FOUND otherwise,
    without a look-up when the text cannot be a code."""
    return await _with_code(raw, active_only=True)


async def _with_code(raw: str, *, active_only: bool) -> Agent:
    code = clean_agent_code(raw)
    found = Agent.filter(code=code, active=True) if active_only else Agent.filter(code=code)
    agent = await found.first() if code else None
    if agent is None:
        raise LoyaltyError(ErrorCode.AGENT_NOT_FOUND, code=(raw or "").strip()[:20])
    return agent


async def by_reference(raw: str) -> Agent:
    """An agent named by its number (`3`, `#3`, `۳`) or its code, switched off or not."""
    text = (raw or "").strip()
    if len(text.lstrip("#")) < AGENT_CODE_LENGTH:
        try:
            number = parse_id(text)
        except LoyaltyError:
            raise LoyaltyError(ErrorCode.AGENT_NOT_FOUND, code=text[:20]) from None
        agent = await Agent.get_or_none(id=number)
        if agent is None:
            raise LoyaltyError(ErrorCode.AGENT_NOT_FOUND, code=text[:20])
        return agent
    return await _with_code(text, active_only=False)


async def switch_off(
    agent_id: int, *, staff: Staff | None = None, actor: str = "", now: datetime | None = None
) -> Agent:
    """The agent's code and link bring no new members; those brought stay theirs (above).
    Switching off an agent who is off already changes nothing and records nothing."""
    now = now or utcnow()
    if staff is not None:
        require(staff, Action.AGENTS)
    async with in_transaction():
        changed = await Agent.filter(id=agent_id, active=True).update(active=False)
        if changed:
            await audit.record(
                "agent_off",
                staff_id=staff.id if staff else None,
                actor=actor,
                now=now,
                agent=agent_id,
            )
    return await Agent.get(id=agent_id)


async def set_terms(
    agent_id: int,
    *,
    percent: Decimal | None = None,
    days: int | None = None,
    staff: Staff | None = None,
    actor: str = "",
    now: datetime | None = None,
) -> Agent:
    """The agent's own percent and/or days (the club's until set), audited with the old ones."""
    now = now or utcnow()
    if staff is not None:
        require(staff, Action.AGENTS)
    async with in_transaction():
        agent = await Agent.get(id=agent_id)
        before = {
            "percent": str(agent.percent) if agent.percent is not None else None,
            "days": agent.days,
        }
        changes: dict[str, object] = {}
        if percent is not None:
            changes["percent"] = percent
        if days is not None:
            changes["days"] = days
        await Agent.filter(id=agent_id).update(**changes)
        await audit.record(
            "agent_terms",
            staff_id=staff.id if staff else None,
            actor=actor,
            now=now,
            agent=agent_id,
            percent_before=before["percent"],
            days_before=before["days"],
            percent=str(percent) if percent is not None else before["percent"],
            days=days if days is not None else before["days"],
        )
    return await Agent.get(id=agent_id)


async def of_staff(staff: Staff) -> Agent:
    agent = await Agent.get_or_none(staff_id=staff.id)
    if agent is None:
        raise LoyaltyError(ErrorCode.NOT_ALLOWED)
    return agent


async def for_signup(code: str | None, telegram_id: int | None = None) -> Agent | None:
    """The agent a sign-up names, or None; AGENT_NOT_FOUND for a code that is nobody's.
    An agent joining by their own code is not their own agent."""
    if not code:
        return None
    agent = await by_code(code)
    return None if await _own(agent, telegram_id) else agent


async def _own(agent: Agent, telegram_id: int | None) -> bool:
    """Is this Telegram account the agent's own?"""
    if agent.staff_id is None or telegram_id is None:  # type: ignore[attr-defined]
        return False
    return await Staff.filter(id=agent.staff_id, telegram_id=telegram_id).exists()  # type: ignore[attr-defined]


# ---- commission -------------------------------------------------------------------------------


def commission_of(base: int, percent: Decimal) -> int:
    """`percent` of `base`, rounded down to a whole unit of money."""
    exact = Decimal(base) * percent / Decimal(100)
    return int(exact.to_integral_value(rounding=ROUND_FLOOR))


def _terms(agent: Agent, rules: ClubRules) -> tuple[Decimal, int]:
    percent = agent.percent if agent.percent is not None else rules.agent_percent
    days = agent.days if agent.days is not None else rules.agent_days
    return Decimal(percent), int(days)


async def accrue(
    member: Member, purchase: Purchase, base: int, rules: ClubRules, now: datetime
) -> Commission | None:
    """The agent's commission on a purchase just written, in its transaction; None when
    there is none (after the member's period, 0 after rounding, the agent's own purchase).
    Called only for a member with an agent: a member without one costs no query."""
    # An agent switched off still earns on the members they brought, until each one's period.
    agent = await Agent.get_or_none(id=member.agent_id)  # type: ignore[attr-defined]
    if agent is None:
        return None
    percent, days = _terms(agent, rules)
    if now >= member.joined_at + timedelta(days=days):
        return None
    if await _own(agent, member.telegram_id):
        return None
    amount = commission_of(base, percent)
    if amount <= 0:
        return None
    row = await Commission.create(
        agent_id=agent.id,
        kind=CommissionKind.ACCRUE,
        amount=amount,
        member_id=member.id,
        purchase_id=purchase.id,
        base=base,
        idempotency_key=_accrue_key(purchase.id),
        created_at=now,
    )
    await Agent.filter(id=agent.id).update(accrued=F("accrued") + amount)
    return row


def _accrue_key(purchase_id: int) -> str:
    return f"agent:accrue:{purchase_id}"


async def reverse(
    purchase: Purchase, refunded_before: int, refunded_after: int, key: str, now: datetime
) -> Commission | None:
    """Take back the commission's share of a refund, in the refund's transaction: the
    reversed total follows floor(commission × refunded / amount) on the running total, so
    partial refunds never take back more than a whole one."""
    accrued = await Commission.get_or_none(
        idempotency_key=_accrue_key(purchase.id), kind=CommissionKind.ACCRUE
    )
    if accrued is None:
        return None
    total = purchase.amount
    amount = accrued.amount * refunded_after // total - accrued.amount * refunded_before // total
    if amount <= 0:
        return None
    row = await Commission.create(
        agent_id=accrued.agent_id,  # type: ignore[attr-defined]
        kind=CommissionKind.REVERSE,
        amount=-amount,
        member_id=accrued.member_id,  # type: ignore[attr-defined]
        purchase_id=purchase.id,
        base=refunded_after - refunded_before,
        idempotency_key=f"agent:reverse:{key}"[:120],
        created_at=now,
    )
    await Agent.filter(id=accrued.agent_id).update(accrued=F("accrued") - amount)  # type: ignore[attr-defined]
    return row


@dataclass(frozen=True)
class Paid:
    agent: Agent
    amount: int
    replayed: bool


async def pay(
    agent_id: int,
    amount: int,
    *,
    staff: Staff | None = None,
    actor: str = "",
    key: str,
    now: datetime | None = None,
) -> Paid:
    """Record a payment to an agent; PAY_MORE_THAN_DUE when it is more than is owed. The
    conditional update makes two payments at once never pay more than is due together."""
    now = now or utcnow()
    if staff is not None:
        require(staff, Action.AGENTS)
    if amount <= 0:
        raise LoyaltyError(ErrorCode.INVALID_AMOUNT, amount=amount)
    ledger_key = f"agent:pay:{key}"[:120]
    if await Commission.exists(idempotency_key=ledger_key):
        return Paid(await Agent.get(id=agent_id), amount, True)
    try:
        async with in_transaction():
            done = await Agent.filter(id=agent_id, accrued__gte=F("paid") + amount).update(
                paid=F("paid") + amount
            )
            if not done:
                agent = await Agent.get_or_none(id=agent_id)
                if agent is None:
                    raise LoyaltyError(ErrorCode.AGENT_NOT_FOUND, code=str(agent_id))
                raise LoyaltyError(
                    ErrorCode.PAY_MORE_THAN_DUE,
                    due=agent.accrued - agent.paid,
                    amount=amount,
                    currency=(await get_rules()).currency,
                )
            await Commission.create(
                agent_id=agent_id,
                kind=CommissionKind.PAY,
                amount=-amount,
                staff_id=staff.id if staff else None,
                idempotency_key=ledger_key,
                created_at=now,
            )
            await audit.record(
                "agent_paid",
                staff_id=staff.id if staff else None,
                actor=actor,
                now=now,
                agent=agent_id,
                amount=amount,
            )
    except IntegrityError:
        if await Commission.exists(idempotency_key=ledger_key):
            return Paid(await Agent.get(id=agent_id), amount, True)
        raise
    return Paid(await Agent.get(id=agent_id), amount, False)


# ---- figures ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Brought:
    """A member an agent brought, with their purchases and the commission on them."""

    member: Member
    purchases: int
    spent: int  # the purchases' amounts less refunds
    commission: int  # accrued less reversed


@dataclass(frozen=True)
class Figures:
    agent: Agent
    percent: Decimal
    days: int
    members: int
    purchases: int
    spent: int

    @property
    def accrued(self) -> int:
        return self.agent.accrued

    @property
    def paid(self) -> int:
        return self.agent.paid

    @property
    def due(self) -> int:
        return self.agent.accrued - self.agent.paid


async def figures(agents: list[Agent] | None = None) -> list[Figures]:
    """Every agent's figures (or these agents'), by number."""
    rules = await get_rules()
    agents = agents if agents is not None else await Agent.all().order_by("id")
    ids = [a.id for a in agents]
    members = dict(
        await Member.filter(agent_id__in=ids)
        .annotate(n=Count("id"))
        .group_by("agent_id")
        .values_list("agent_id", "n")
    )
    bought: dict[int, tuple[int, int]] = {}
    rows = (
        await Purchase.filter(member__agent_id__in=ids)
        .annotate(n=Count("id"), total=Sum("amount"), back=Sum("refunded_amount"))
        .group_by("member__agent_id")
        .values_list("member__agent_id", "n", "total", "back")
    )
    for agent_id, n, total, back in rows:
        bought[agent_id] = (int(n), int(total or 0) - int(back or 0))
    result = []
    for agent in agents:
        percent, days = _terms(agent, rules)
        n, spent = bought.get(agent.id, (0, 0))
        result.append(Figures(agent, percent, days, members.get(agent.id, 0), n, spent))
    return result


async def brought(agent: Agent, limit: int = 50) -> list[Brought]:
    """The members an agent brought, newest first, with their purchases and commission."""
    members = await Member.filter(agent_id=agent.id).order_by("-joined_at", "-id").limit(limit)
    ids = [m.id for m in members]
    bought = {
        member_id: (int(n), int(total or 0) - int(back or 0))
        for member_id, n, total, back in await Purchase.filter(member_id__in=ids)
        .annotate(n=Count("id"), total=Sum("amount"), back=Sum("refunded_amount"))
        .group_by("member_id")
        .values_list("member_id", "n", "total", "back")
    }
    earned = dict(
        await Commission.filter(agent_id=agent.id, member_id__in=ids)
        .annotate(total=Sum("amount"))
        .group_by("member_id")
        .values_list("member_id", "total")
    )
    return [Brought(m, *bought.get(m.id, (0, 0)), int(earned.get(m.id) or 0)) for m in members]


__all__ = [
    "LINK_PREFIX",
    "Brought",
    "Figures",
    "Paid",
    "accrue",
    "add_agent",
    "brought",
    "by_code",
    "by_reference",
    "commission_of",
    "figures",
    "for_signup",
    "link_staff",
    "of_staff",
    "pay",
    "payload_code",
    "read_days",
    "read_money",
    "read_percent",
    "reverse",
    "set_terms",
    "switch_off",
]
