"""Gift cards: money (in the club's currency, not points) on a card, spent at the till.

Each card has its own append-only ledger (`GiftCardEntry`): issue, top-up, spend,
refund-to-card and expire, every row with an idempotency key unique in the table. The
card's cached balance moves in the same transaction as its row, by one conditional
UPDATE: a spend is `balance = balance - n WHERE balance >= n` on an active, unexpired
card, so spends sent at once never overdraw it (on PostgreSQL the row lock orders them,
on SQLite the one writer does).

Staff act through the functions that take a `Staff` (the permission table decides, the
audit records); members see their own cards and give one to another member.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q
from tortoise.functions import Sum
from tortoise.transactions import in_transaction

from loyalty import audit, earning, ledger, notify
from loyalty.clock import utcnow
from loyalty.codes import clean_gift_card_code, new_gift_card_code
from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.members import find_member, get_member
from loyalty.rules import get_rules
from loyalty.staff.access import counter_branch
from loyalty.staff.permissions import Action, require
from models import (
    GiftCard,
    GiftCardEntry,
    GiftCardKind,
    GiftCardStatus,
    Member,
    Staff,
)

CURRENCIES = ("toman", "rial")
MAX_RECEIPT = 64
HISTORY = 10  # entries a member or the CLI sees at once


@dataclass(frozen=True)
class Movement:
    """A card after one movement of its money; `replayed`: the same request came before."""

    card: GiftCard
    entry: GiftCardEntry
    balance: int
    currency: str
    replayed: bool


# --- reading codes and cards -----------------------------------------------------------


async def find_card(raw: str) -> GiftCard:
    """The card of a code as typed; a code that cannot be one is refused before any lookup."""
    card = await GiftCard.get_or_none(code=clean_gift_card_code(raw))
    if card is None:
        raise LoyaltyError(ErrorCode.GIFT_CARD_NOT_FOUND)
    return card


def _usable(card: GiftCard, now: datetime) -> None:
    if card.status is GiftCardStatus.BLOCKED:
        raise LoyaltyError(ErrorCode.GIFT_CARD_BLOCKED)
    if card.expires_at is not None and card.expires_at <= now:
        raise LoyaltyError(ErrorCode.GIFT_CARD_EXPIRED, expired=card.expires_at)


async def _amount(amount: int) -> str:
    """Refuse an amount that is no sale (zero, negative, above the club's largest
    purchase); the club's currency when it is fine."""
    rules = await get_rules()
    earning.check_amount(amount, rules)
    return rules.currency


async def currency() -> str:
    return (await get_rules()).currency


# --- the ledger ----------------------------------------------------------------------------


def _open_card(card_id: int, now: datetime) -> Q:
    return Q(id=card_id, status=GiftCardStatus.ACTIVE) & (
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )


async def _replay(key: str, money: str) -> Movement | None:
    entry = await GiftCardEntry.get_or_none(idempotency_key=key)
    if entry is None:
        return None
    card = await GiftCard.get(id=entry.card_id)
    return Movement(card, entry, entry.balance_after, money, True)


async def _append(
    card: GiftCard,
    kind: GiftCardKind,
    amount: int,
    key: str,
    now: datetime,
    *,
    receipt: str | None = None,
    staff_id: int | None = None,
    branch_id: int | None = None,
) -> GiftCardEntry:
    """The entry of a movement whose balance UPDATE was just made. Call inside its transaction."""
    balance = await GiftCard.filter(id=card.id).values_list("balance", flat=True)
    card.balance = balance[0]
    return await GiftCardEntry.create(
        card_id=card.id,
        kind=kind,
        amount=amount,
        balance_after=card.balance,
        receipt=receipt,
        staff_id=staff_id,
        branch_id=branch_id,
        idempotency_key=key,
        created_at=now,
    )


async def _refusal(card_id: int, needed: int, money: str, now: datetime) -> LoyaltyError:
    """Why a conditional UPDATE moved nothing."""
    card = await GiftCard.get(id=card_id)
    try:
        _usable(card, now)
    except LoyaltyError as error:
        return error
    return LoyaltyError(
        ErrorCode.GIFT_CARD_BALANCE, balance=card.balance, needed=needed, currency=money
    )


async def _move(
    card: GiftCard,
    kind: GiftCardKind,
    amount: int,
    key: str,
    now: datetime,
    money: str,
    *,
    receipt: str | None = None,
    staff_id: int | None = None,
    branch_id: int | None = None,
    refundable: bool = False,
) -> Movement:
    """Move `amount` (signed) on an active, unexpired card, once per `key`."""

    async def action() -> Movement:
        open_card = GiftCard.filter(_open_card(card.id, now))
        if amount < 0:
            open_card = open_card.filter(balance__gte=-amount)
        if not await open_card.update(balance=F("balance") + amount):
            raise await _refusal(card.id, -amount, money, now)
        if refundable:
            # After the UPDATE, which holds the card's row lock (PostgreSQL): a refund of
            # the same receipt sent at once waits for this one's commit and sees it here.
            left = await refundable_on(card.id, receipt or "")
            if amount > left:
                raise LoyaltyError(ErrorCode.GIFT_REFUND_TOO_LARGE, left=left, currency=money)
        entry = await _append(
            card, kind, amount, key, now, receipt=receipt, staff_id=staff_id, branch_id=branch_id
        )
        return Movement(card, entry, card.balance, money, False)

    movement, _ = await ledger.once(action, lambda: _replay(key, money))
    return movement


async def refundable_on(card_id: int, receipt: str) -> int:
    """What is left to put back on the card of a receipt it paid: spent less refunded."""
    rows = (
        await GiftCardEntry.filter(
            card_id=card_id,
            receipt=receipt,
            kind__in=[GiftCardKind.SPEND, GiftCardKind.REFUND],
        )
        .annotate(total=Sum("amount"))
        .values("total")
    )
    net = int(rows[0]["total"] or 0) if rows else 0
    return -net


async def _issue(
    amount: int,
    money: str,
    key: str,
    now: datetime,
    *,
    member_id: int | None,
    staff_id: int | None,
    branch_id: int | None,
) -> Movement:
    days = (await get_rules()).gift_card_valid_days
    expires_at = now + timedelta(days=days) if days > 0 else None

    async def action() -> Movement:
        # A new code that happens to be taken already (1 in 2^75) is drawn again.
        for _ in range(5):
            try:
                async with in_transaction():
                    card = await GiftCard.create(
                        code=new_gift_card_code(),
                        member_id=member_id,
                        balance=amount,
                        issued_at=now,
                        expires_at=expires_at,
                    )
                break
            except IntegrityError:
                continue
        else:
            raise RuntimeError("no free gift card code in five draws")
        entry = await _append(
            card, GiftCardKind.ISSUE, amount, key, now, staff_id=staff_id, branch_id=branch_id
        )
        if member_id is not None:
            await _tell_holder(card, member_id, money, now)
        return Movement(card, entry, card.balance, money, False)

    movement, _ = await ledger.once(action, lambda: _replay(key, money))
    return movement


def _receipt(raw: str | None) -> str | None:
    return (raw or "").strip()[:MAX_RECEIPT] or None


def _request(request: str | None) -> str:
    """The door's name for a request; without one (the CLI) every call is its own."""
    return request or secrets.token_hex(12)


# --- staff at the till ---------------------------------------------------------------------


async def sell(
    staff: Staff,
    amount: int,
    member: str | None = None,
    *,
    request: str | None = None,
    now: datetime | None = None,
) -> Movement:
    """A new card holding `amount`, for a member (phone or card number) or for anyone."""
    now = (now or utcnow()).astimezone(UTC)
    require(staff, Action.GIFT_CARD_SELL)
    money = await _amount(amount)
    holder = await find_member(member) if member else None
    branch_id = await counter_branch(staff)
    movement = await _issue(
        amount,
        money,
        f"gift:issue:{_request(request)}",
        now,
        member_id=holder.id if holder else None,
        staff_id=staff.id,
        branch_id=branch_id,
    )
    if not movement.replayed:
        await audit.record(
            "giftcard_sell",
            staff_id=staff.id,
            now=now,
            card=movement.card.id,
            amount=amount,
            member=holder.id if holder else None,
        )
    return movement


async def top_up(
    staff: Staff,
    code: str,
    amount: int,
    *,
    request: str | None = None,
    now: datetime | None = None,
) -> Movement:
    now = (now or utcnow()).astimezone(UTC)
    require(staff, Action.GIFT_CARD_TOPUP)
    money = await _amount(amount)
    card = await find_card(code)
    _usable(card, now)
    movement = await _move(
        card,
        GiftCardKind.TOPUP,
        amount,
        f"gift:topup:{card.id}:{_request(request)}",
        now,
        money,
        staff_id=staff.id,
        branch_id=await counter_branch(staff),
    )
    if not movement.replayed:
        await audit.record(
            "giftcard_topup", staff_id=staff.id, now=now, card=card.id, amount=amount
        )
    return movement


async def spend(
    staff: Staff,
    code: str,
    amount: int,
    receipt: str | None = None,
    *,
    request: str | None = None,
    now: datetime | None = None,
) -> Movement:
    """Pay `amount` from the card; a partial spend leaves the rest on it. With a receipt
    the spend is done once per card and receipt, however often it is sent."""
    require(staff, Action.GIFT_CARD_SPEND)
    return await _spend(
        code,
        amount,
        receipt,
        request=request,
        now=now,
        staff_id=staff.id,
        branch_id=await counter_branch(staff),
    )


async def spend_at_branch(
    branch_id: int,
    code: str,
    amount: int,
    receipt: str | None = None,
    *,
    actor: str,
    request: str | None = None,
    now: datetime | None = None,
) -> Movement:
    """`spend` for a door that is no staff member (a till's API key): at `branch_id`,
    audited under `actor`. The same card and receipt are spent once whichever door sends them."""
    return await _spend(
        code, amount, receipt, request=request, now=now, branch_id=branch_id, actor=actor
    )


async def _spend(
    code: str,
    amount: int,
    receipt: str | None,
    *,
    request: str | None,
    now: datetime | None,
    branch_id: int,
    staff_id: int | None = None,
    actor: str = "",
) -> Movement:
    now = (now or utcnow()).astimezone(UTC)
    money = await _amount(amount)
    card = await find_card(code)
    receipt = _receipt(receipt)
    key = f"gift:spend:{card.id}:" + (f"r:{receipt}" if receipt else _request(request))
    earlier = await _replay(key, money)
    if earlier is not None:
        return earlier
    _usable(card, now)
    movement = await _move(
        card,
        GiftCardKind.SPEND,
        -amount,
        key,
        now,
        money,
        receipt=receipt,
        staff_id=staff_id,
        branch_id=branch_id,
    )
    if not movement.replayed:
        await audit.record(
            "giftcard_spend",
            staff_id=staff_id,
            actor=actor,
            now=now,
            card=card.id,
            amount=amount,
            receipt=receipt,
        )
    return movement


async def refund(
    staff: Staff,
    code: str,
    amount: int,
    receipt: str,
    *,
    request: str | None = None,
    now: datetime | None = None,
) -> Movement:
    """Put money of a purchase the card paid back on it: at most what it paid on that
    receipt, less what was put back before."""
    require(staff, Action.GIFT_CARD_REFUND)
    return await _refund(
        code,
        amount,
        receipt,
        request=request,
        now=now,
        staff_id=staff.id,
        branch_id=await counter_branch(staff),
    )


async def refund_at_branch(
    branch_id: int,
    code: str,
    amount: int,
    receipt: str,
    *,
    actor: str,
    request: str,
    now: datetime | None = None,
) -> Movement:
    """`refund` for a door that is no staff member, as `spend_at_branch`."""
    return await _refund(
        code, amount, receipt, request=request, now=now, branch_id=branch_id, actor=actor
    )


async def _refund(
    code: str,
    amount: int,
    receipt: str,
    *,
    request: str | None,
    now: datetime | None,
    branch_id: int,
    staff_id: int | None = None,
    actor: str = "",
) -> Movement:
    now = (now or utcnow()).astimezone(UTC)
    money = await _amount(amount)
    card = await find_card(code)
    receipt = _receipt(receipt) or ""
    key = f"gift:refund:{card.id}:{_request(request)}"
    earlier = await _replay(key, money)
    if earlier is not None:
        return earlier
    _usable(card, now)
    movement = await _move(
        card,
        GiftCardKind.REFUND,
        amount,
        key,
        now,
        money,
        receipt=receipt,
        staff_id=staff_id,
        branch_id=branch_id,
        refundable=True,
    )
    if not movement.replayed:
        await audit.record(
            "giftcard_refund",
            staff_id=staff_id,
            actor=actor,
            now=now,
            card=card.id,
            amount=amount,
            receipt=receipt,
        )
    return movement


async def block(staff: Staff, code: str, *, now: datetime | None = None) -> GiftCard:
    """A card reported lost: nothing moves on it any more; its money stays owed."""
    now = (now or utcnow()).astimezone(UTC)
    require(staff, Action.GIFT_CARD_BLOCK)
    card = await find_card(code)
    blocked = await GiftCard.filter(id=card.id, status=GiftCardStatus.ACTIVE).update(
        status=GiftCardStatus.BLOCKED, blocked_at=now
    )
    if blocked:
        await audit.record("giftcard_block", staff_id=staff.id, now=now, card=card.id)
    await card.refresh_from_db()
    return card


# --- members --------------------------------------------------------------------------------


async def cards_of(member_id: int) -> list[GiftCard]:
    return await GiftCard.filter(member_id=member_id).order_by("-issued_at", "-id")


async def card_of(member_id: int, card_id: int) -> GiftCard:
    card = await GiftCard.get_or_none(id=card_id, member_id=member_id)
    if card is None:
        raise LoyaltyError(ErrorCode.GIFT_CARD_NOT_YOURS)
    return card


async def history(card_id: int, *, limit: int = HISTORY) -> list[GiftCardEntry]:
    """The card's entries, newest first."""
    return await GiftCardEntry.filter(card_id=card_id).order_by("-created_at", "-id").limit(limit)


async def give(
    member_id: int, card_id: int, to: str, *, now: datetime | None = None
) -> tuple[GiftCard, Member]:
    """A member hands one of their cards to another member, named by phone number."""
    now = (now or utcnow()).astimezone(UTC)
    card = await card_of(member_id, card_id)
    _usable(card, now)
    receiver = await find_member(to)
    if receiver.id == member_id:
        raise LoyaltyError(ErrorCode.GIFT_CARD_TO_SELF)
    await get_member(receiver.id)
    async with in_transaction():
        # Conditional: of two gifts of one card at once, one moves it.
        moved = await GiftCard.filter(id=card.id, member_id=member_id).update(member_id=receiver.id)
        if not moved:
            raise LoyaltyError(ErrorCode.GIFT_CARD_NOT_YOURS)
        card.member_id = receiver.id
        # The time in the key: a card given back and forth is told about each time.
        await _tell_holder(card, receiver.id, await currency(), now, f":{now.isoformat()}")
        await audit.record(
            "giftcard_give", actor=f"member:{member_id}", now=now, card=card.id, to=receiver.id
        )
    return card, receiver


async def _tell_holder(
    card: GiftCard, member_id: int, money: str, now: datetime, key_suffix: str = ""
) -> None:
    """The outbox row telling a member a card is theirs, in the transaction that made it so.
    Without the code: the member reads it in the menu, not in an SMS or a log."""
    await notify.enqueue(
        member_id,
        "gift_card_received",
        f"gift-received:{card.id}:{member_id}{key_suffix}",
        now=now,
        params={"balance": card.balance, "currency": money},
    )


async def balance_by_code(code: str, *, now: datetime | None = None) -> GiftCard:
    """What a card holds, for whoever has its code (SMS); a blocked or expired card says so."""
    now = (now or utcnow()).astimezone(UTC)
    card = await find_card(code)
    _usable(card, now)
    return card


# --- expiry and figures ----------------------------------------------------------------------


async def expire_due(*, now: datetime | None = None) -> int:
    """An `expire` row for each card past its date that still holds money; once per card.
    Returns how many cards expired now."""
    now = (now or utcnow()).astimezone(UTC)
    due = await GiftCard.filter(expires_at__lte=now, balance__gt=0).values_list("id", flat=True)
    expired = 0
    for card_id in due:
        card = await GiftCard.get(id=card_id)
        key = f"gift:expire:{card.id}"

        async def action(card: GiftCard = card, key: str = key) -> int:
            # All of what it holds now: a spend that came first is not taken twice.
            held = card.balance
            if not await GiftCard.filter(id=card.id, balance=held).update(balance=0):
                raise LoyaltyError(ErrorCode.GIFT_CARD_BALANCE)  # moved meanwhile: next run
            await _append(card, GiftCardKind.EXPIRE, -held, key, now)
            return held

        async def replay(key: str = key) -> int | None:
            return 0 if await GiftCardEntry.exists(idempotency_key=key) else None

        try:
            held, replayed = await ledger.once(action, replay)
        except LoyaltyError:
            continue
        if not replayed:
            expired += 1
            await audit.record(
                "giftcard_expire", actor="job:giftcards", now=now, card=card.id, amount=held
            )
    return expired


@dataclass(frozen=True)
class Figures:
    outstanding: int  # what all the cards hold now: the club owes it
    sold: int  # issued and topped up in the period
    spent: int  # spent in the period, less what was refunded onto cards
    expired: int
    currency: str


async def figures(since: datetime, until: datetime) -> Figures:
    """The owner's report: the liability now, and the money that moved from `since` to
    `until`, both included (as `reports.build` counts)."""
    outstanding = await GiftCard.all().annotate(total=Sum("balance")).values("total")
    moved = (
        await GiftCardEntry.filter(
            created_at__gte=since.astimezone(UTC), created_at__lte=until.astimezone(UTC)
        )
        .group_by("kind")
        .annotate(total=Sum("amount"))
        .values("kind", "total")
    )
    by_kind = {GiftCardKind(row["kind"]): int(row["total"] or 0) for row in moved}
    return Figures(
        outstanding=int(outstanding[0]["total"] or 0) if outstanding else 0,
        sold=by_kind.get(GiftCardKind.ISSUE, 0) + by_kind.get(GiftCardKind.TOPUP, 0),
        spent=-by_kind.get(GiftCardKind.SPEND, 0) - by_kind.get(GiftCardKind.REFUND, 0),
        expired=-by_kind.get(GiftCardKind.EXPIRE, 0),
        currency=await currency(),
    )
