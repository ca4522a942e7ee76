"""Points for purchases, and taking them back for refunds."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_FLOOR, Decimal
from functools import partial

from tortoise.expressions import F

from loyalty import agents, festivals, ledger, notify, promos, tiers
from loyalty.clock import utcnow
from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.members import credit_expiry
from loyalty.rules import ClubConfig, club_config, current_config
from loyalty.text import to_ascii_digits
from models import (
    Branch,
    ClubRules,
    EntryKind,
    Festival,
    LedgerEntry,
    Member,
    ProductGroup,
    Purchase,
    Tier,
)
from models.queries import members as members_sql
from models.queries.ledger import PurchaseRows

# The highest maximum purchase the owner may set: far above any real receipt, and small
# enough that its points (rates up to 1,000 per unit, two multipliers up to 100) fit the
# ledger's 64-bit columns.
MAX_AMOUNT = 10**11


@dataclass(frozen=True)
class EarningRule:
    currency_unit: int
    rate: Decimal
    min_purchase: int


@dataclass(frozen=True)
class PurchaseResult:
    purchase: Purchase
    points: int
    balance: int
    tier: Tier
    replayed: bool  # True: this receipt was recorded before; nothing changed now


@dataclass(frozen=True)
class RefundResult:
    purchase: Purchase
    points_reversed: int
    balance: int
    replayed: bool = False  # the same request again: nothing more was taken back


def earning_rule(rules: ClubRules, branch: Branch | None, member: Member | None) -> EarningRule:
    """The club's rule, overridden by the branch, and the rate by a company's own rate."""
    unit = (
        branch.currency_unit if branch and branch.currency_unit else None
    ) or rules.currency_unit
    rate = branch.earn_rate if branch and branch.earn_rate is not None else rules.earn_rate
    minimum = (
        branch.min_purchase if branch and branch.min_purchase is not None else rules.min_purchase
    )
    if member is not None and member.company_earn_rate is not None:
        rate = member.company_earn_rate
    return EarningRule(unit, Decimal(rate), minimum)


def points_for(
    amount: int,
    rule: EarningRule,
    group_multiplier: Decimal = Decimal(1),
    tier_multiplier: Decimal = Decimal(1),
) -> int:
    """amount / unit × rate × group multiplier × tier multiplier, rounded down."""
    if amount < rule.min_purchase:
        return 0
    exact = Decimal(amount) / Decimal(rule.currency_unit) * rule.rate
    exact = exact * Decimal(group_multiplier) * Decimal(tier_multiplier)
    return int(exact.to_integral_value(rounding=ROUND_FLOOR))


def tier_of(member: Member, config: ClubConfig) -> Tier | None:
    return next((tier for tier in config.tiers if tier.id == member.tier_id), None)


def purchase_points(
    amount: int,
    member: Member,
    config: ClubConfig,
    branch: Branch,
    group: ProductGroup | None = None,
    now: datetime | None = None,
) -> int:
    """The points a purchase earns: the one rule for a purchase and for any figure shown
    before one (a cashier's cap, a preview). 0 below the minimum purchase. A festival
    running at `now` (default: this moment) multiplies them further."""
    tier = tier_of(member, config)
    festival = purchase_festival(member, config, branch, group, now or utcnow())
    return points_for(
        amount,
        earning_rule(config.rules, branch, member),
        group.multiplier if group else Decimal(1),
        (tier.multiplier if tier else Decimal(1)) * festivals.multiplier_of(festival),
    )


_LETTERS = str.maketrans({"ي": "ی", "ى": "ی", "ك": "ک", "\u200c": " "})


def _folded(name: str) -> str:
    """A group's name as compared: case, Arabic letters, ZWNJ and spaces do not matter."""
    return " ".join(to_ascii_digits(name).translate(_LETTERS).casefold().split())


def group_by_reference(reference: str, config: ClubConfig) -> ProductGroup:
    """An active product group named by its id (`3`, `#3`, `۳`) or its name; GROUP_NOT_FOUND
    otherwise. A name made of digits is looked up as a name too."""
    wanted = _folded(reference)
    for group in config.groups.values():
        if _folded(group.name) == wanted:
            return group
    digits = wanted.lstrip("#")
    if digits.isdigit() and int(digits) in config.groups:
        return config.groups[int(digits)]
    raise LoyaltyError(ErrorCode.GROUP_NOT_FOUND, group=reference)


def purchase_festival(
    member: Member, config: ClubConfig, branch: Branch, group: ProductGroup | None, now: datetime
) -> Festival | None:
    """The festival a purchase earns under (`loyalty.festivals`), if any."""
    group_id = group.id if group else None
    return festivals.applying(config.festivals, now, branch.id, group_id, member.tier_id)  # type: ignore[attr-defined]


def check_positive(amount: int) -> None:
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise LoyaltyError(ErrorCode.INVALID_AMOUNT, amount=amount)


def check_amount(amount: int, rules: ClubRules) -> None:
    """A purchase's amount: above zero and at most the club's maximum purchase."""
    check_positive(amount)
    if amount > rules.max_purchase:
        raise LoyaltyError(ErrorCode.AMOUNT_TOO_LARGE, amount=amount, max=rules.max_purchase)


@dataclass(frozen=True)
class Sale:
    """A purchase as the till reports it: `branch_id` None is the club's first branch."""

    member_id: int
    amount: int
    receipt: str
    branch_id: int | None
    group_id: int | None
    staff_id: int | None
    now: datetime
    # What the points are earned on when not the amount (the amount paid after discounts),
    # and more figures for the member's message (`loyalty.till.Quote.params`).
    points_amount: int | None = None
    message_params: dict[str, object] | None = None
    # A receipt rung up line by line: (amount, product group or None); `amount` is their sum.
    lines: tuple[tuple[int, int | None], ...] = ()
    # What the member paid, an agent's commission is worked on (None: the amount).
    paid: int | None = None


async def award_purchase(
    member_id: int,
    amount: int,
    *,
    receipt: str | None = None,
    branch_id: int | None = None,
    group_id: int | None = None,
    staff_id: int | None = None,
    now: datetime | None = None,
    points_amount: int | None = None,
    message_params: dict[str, object] | None = None,
    lines: Sequence[tuple[int, int | None]] = (),
    paid: int | None = None,
) -> PurchaseResult:
    """Record a purchase and its points. The same (branch, receipt) twice awards once.

    With `lines` ((amount, group id) each, `amount` their sum, `group_id` unused) it is
    still one purchase with one ledger row; its points are `lines_points`.

    This is the busiest write of the club, so it reads each row once and its statements
    are hand-written (`models.queries.ledger`):
    - the member is read first, under its row lock (PostgreSQL), so the points follow
      the current tier and the tier window's sum counts every purchase committed before;
    - the unique (branch, receipt) index detects a repeated receipt instead of a look-up;
    - the balance UPDATE sets the last-purchase time and returns the balance, the tier
      and the tier window's sum;
    - on PostgreSQL the purchase, its entry, the balance and the member's message are one
      statement: each round trip costs the bot more than the database. Even the read runs
      inside the transaction: on PostgreSQL each read outside one takes a connection from
      the pool, which costs more than the read;
    - on SQLite concurrent purchases share a transaction and its commit
      (`loyalty.group_commit`).
    The rules, branches, groups and tiers come from the process's copy
    (`rules.club_config`), checked by a token read with the member.
    """
    check_positive(amount)
    if lines and sum(line for line, _ in lines) != amount:
        raise ValueError("the amount of a purchase with lines is the sum of its lines")
    sale = Sale(
        member_id,
        amount,
        (receipt or "").strip()[:64] or f"auto-{uuid.uuid4().hex}",
        branch_id,
        group_id,
        staff_id,
        now or utcnow(),
        points_amount,
        message_params,
        tuple(lines),
        paid,
    )
    result, _ = await ledger.once(
        partial(_record, sale), partial(_replay, sale), look_first=False, group_commit=True
    )
    return result


async def _replay(sale: Sale) -> PurchaseResult | None:
    """The purchase of this receipt recorded before, as it was answered then."""
    branch = (await current_config()).branch(sale.branch_id)
    earlier = await Purchase.get_or_none(branch_id=branch.id, receipt=sale.receipt)
    if earlier is None:
        return None
    fresh = await Member.get(id=earlier.member_id).prefetch_related("tier")
    return PurchaseResult(earlier, earlier.points, fresh.balance, fresh.tier, True)


async def _record(sale: Sale) -> PurchaseResult:
    member, config = await _member_and_config(sale.member_id)
    purchase = _priced(sale, member, config)
    rules = config.rules
    referral = member.referred_by_id is not None
    written = await ledger.post_purchase(
        purchase,
        expires_at=await credit_expiry(sale.now, rules) if purchase.points > 0 else None,
        tier_window=tiers.window(sale.member_id, sale.now, rules.tier_window_days),
        # The message tells the balance, so with a referral to pay it is written after it.
        message=None if referral else _earned_message(sale, purchase.points),
    )
    if member.agent_id is not None:  # type: ignore[attr-defined]
        # Read with the member row: a member no agent brought costs no query here.
        base = sale.amount if sale.paid is None else sale.paid
        await agents.accrue(member, written.purchase, base, rules, sale.now)
    balance = written.balance
    if referral:
        balance = await _after_referral(sale, member, rules, written, purchase.points)
    tier = await _tier_after(sale, config, written)
    return PurchaseResult(written.purchase, purchase.points, balance, tier, False)  # type: ignore[arg-type]


async def _member_and_config(member_id: int) -> tuple[Member, ClubConfig]:
    found = await members_sql.member_with_token(member_id)
    if found is None or found.member.deleted_at is not None:
        raise LoyaltyError(ErrorCode.MEMBER_NOT_FOUND, reference=str(member_id))
    return found.member, await club_config(found.config_token)


def _priced(sale: Sale, member: Member, config: ClubConfig) -> ledger.NewPurchase:
    """The sale checked against the club's rules, with its points."""
    branch = config.branch(sale.branch_id)
    group = config.group(sale.group_id)
    check_amount(sale.amount, config.rules)
    minimum = earning_rule(config.rules, branch, member).min_purchase
    if sale.amount < minimum:
        raise LoyaltyError(ErrorCode.BELOW_MINIMUM, amount=sale.amount, minimum=minimum)
    if sale.lines:
        return _priced_lines(sale, member, config, branch)
    return ledger.NewPurchase(
        member_id=sale.member_id,
        branch_id=branch.id,
        receipt=sale.receipt,
        amount=sale.amount,
        group_id=group.id if group else None,
        points=purchase_points(
            sale.amount if sale.points_amount is None else sale.points_amount,
            member,
            config,
            branch,
            group,
            sale.now,
        ),
        staff_id=sale.staff_id,
        note=festivals.ledger_note(purchase_festival(member, config, branch, group, sale.now)),
        created_at=sale.now,
    )


def lines_points(
    lines: Sequence[tuple[int, int | None]],
    member: Member,
    config: ClubConfig,
    branch: Branch,
    now: datetime,
) -> dict[int | None, int]:
    """The points of a receipt's lines, per product group (None: no group).

    The lines of one group are summed first and earn by `purchase_points` at that group's
    multiplier (and festival), so a receipt without groups earns exactly what its total
    would, and rounding down costs at most a point per group. The minimum purchase is the
    whole receipt's (checked by the caller), not each group's: a 5,000 toman line beside
    a 50,000 one still earns.
    """
    subtotals: dict[int | None, int] = {}
    for amount, group_id in lines:
        subtotals[group_id] = subtotals.get(group_id, 0) + amount
    whole = copy.copy(branch)
    whole.min_purchase = 0
    return {
        group_id: purchase_points(amount, member, config, whole, config.group(group_id), now)
        for group_id, amount in subtotals.items()
    }


def _priced_lines(
    sale: Sale, member: Member, config: ClubConfig, branch: Branch
) -> ledger.NewPurchase:
    lines = sale.lines
    if sale.points_amount is not None and sale.amount > 0 and sale.points_amount != sale.amount:
        # Points on what is paid: each line bears the discount in proportion to its amount.
        lines = tuple(
            (amount * sale.points_amount // sale.amount, group) for amount, group in lines
        )
    points = lines_points(lines, member, config, branch, sale.now)
    # One group for the whole receipt is recorded as such; mixed groups as none.
    groups = list(points)
    notes = dict.fromkeys(
        festivals.ledger_note(
            purchase_festival(member, config, branch, config.group(group_id), sale.now)
        )
        for group_id in groups
    )
    return ledger.NewPurchase(
        member_id=sale.member_id,
        branch_id=branch.id,
        receipt=sale.receipt,
        amount=sale.amount,
        group_id=groups[0] if len(groups) == 1 else None,
        points=sum(points.values()),
        staff_id=sale.staff_id,
        note=", ".join(note for note in notes if note),
        created_at=sale.now,
    )


def _earned_message(sale: Sale, points: int) -> dict[str, object]:
    """The member's "points earned" message, its key a prefix the purchase's id completes."""
    values = notify.message_values(
        sale.member_id,
        "points_earned",
        now=sale.now,
        params={**(sale.message_params or {}), "points": points, "amount": sale.amount},
    )
    return {**values, "key": "earned:"}


async def _after_referral(
    sale: Sale, member: Member, rules: ClubRules, written: PurchaseRows, points: int
) -> int:
    """Pay the invitation on the member's first purchase, then queue the message that tells
    the balance; the balance after."""
    balance = written.balance
    if await _first_purchase(sale.member_id, written.purchase.id):
        await _pay_referral(member, rules, sale.now)
        balance = await ledger.balance_of(sale.member_id)
    await notify.enqueue(
        sale.member_id,
        "points_earned",
        f"earned:{written.purchase.id}",
        now=sale.now,
        params={
            **(sale.message_params or {}),
            "points": points,
            "balance": balance,
            "amount": sale.amount,
        },
        new_key=True,
    )
    return balance


async def _tier_after(sale: Sale, config: ClubConfig, written: PurchaseRows) -> Tier | None:
    """The member's tier after the purchase: a higher one if its points reached it."""
    tier_id = written.tier_id
    change = await tiers.review(
        sale.member_id,
        sale.now,
        allow_downgrade=False,
        current_tier_id=tier_id,
        tier_list=config.tiers,
        points=written.qualifying,
    )
    if change is not None:
        tier_id = change.to_tier_id
    return next((tier for tier in config.tiers if tier.id == tier_id), None)


async def _first_purchase(member_id: int, purchase_id: int) -> bool:
    return not await Purchase.filter(member_id=member_id, id__lt=purchase_id).exists()


async def _pay_referral(member: Member, rules: ClubRules, now: datetime) -> None:
    """Both sides of an invitation are rewarded after the new member's first purchase."""
    member_id = member.id
    if member.referred_by_id is None or member.referred_by_id == member_id:
        return
    expires_at = await credit_expiry(now, rules)
    if rules.referral_bonus_referred > 0:
        await ledger.post(
            member_id,
            EntryKind.BONUS,
            rules.referral_bonus_referred,
            "referral_joined",
            f"referral:referred:{member_id}",
            now=now,
            expires_at=expires_at,
        )
    if rules.referral_bonus_referrer > 0:
        await ledger.post(
            member.referred_by_id,
            EntryKind.BONUS,
            rules.referral_bonus_referrer,
            "referral_invited",
            f"referral:referrer:{member_id}",
            now=now,
            expires_at=expires_at,
        )
        await notify.enqueue(
            member.referred_by_id,
            "referral_rewarded",
            f"referral:notify:{member_id}",
            now=now,
            params={"points": rules.referral_bonus_referrer},
        )


async def refund_purchase(
    receipt: str,
    amount: int | None = None,
    *,
    branch_id: int | None = None,
    staff_id: int | None = None,
    key: str | None = None,
    now: datetime | None = None,
) -> RefundResult:
    """Take back the points of a refunded purchase, in proportion to the amount refunded.

    The points reversed so far are always floor(points × refunded / amount), computed on the
    running total, so several partial refunds never take back more than a full one. The
    balance may go negative; redeeming is then blocked until it is positive again.
    """
    now = now or utcnow()
    # A named branch may be closed since: its purchases can still be refunded.
    if branch_id is None:
        branch_id = (await current_config()).branch(None).id
    purchase = await Purchase.get_or_none(branch_id=branch_id, receipt=(receipt or "").strip())
    if purchase is None:
        raise LoyaltyError(ErrorCode.PURCHASE_NOT_FOUND, receipt=receipt)

    async def replay() -> RefundResult | None:
        entry = await LedgerEntry.get_or_none(idempotency_key=key)
        if entry is None:
            return None
        fresh = await Purchase.get(id=purchase.id)
        return RefundResult(
            fresh, -entry.amount, await ledger.balance_of(purchase.member_id), replayed=True
        )

    # A request repeated after it went through is answered as before, not checked again
    # against what it already took back.
    if key is not None and (earlier := await replay()) is not None:
        return earlier
    left = purchase.amount - purchase.refunded_amount
    if left <= 0:
        raise LoyaltyError(ErrorCode.ALREADY_REFUNDED, receipt=receipt)
    amount = left if amount is None else amount
    check_positive(amount)
    if amount > left:
        raise LoyaltyError(ErrorCode.REFUND_TOO_LARGE, amount=amount, left=left)
    key = key or f"refund:{purchase.id}:{purchase.refunded_amount}:{amount}"

    async def record() -> RefundResult:
        # The conditional update makes two concurrent refunds of the last amount refund once.
        updated = await Purchase.filter(
            id=purchase.id, refunded_amount=purchase.refunded_amount
        ).update(refunded_amount=F("refunded_amount") + amount)
        if updated == 0:
            raise LoyaltyError(ErrorCode.ALREADY_REFUNDED, receipt=receipt)
        refunded = purchase.refunded_amount + amount
        target = purchase.points * refunded // purchase.amount
        points = target - purchase.refunded_points
        await Purchase.filter(id=purchase.id).update(refunded_points=target)
        if refunded == purchase.amount:  # refunded in full: its promo code's use goes back
            await _give_back_promo(purchase, staff_id=staff_id, now=now)
        credit = await _purchase_credit(purchase.id)
        posted = await ledger.post(
            purchase.member_id,
            EntryKind.REFUND,
            -points,
            "refund",
            key,
            now=now,
            staff_id=staff_id,
            branch_id=branch_id,
            purchase_id=purchase.id,
            reverses_id=credit.id if credit else None,
            expires_at=credit.expires_at if credit else None,
        )
        # After the member's row (locked by the post), as a purchase takes them: the member,
        # then the agent; a refund and a purchase of one member at once never deadlock.
        await agents.reverse(purchase, purchase.refunded_amount, refunded, key, now)
        if points:  # a refund too small to take a point back changes nothing to tell
            await notify.enqueue(
                purchase.member_id,
                "points_refunded",
                f"refunded:{posted.entry.id}",
                now=now,
                params={"points": points, "amount": amount, "balance": posted.balance},
                new_key=True,
            )
        fresh = await Purchase.get(id=purchase.id)
        return RefundResult(fresh, points, posted.balance)

    result, _ = await ledger.once(record, replay)
    return result


async def _give_back_promo(purchase: Purchase, *, staff_id: int | None, now: datetime) -> None:
    """The code's use given back, and its bonus points taken back as /undo would (the same
    key: never twice)."""
    use = await promos.give_back(purchase.id, now=now)
    if use is None or use.points <= 0:
        return
    bonus = await LedgerEntry.get_or_none(idempotency_key=f"promo:{use.id}")
    if bonus is None or await LedgerEntry.exists(reverses_id=bonus.id, kind=EntryKind.REVERSE):
        return
    await ledger.post(
        purchase.member_id,  # type: ignore[attr-defined]
        EntryKind.REVERSE,
        -bonus.amount,
        "reverse",
        f"reverse:{bonus.id}",
        now=now,
        staff_id=staff_id,
        branch_id=purchase.branch_id,  # type: ignore[attr-defined]
        reverses_id=bonus.id,
        expires_at=bonus.expires_at,
    )


async def receipt_branches(receipt: str) -> list[int]:
    """The branches where a purchase with this receipt number was recorded."""
    rows = Purchase.filter(receipt=(receipt or "").strip()).order_by("branch_id")
    return list(dict.fromkeys(await rows.values_list("branch_id", flat=True)))


async def _purchase_credit(purchase_id: int) -> LedgerEntry | None:
    return await LedgerEntry.get_or_none(purchase_id=purchase_id, kind=EntryKind.EARN)


__all__ = [
    "EarningRule",
    "PurchaseResult",
    "RefundResult",
    "award_purchase",
    "check_amount",
    "check_positive",
    "earning_rule",
    "group_by_reference",
    "lines_points",
    "points_for",
    "purchase_festival",
    "purchase_points",
    "receipt_branches",
    "refund_purchase",
    "tier_of",
]
