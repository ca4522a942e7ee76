"""At the till, around a purchase: its discounts from the owner's rules, the amount its
points are earned on, and the instant offer the member hears right after it.

The arithmetic is `loyalty.discounts`; this module reads the rules it needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from tortoise.transactions import in_transaction

from loyalty import discounts, earning, ledger, promos, rewards, tiers
from loyalty.discounts import Priced
from loyalty.earning import purchase_points, tier_of
from loyalty.rules import ClubConfig, current_config
from models import EntryKind, Member
from models.queries import staff as staff_sql


@dataclass(frozen=True)
class Offer:
    """After a purchase: the best reward the balance now affords, else how far the next
    tier is. Both None: nothing to offer (the top tier, and no reward within reach)."""

    reward: str | None = None
    reward_cost: int = 0
    next_tier: str | None = None  # the tier's code
    next_tier_name: str | None = None  # the owner's name for it, if any
    points_to_next: int = 0

    def params(self) -> dict[str, Any]:
        """As the member's message keeps it (JSON)."""
        if self.reward is not None:
            return {"offer_reward": self.reward, "offer_cost": self.reward_cost}
        if self.next_tier is not None:
            return {
                "offer_tier": self.next_tier,
                "offer_tier_name": self.next_tier_name,
                "offer_points": self.points_to_next,
            }
        return {}


@dataclass(frozen=True)
class Quote:
    """A purchase priced before it is recorded."""

    priced: Priced
    points_amount: int  # what its points are earned on: the paid amount or the gross
    points: int
    offer: Offer
    tier_code: str | None = None  # the member's tier, the reason of a tier discount
    tier_name: str | None = None
    group_name: str | None = None  # the product group, the reason of a group discount
    promo: promos.PromoEffect | None = None  # a promo code given with the purchase

    @property
    def discount(self) -> int:
        return self.priced.discount + (self.promo.discount if self.promo else 0)

    @property
    def payable(self) -> int:
        return self.priced.gross - self.discount

    def params(self) -> dict[str, Any]:
        """The member's message's figures (JSON): the discounts with their reasons."""
        lines = [
            {
                "kind": line.kind.value,
                "percent": str(line.percent),
                "amount": line.amount,
                "min_amount": line.min_amount,
                "group": self.group_name,
                "tier": self.tier_code,
                "tier_name": self.tier_name,
            }
            for line in self.priced.lines
        ]
        extra: dict[str, Any] = {}
        if self.promo is not None:
            extra = {"promo": self.promo.promo.code, "promo_bonus": self.promo.points}
            if self.promo.discount:
                lines.append({"kind": "promo", "amount": self.promo.discount, "percent": "0"})
        if not lines and not extra:
            return self.offer.params()
        return {"discounts": lines, "paid": self.payable, **extra, **self.offer.params()}


def _price(
    member: Member,
    gross: int,
    branch_id: int,
    group_id: int | None,
    rules: list[discounts.Rule],
    config: ClubConfig,
    today: Any,
) -> Priced:
    tier = tier_of(member, config)
    return discounts.price(
        gross,
        rules,
        tier_percent=tier.discount_percent if tier else 0,
        group_id=group_id,
        branch_id=branch_id,
        today=today,
        stacked=config.rules.discount_stacking,
    )


async def quote(
    member: Member,
    gross: int,
    *,
    branch_id: int,
    group_id: int | None = None,
    now: datetime,
    tz: ZoneInfo,
    promo_code: str | None = None,
    config: ClubConfig | None = None,
) -> Quote:
    """The purchase's discounts, the amount its points are earned on and those points, and
    the offer after it (the balance and tier points as they will be once it is recorded).
    `config`: the set-up, if the caller has read it."""
    config = config or await current_config()
    branch = config.branch(branch_id)
    priced = _price(
        member, gross, branch.id, group_id, config.discount_rules, config, now.astimezone(tz).date()
    )
    promo = None
    if promo_code:
        promo = promos.effect(
            await promos.find(promo_code),
            gross=gross,
            payable=priced.payable,
            tier=tier_of(member, config),
            tiers=config.tiers,
            branch_id=branch.id,
            group_id=group_id,
            today=now.astimezone(tz).date(),
            member_id=member.id,
        )
    payable = priced.payable - (promo.discount if promo else 0)
    base = payable if config.rules.points_on_paid else gross
    # The same rule as the purchase's own: an amount below the minimum earns nothing.
    points = purchase_points(base, member, config, branch, config.group(group_id), now)
    offer = await instant_offer(member, member.balance + points, points, now=now, config=config)
    tier, group = tier_of(member, config), config.group(group_id)
    return Quote(
        priced,
        base,
        points,
        offer,
        tier.code if tier else None,
        tier.name if tier else None,
        group.name if group else None,
        promo,
    )


async def instant_offer(
    member: Member, balance: int, earned: int, *, now: datetime, config: ClubConfig
) -> Offer:
    """The dearest reward `balance` affords, else the points to the next tier after
    `earned` more tier points."""
    offered = await rewards.catalog(now=now, config=config)
    # A copy: the member object stays as read.
    within = await rewards.affordable(
        Member(id=member.id, tier_id=member.tier_id, balance=balance),
        offered=offered,
        config=config,
    )
    if within:
        best = max(within, key=lambda reward: (reward.cost, -reward.id))
        return Offer(reward=best.name, reward_cost=best.cost)
    points = earned + await tiers.qualifying_points(member.id, now, config.rules.tier_window_days)
    reached = tiers.tier_for(points, config.tiers)
    held = tier_of(member, config)
    if held is not None and held.threshold > reached.threshold:
        reached = held
    higher = [tier for tier in config.tiers if tier.threshold > reached.threshold]
    if not higher:
        return Offer()
    return Offer(
        next_tier=higher[0].code,
        next_tier_name=higher[0].name,
        points_to_next=higher[0].threshold - points,
    )


__all__ = ["Offer", "Quote", "instant_offer", "quote"]


@dataclass(frozen=True)
class Sale:
    """A purchase recorded at the till, and how it was priced."""

    result: earning.PurchaseResult
    quote: Quote


async def record_purchase(
    member: Member,
    amount: int,
    *,
    receipt: str | None,
    branch_id: int,
    now: datetime,
    tz: ZoneInfo,
    group_id: int | None = None,
    lines: Sequence[tuple[int, int | None]] = (),
    promo_code: str | None = None,
    staff_id: int | None = None,
    config: ClubConfig | None = None,
) -> Sale:
    """Price a purchase (discounts, a promo code), record it with its points on what the
    rules say they are earned on, and claim the code's use in the same transaction: a
    refused code refuses the purchase, and a purchase sent again counts its code once.
    Every door that records purchases at a till comes here. `config`: the set-up, if the
    caller has read it (in its transaction)."""
    config = config or await current_config()
    earning.check_amount(amount, config.rules)
    if promo_code and receipt and await staff_sql.receipt_recorded.rows(branch_id, receipt):
        promo_code = None  # the purchase again: its code was counted the first time
    groups = {group for _, group in lines}
    priced_group = group_id if not lines else (groups.pop() if len(groups) == 1 else None)
    priced = await quote(
        member,
        amount,
        branch_id=branch_id,
        group_id=priced_group,
        now=now,
        tz=tz,
        promo_code=promo_code,
        config=config,
    )
    # The purchase alone is one transaction of its own (award_purchase's); with a code, the
    # code's use joins it, so that a refused code refuses the purchase.
    async with in_transaction() if priced.promo is not None else nullcontext():
        result = await earning.award_purchase(
            member.id,
            amount,
            receipt=receipt,
            branch_id=branch_id,
            group_id=group_id,
            lines=lines,
            staff_id=staff_id,
            now=now,
            points_amount=priced.points_amount,
            message_params=priced.params(),
            paid=priced.payable,
        )
        if priced.promo is not None and not result.replayed:
            await _use_promo(priced.promo, result, staff_id, now)
            result = replace(result, balance=result.balance + priced.promo.points)
    if result.replayed:
        # Recorded before (a message delivered again): the offer as the purchase left it.
        priced = replace(
            priced, offer=await instant_offer(member, result.balance, 0, now=now, config=config)
        )
    return Sale(result, priced)


async def _use_promo(
    effect: promos.PromoEffect,
    result: earning.PurchaseResult,
    staff_id: int | None,
    now: datetime,
) -> None:
    """Count the code's use for the purchase just written, and post its bonus points."""
    purchase = result.purchase
    use = await promos.claim(
        effect.promo,
        purchase.member_id,  # type: ignore[attr-defined]
        branch_id=purchase.branch_id,  # type: ignore[attr-defined]
        receipt=purchase.receipt,
        gross=purchase.amount,
        result=effect,
        now=now,
    )
    if effect.points > 0:
        await ledger.post(
            purchase.member_id,  # type: ignore[attr-defined]
            EntryKind.BONUS,
            effect.points,
            "promo",
            f"promo:{use.id}",
            now=now,
            note=effect.promo.code,
            staff_id=staff_id,
            branch_id=purchase.branch_id,  # type: ignore[attr-defined]
        )
