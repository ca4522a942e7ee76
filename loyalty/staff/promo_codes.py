"""The owner's promo codes: made with their limits, listed with their figures, withdrawn.
Bad input is refused before anything is written; every change is audited."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from tortoise.exceptions import IntegrityError

from loyalty import audit, discounts, promos
from loyalty.campaigns import CODE
from loyalty.clock import utcnow
from loyalty.earning import MAX_AMOUNT
from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.numbers import INT_MAX
from loyalty.rules import open_branch
from loyalty.staff.permissions import Action, require
from models import Campaign, ProductGroup, PromoBatch, PromoCode, Staff, Tier


@dataclass(frozen=True)
class PromoSpec:
    code: str
    kind: str  # promos.KINDS
    value: Decimal
    starts: date | None = None
    ends: date | None = None
    min_purchase: int = 0
    tier: str | None = None  # a tier's code
    branch_id: int | None = None
    group_id: int | None = None
    max_uses: int | None = None
    max_per_member: int | None = None


def _check(spec: PromoSpec) -> None:
    code = promos.normal(spec.code)
    if not code or len(code) > 32 or not code.replace("-", "").replace("_", "").isalnum():
        raise LoyaltyError(ErrorCode.INVALID_VALUE, key="code", value=spec.code)
    if spec.kind == "percent":
        try:
            discounts.check_percent(spec.value)
        except ValueError:
            raise LoyaltyError(ErrorCode.INVALID_PERCENT, percent=spec.value) from None
    elif spec.kind not in promos.KINDS or not 0 < spec.value <= MAX_AMOUNT:
        raise LoyaltyError(ErrorCode.INVALID_AMOUNT, amount=spec.value)
    if spec.kind != "percent" and spec.value != spec.value.to_integral_value():
        raise LoyaltyError(ErrorCode.INVALID_AMOUNT, amount=spec.value)
    if spec.starts and spec.ends and spec.ends < spec.starts:
        raise LoyaltyError(ErrorCode.INVALID_DATE_RANGE, starts=spec.starts, ends=spec.ends)
    if not 0 <= spec.min_purchase <= MAX_AMOUNT:
        raise LoyaltyError(ErrorCode.INVALID_AMOUNT, amount=spec.min_purchase)
    for count in (spec.max_uses, spec.max_per_member):
        if count is not None and not 1 <= count <= INT_MAX:
            raise LoyaltyError(ErrorCode.INVALID_AMOUNT, amount=count)


async def _tier(spec: PromoSpec) -> Tier | None:
    if spec.tier is None:
        return None
    tier = await Tier.get_or_none(code=spec.tier.lower())
    if tier is None:
        raise LoyaltyError(ErrorCode.INVALID_VALUE, key="tier", value=spec.tier)
    return tier


async def _places(spec: PromoSpec) -> None:
    if spec.group_id is not None and not await ProductGroup.exists(id=spec.group_id):
        raise LoyaltyError(ErrorCode.GROUP_NOT_FOUND, group=spec.group_id)
    if spec.branch_id is not None:
        await open_branch(spec.branch_id)


async def add_promo(staff: Staff, spec: PromoSpec, *, now: datetime | None = None) -> PromoCode:
    now = now or utcnow()
    require(staff, Action.PROMOS)
    _check(spec)
    tier = await _tier(spec)
    await _places(spec)
    code = promos.normal(spec.code)
    if await PromoCode.exists(code=code) or await PromoBatch.exists(prefix=code):
        raise LoyaltyError(ErrorCode.INVALID_VALUE, key="code", value=code)
    promo = await PromoCode.create(
        code=code,
        kind=spec.kind,
        value=spec.value,
        starts=spec.starts,
        ends=spec.ends,
        min_purchase=spec.min_purchase,
        tier=tier,
        branch_id=spec.branch_id,
        group_id=spec.group_id,
        max_uses=spec.max_uses,
        max_per_member=spec.max_per_member,
        created_at=now,
    )
    await audit.record(
        "promo_added", staff_id=staff.id, now=now, code=code, kind=spec.kind, value=str(spec.value)
    )
    return promo


async def withdraw(staff: Staff, code: str, *, now: datetime | None = None) -> PromoCode:
    now = now or utcnow()
    require(staff, Action.PROMOS)
    promo = await promos.find(code)
    await PromoCode.filter(id=promo.id).update(active=False)
    await audit.record("promo_withdrawn", staff_id=staff.id, now=now, code=promo.code)
    return promo


async def withdraw_batch(staff: Staff, prefix: str, *, now: datetime | None = None) -> PromoBatch:
    """Every code of the batch withdrawn, and none made for a campaign sent later."""
    now = now or utcnow()
    require(staff, Action.PROMOS)
    batch = await PromoBatch.get_or_none(prefix=promos.normal(prefix), active=True)
    if batch is None:
        raise LoyaltyError(ErrorCode.PROMO_NOT_FOUND, code=prefix)
    await PromoBatch.filter(id=batch.id).update(active=False)
    await PromoCode.filter(batch_id=batch.id).update(active=False)
    await audit.record("promo_withdrawn", staff_id=staff.id, now=now, code=batch.prefix)
    return batch


async def add_batch(
    staff: Staff, spec: PromoSpec, campaign_id: int, *, now: datetime | None = None
) -> PromoBatch:
    """A batch of unique codes for a campaign not started yet, whose text has {code}: each
    recipient gets their own code when it is sent, usable once and by them only. `spec.code`
    is the codes' prefix; its uses are one per code."""
    now = now or utcnow()
    require(staff, Action.PROMOS)
    prefix = promos.normal(spec.code)
    if len(prefix) > promos.MAX_PREFIX or not prefix.isalnum():
        raise LoyaltyError(ErrorCode.INVALID_VALUE, key="prefix", value=spec.code)
    _check(spec)
    tier = await _tier(spec)
    await _places(spec)
    campaign = await Campaign.get_or_none(id=campaign_id)
    if campaign is None:
        raise LoyaltyError(ErrorCode.CAMPAIGN_NOT_FOUND, campaign=campaign_id)
    if campaign.status not in ("draft", "scheduled"):
        raise LoyaltyError(ErrorCode.CAMPAIGN_STARTED, campaign=campaign_id)
    if CODE not in campaign.text:
        raise LoyaltyError(ErrorCode.CAMPAIGN_NO_CODE, campaign=campaign_id)
    if await PromoBatch.exists(campaign_id=campaign_id):
        raise LoyaltyError(ErrorCode.CAMPAIGN_HAS_BATCH, campaign=campaign_id)
    if await PromoBatch.exists(prefix=prefix) or await PromoCode.exists(code=prefix):
        raise LoyaltyError(ErrorCode.INVALID_VALUE, key="prefix", value=prefix)
    try:
        batch = await PromoBatch.create(
            prefix=prefix,
            campaign_id=campaign_id,
            secret=secrets.token_hex(32),
            kind=spec.kind,
            value=spec.value,
            starts=spec.starts,
            ends=spec.ends,
            min_purchase=spec.min_purchase,
            tier=tier,
            branch_id=spec.branch_id,
            group_id=spec.group_id,
            created_at=now,
        )
    except IntegrityError:  # the same batch or campaign at the same moment, by another press
        raise LoyaltyError(ErrorCode.CAMPAIGN_HAS_BATCH, campaign=campaign_id) from None
    await audit.record(
        "promo_batch_added",
        staff_id=staff.id,
        now=now,
        code=prefix,
        campaign=campaign_id,
        kind=spec.kind,
        value=str(spec.value),
    )
    return batch


async def promo_list(staff: Staff) -> list[PromoCode]:
    """Every code not of a batch, newest first, with its figures."""
    require(staff, Action.PROMOS)
    return await PromoCode.filter(batch_id=None).order_by("-id")


async def batch_list(staff: Staff) -> list[promos.BatchFigures]:
    """Every batch, newest first, with its figures."""
    require(staff, Action.PROMOS)
    return await promos.batch_figures(await PromoBatch.all().order_by("-id"))
