"""Promo codes: checked against a purchase, then claimed with it, once per purchase.

A claim is one conditional UPDATE of the code's counters (`uses < max_uses`), so however
many tills use a code at once, no more than its total uses pass: on PostgreSQL the row
lock holds the others until the first commits, on SQLite the writer's lock does. The
per-member count is read after that UPDATE, under the same lock, so it is exact too.
Call `claim` inside the purchase's transaction: a purchase refused later takes the use
back with it.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.functions import Count, Sum
from tortoise.transactions import in_transaction

from loyalty import codes, discounts
from loyalty.errors import ErrorCode, LoyaltyError
from models import PromoBatch, PromoCode, PromoUse, Purchase, Tier

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
    member_id: int | None = None,
) -> PromoEffect:
    """What the code gives this purchase, or why it is refused (its counters aside)."""
    code = promo.code
    if promo.member_id is not None and promo.member_id != member_id:  # type: ignore[attr-defined]
        raise LoyaltyError(ErrorCode.PROMO_NOT_YOURS, code=code)
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
            mine = await PromoUse.filter(
                promo_id=promo.id, member_id=member_id, returned_at=None
            ).count()
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


async def give_back(purchase_id: int, *, now: datetime) -> PromoUse | None:
    """The code's use by this purchase, given back (its purchase refunded in full): the
    code's uses and figures no longer count it, and the member may use it again. Once: the
    conditional UPDATE lets one of two concurrent refunds through. Call inside the refund's
    transaction. None: the purchase used no code, or gave it back before."""
    purchase = await Purchase.get(id=purchase_id)
    use = await PromoUse.get_or_none(
        branch_id=purchase.branch_id,  # type: ignore[attr-defined]
        receipt=purchase.receipt,
        returned_at=None,
    )
    if use is None:
        return None
    if not await PromoUse.filter(id=use.id, returned_at=None).update(returned_at=now):
        return None
    await PromoCode.filter(id=use.promo_id).update(  # type: ignore[attr-defined]
        uses=F("uses") - 1,
        discount_total=F("discount_total") - use.discount,
        sales_total=F("sales_total") - (use.gross - use.discount),
        bonus_total=F("bonus_total") - use.points,
    )
    return use


# A batch's codes: PREFIX-XXXXXXXXXX, ten characters of the voucher alphabet (50 bits) drawn
# from an HMAC of the member's id under the batch's own random secret: beyond guessing, and
# the same member always gets the same code, however often the campaign is sent again.
BATCH_BODY = 10
MAX_PREFIX = 12


def batch_code(batch: PromoBatch, member_id: int) -> str:
    digest = hmac.new(batch.secret.encode(), str(member_id).encode(), hashlib.sha256).digest()
    number = int.from_bytes(digest, "big")
    body = ""
    for _ in range(BATCH_BODY):
        number, index = divmod(number, len(codes.VOUCHER_ALPHABET))
        body += codes.VOUCHER_ALPHABET[index]
    return f"{batch.prefix}-{body}"


async def batch_codes(
    batch: PromoBatch, member_ids: Sequence[int], *, now: datetime
) -> dict[int, str]:
    """Each member's code of the batch, made for those who have none yet: one multi-row
    INSERT per chunk, its conflicts (made before, or by a run at the same time) left alone."""
    found = {member_id: batch_code(batch, member_id) for member_id in member_ids}
    for start in range(0, len(member_ids), 500):
        part = member_ids[start : start + 500]
        there = set(
            await PromoCode.filter(batch_id=batch.id, member_id__in=part).values_list(
                "member_id", flat=True
            )
        )
        rows = [
            PromoCode(
                code=found[member_id],
                kind=batch.kind,
                value=batch.value,
                starts=batch.starts,
                ends=batch.ends,
                min_purchase=batch.min_purchase,
                tier_id=batch.tier_id,  # type: ignore[attr-defined]
                branch_id=batch.branch_id,  # type: ignore[attr-defined]
                group_id=batch.group_id,  # type: ignore[attr-defined]
                max_uses=1,
                max_per_member=1,
                active=batch.active,
                batch_id=batch.id,
                member_id=member_id,
                created_at=now,
            )
            for member_id in part
            if member_id not in there
        ]
        if rows:
            await PromoCode.bulk_create(rows, ignore_conflicts=True)
    return found


@dataclass(frozen=True)
class BatchFigures:
    batch: PromoBatch
    given: int  # codes made (one per recipient)
    used: int
    discount: int
    sales: int
    bonus: int


async def batch_figures(batches: Sequence[PromoBatch]) -> list[BatchFigures]:
    """Each batch's figures, summed over its codes by the database."""
    if not batches:
        return []
    rows = (
        await PromoCode.filter(batch_id__in=[b.id for b in batches])
        .annotate(
            given=Count("id"),
            used=Sum("uses"),
            discount=Sum("discount_total"),
            sales=Sum("sales_total"),
            bonus=Sum("bonus_total"),
        )
        .group_by("batch_id")
        .values_list("batch_id", "given", "used", "discount", "sales", "bonus")
    )
    by_batch = {row[0]: [int(v or 0) for v in row[1:]] for row in rows}
    return [BatchFigures(b, *by_batch.get(b.id, [0, 0, 0, 0, 0])) for b in batches]


__all__ = [
    "KINDS",
    "BatchFigures",
    "PromoEffect",
    "batch_code",
    "batch_codes",
    "batch_figures",
    "claim",
    "effect",
    "find",
    "give_back",
    "normal",
]
