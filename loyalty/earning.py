"""Points for purchases, and taking them back for refunds."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_FLOOR, Decimal

from tortoise.expressions import F

from loyalty import ledger, notify, tiers
from loyalty.clock import utcnow
from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.members import credit_expiry, settle_home_branch
from loyalty.rules import club_config, current_config
from models import (
    Branch,
    ClubRules,
    EntryKind,
    LedgerEntry,
    Member,
    Purchase,
    Tier,
)
from models import statements as sql

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


def check_positive(amount: int) -> None:
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise LoyaltyError(ErrorCode.INVALID_AMOUNT, amount=amount)


def check_amount(amount: int, rules: ClubRules) -> None:
    """A purchase's amount: above zero and at most the club's maximum purchase."""
    check_positive(amount)
    if amount > rules.max_purchase:
        raise LoyaltyError(ErrorCode.AMOUNT_TOO_LARGE, amount=amount, max=rules.max_purchase)


async def award_purchase(
    member_id: int,
    amount: int,
    *,
    receipt: str | None = None,
    branch_id: int | None = None,
    group_id: int | None = None,
    staff_id: int | None = None,
    now: datetime | None = None,
) -> PurchaseResult:
    """Record a purchase and its points. The same (branch, receipt) twice awards once.

    This is the busiest write of the club, so it reads each row once and its statements
    are hand-written (`models.statements`):
    - the member is read first, under its row lock (PostgreSQL), so the points follow
      the current tier and the tier window's sum counts every purchase committed before;
    - the unique (branch, receipt) index detects a repeated receipt instead of a look-up;
    - the balance UPDATE sets the last-purchase time and returns the balance, the tier
      and the tier window's sum;
    - on PostgreSQL the purchase, its entry, the balance and the member's message are one
      statement (`statements.write_purchase`): each round trip costs the bot more than
      the database. Even the read runs inside the transaction: on PostgreSQL each read
      outside one takes a connection from the pool, which costs more than the read;
    - on SQLite concurrent purchases share a transaction and its commit
      (`loyalty.group_commit`).
    The rules, branches, groups and tiers come from the process's copy
    (`rules.club_config`), checked by a token read with the member.
    """
    now = now or utcnow()
    check_positive(amount)
    receipt = (receipt or "").strip()[:64] or f"auto-{uuid.uuid4().hex}"
    branch: Branch | None = None  # found by record(); a replay follows a record()

    async def replay() -> PurchaseResult | None:
        assert branch is not None
        earlier = await Purchase.get_or_none(branch_id=branch.id, receipt=receipt)
        if earlier is None:
            return None
        fresh = await Member.get(id=earlier.member_id).prefetch_related("tier")
        return PurchaseResult(earlier, earlier.points, fresh.balance, fresh.tier, True)

    async def record() -> PurchaseResult:
        nonlocal branch
        member, token = await _member_and_config_token(member_id)
        config = await club_config(token)
        branch = config.branch(branch_id)
        group = config.group(group_id)
        rules = config.rules
        check_amount(amount, rules)
        rule = earning_rule(rules, branch, member)
        if amount < rule.min_purchase:
            raise LoyaltyError(ErrorCode.BELOW_MINIMUM, amount=amount, minimum=rule.min_purchase)
        tier_list = config.tiers
        tier = next((t for t in tier_list if t.id == member.tier_id), None)
        points = points_for(
            amount,
            rule,
            group.multiplier if group else Decimal(1),
            tier.multiplier if tier else Decimal(1),
        )
        # The message tells the balance, so with a referral to pay it is written after it.
        referral = member.referred_by_id is not None
        message = (
            None
            if referral
            else {
                **notify.message_values(
                    member_id, "points_earned", now=now, params={"points": points, "amount": amount}
                ),
                "key": "earned:",
            }
        )
        written = await ledger.post_purchase(
            {
                "branch_id": branch.id,
                "receipt": receipt,
                "member_id": member_id,
                "amount": amount,
                "product_group_id": group.id if group else None,
                "points": points,
                "staff_id": staff_id,
                "created_at": now,
            },
            points,
            now=now,
            expires_at=await credit_expiry(now, rules) if points > 0 else None,
            tier_window=tiers.window_params(member_id, now, rules.tier_window_days),
            message=message,
        )
        purchase, balance, tier_id = written.purchase, written.balance, written.tier_id
        await settle_home_branch(member, branch.id)
        if referral:
            if await _first_purchase(member_id, purchase.id):
                await _pay_referral(member, rules, now)
                balance = await ledger.balance_of(member_id)
            await notify.enqueue(
                member_id,
                "points_earned",
                f"earned:{purchase.id}",
                now=now,
                params={"points": points, "balance": balance, "amount": amount},
                new_key=True,
            )
        change = await tiers.review(
            member_id,
            now,
            allow_downgrade=False,
            current_tier_id=tier_id,
            tier_list=tier_list,
            points=written.qualifying,
        )
        if change is not None:
            tier_id = change.to_tier_id
        current = next((t for t in tier_list if t.id == tier_id), None)
        return PurchaseResult(purchase, points, balance, current, False)  # type: ignore[arg-type]

    result, _ = await ledger.once(record, replay, look_first=False, group_commit=True)
    return result


async def _member_and_config_token(member_id: int) -> tuple[Member, str | None]:
    rows = await sql.member_and_config_token.rows(member_id)
    if not rows or rows[0]["deleted_at"] is not None:
        raise LoyaltyError(ErrorCode.MEMBER_NOT_FOUND, reference=str(member_id))
    return sql.member_and_token(rows[0])


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
    branch = (await current_config()).branch(branch_id)
    purchase = await Purchase.get_or_none(branch_id=branch.id, receipt=(receipt or "").strip())
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
        credit = await _purchase_credit(purchase.id)
        await ledger.post(
            purchase.member_id,
            EntryKind.REFUND,
            -points,
            "refund",
            key,
            now=now,
            staff_id=staff_id,
            branch_id=branch.id,
            purchase_id=purchase.id,
            reverses_id=credit.id if credit else None,
            expires_at=credit.expires_at if credit else None,
        )
        fresh = await Purchase.get(id=purchase.id)
        return RefundResult(fresh, points, await ledger.balance_of(purchase.member_id))

    result, _ = await ledger.once(record, replay)
    return result


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
    "points_for",
    "refund_purchase",
]
