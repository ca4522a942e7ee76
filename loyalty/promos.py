"""Promo codes: checked against a purchase, then claimed with it, once per purchase.

A claim is one conditional UPDATE of the code's counters (`uses < max_uses`), so however
many tills use a code at once, no more than its total uses pass: on PostgreSQL the row
lock holds the others until the first commits, on SQLite the writer's lock does. The
per-member count is read after that UPDATE, under the same lock, so it is exact too.
Call `claim` inside the purchase's transaction: a purchase refused later takes the use
back with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from loyalty import discounts
from loyalty.errors import ErrorCode, LoyaltyError
from models import PromoCode, PromoUse, Tier

KINDS = ("percent", "amount", "points")


@dataclass(frozen=True)
class PromoEffect:
    promo: PromoCode
    discount: int  # off the amount payable
    points: int  # bonus points


def normal(code: str) -> str:
    return (code or "").strip().upper()


async def find(code: str) -> PromoCode:
    promo = await PromoCode.get_or_none(code=normal(code), active=True)
    if promo is None:
        raise LoyaltyError(ErrorCode.PROMO_NOT_FOUND, code=code)
    return promo


def effect(
    promo: PromoCode,
    *,
    gross: int,
    payable: int,
    tier: Tier | None,
    tiers: list[Tier],
    branch_id: int,
    group_id: int | None,
    today: date,
) -> PromoEffect:
    """What the code gives this purchase, or why it is refused (its counters aside)."""
    code = promo.code
    if promo.starts is not None and today < promo.starts:
        raise LoyaltyError(ErrorCode.PROMO_NOT_STARTED, code=code, starts=promo.starts)
    if promo.ends is not None and today > promo.ends:
        raise LoyaltyError(ErrorCode.PROMO_EXPIRED, code=code, ends=promo.ends)
    if promo.max_uses is not None and promo.uses >= promo.max_uses:
        raise LoyaltyError(ErrorCode.PROMO_USED_UP, code=code)
    if gross < promo.min_purchase:
        raise LoyaltyError(ErrorCode.PROMO_BELOW_MINIMUM, code=code, minimum=promo.min_purchase)
    if promo.branch_id is not None and promo.branch_id != branch_id:  # type: ignore[attr-defined]
        raise LoyaltyError(ErrorCode.PROMO_OTHER_BRANCH, code=code)
    if promo.group_id is not None and promo.group_id != group_id:  # type: ignore[attr-defined]
        raise LoyaltyError(ErrorCode.PROMO_OTHER_GROUP, code=code)
    if promo.tier_id is not None:  # type: ignore[attr-defined]
        needed = next((t for t in tiers if t.id == promo.tier_id), None)  # type: ignore[attr-defined]
        if needed is not None and (tier is None or tier.threshold < needed.threshold):
            raise LoyaltyError(ErrorCode.PROMO_TIER, code=code, tier=needed.code)
    value = Decimal(promo.value)
    if promo.kind == "percent":
        return PromoEffect(promo, discounts.off(payable, value), 0)
    if promo.kind == "amount":
        return PromoEffect(promo, min(payable, int(value)), 0)
    return PromoEffect(promo, 0, int(value))


async def claim(
    promo: PromoCode,
    member_id: int,
    *,
    branch_id: int,
    receipt: str,
    gross: int,
    result: PromoEffect,
    now: datetime,
) -> PromoUse:
    """Count one use of the code for this purchase; refused when its uses, or the member's,
    are used up, or when this purchase already used a code."""
    async with in_transaction():
        counted = PromoCode.filter(id=promo.id)
        if promo.max_uses is not None:
            counted = counted.filter(uses__lt=promo.max_uses)
        taken = await counted.update(
            uses=F("uses") + 1,
            discount_total=F("discount_total") + result.discount,
            sales_total=F("sales_total") + (gross - result.discount),
            bonus_total=F("bonus_total") + result.points,
        )
        if taken == 0:
            raise LoyaltyError(ErrorCode.PROMO_USED_UP, code=promo.code)
        if promo.max_per_member is not None:
            mine = await PromoUse.filter(promo_id=promo.id, member_id=member_id).count()
            if mine >= promo.max_per_member:
                raise LoyaltyError(ErrorCode.PROMO_MEMBER_LIMIT, code=promo.code)
        try:
            return await PromoUse.create(
                promo_id=promo.id,
                member_id=member_id,
                branch_id=branch_id,
                receipt=receipt,
                gross=gross,
                discount=result.discount,
                points=result.points,
                created_at=now,
            )
        except IntegrityError:
            raise LoyaltyError(ErrorCode.PROMO_ONCE_PER_PURCHASE, code=promo.code) from None


__all__ = ["KINDS", "PromoEffect", "claim", "effect", "find", "normal"]
