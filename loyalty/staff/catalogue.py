"""The reward catalogue: the quick form and the full one, withdrawing, what a manager may change.

A manager of one branch adds rewards for that branch and changes only those.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from tortoise.exceptions import IntegrityError

from loyalty import audit
from loyalty.clock import utcnow
from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.reward_values import VALUE_RANGE
from loyalty.staff.access import check_branch_scope, own_branch
from loyalty.staff.limits import LIMITS, in_range
from loyalty.staff.permissions import Action, require
from loyalty.text import clean_name
from models import Branch, CustomerType, ProductGroup, Reward, RewardKind, Staff, Tier


async def add_reward(staff: Staff, name: str, cost: int, *, now: datetime | None = None) -> Reward:
    """The quick form (`/rewards add <cost> <name>`): a product, unlimited, for everyone."""
    require(staff, Action.REWARDS)
    low, high = LIMITS["cost"]
    if not low <= cost <= high:
        # The command's own answer: the amount, not the setting's bounds.
        raise LoyaltyError(ErrorCode.INVALID_AMOUNT, amount=cost)
    return await save_reward(staff, RewardSpec(name=name, cost=cost), now=now)


async def withdraw_reward(staff: Staff, reward_id: int, *, now: datetime | None = None) -> Reward:
    now = now or utcnow()
    require(staff, Action.REWARDS)
    reward = await Reward.get_or_none(id=reward_id)
    if reward is None:
        raise LoyaltyError(ErrorCode.REWARD_NOT_FOUND, reward=reward_id)
    check_branch_scope(staff, reward.branch_id)
    reward.active = False
    await reward.save(update_fields=["active"])
    await audit.record("reward_off", staff_id=staff.id, now=now, reward=reward.id)
    return reward


@dataclass(frozen=True)
class RewardSpec:
    """Everything a reward is; `save_reward` checks it whole before anything is written."""

    name: str
    cost: int
    kind: RewardKind = RewardKind.PRODUCT
    value: int = 0  # toman off for a fixed discount, percent off for a percentage
    product_group_id: int | None = None  # a discount limited to one product group
    stock: int | None = None  # None: unlimited
    min_tier_id: int | None = None
    branch_id: int | None = None  # None: every branch (a branch manager gets their own)
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    description: str = ""
    customer_type: CustomerType | None = None  # None: for every member; else that type only
    value_money: int | None = None  # what it is worth in money (loyalty/reward_values.py)


def reward_spec(reward: Reward) -> RewardSpec:
    """A reward as it is now; edit with dataclasses.replace and pass to save_reward."""
    return RewardSpec(
        name=reward.name,
        cost=reward.cost,
        kind=reward.kind,
        value=reward.value,
        product_group_id=reward.product_group_id,
        stock=reward.stock,
        min_tier_id=reward.min_tier_id,
        branch_id=reward.branch_id,
        valid_from=reward.valid_from,
        valid_until=reward.valid_until,
        description=reward.description,
        customer_type=reward.customer_type,
        value_money=reward.value_money,
    )


def open_window(now: datetime, days: int | None) -> tuple[datetime, datetime | None]:
    """A validity window from now for `days` days; None days: open-ended."""
    if days is not None:
        in_range("days", days, *LIMITS["days"])
    return now, (now + timedelta(days=days) if days is not None else None)


async def _checked(staff: Staff, spec: RewardSpec) -> RewardSpec:
    name = clean_name(spec.name)
    in_range("cost", spec.cost, *LIMITS["cost"])
    kind = RewardKind(spec.kind)
    value = 0
    if kind is not RewardKind.PRODUCT:
        value = spec.value
        in_range(kind.value, value, *LIMITS[kind.value])
    group_id = spec.product_group_id if kind is not RewardKind.PRODUCT else None
    if group_id is not None and not await ProductGroup.exists(id=group_id, active=True):
        raise LoyaltyError(ErrorCode.GROUP_NOT_FOUND, group=group_id)
    if spec.stock is not None:
        in_range("stock", spec.stock, *LIMITS["stock"])
    if spec.min_tier_id is not None and not await Tier.exists(id=spec.min_tier_id):
        raise LoyaltyError(ErrorCode.INVALID_SETTING, key="min_tier")
    branch_id = spec.branch_id
    if branch_id is None:
        branch_id = own_branch(staff)
    if branch_id is not None and not await Branch.exists(id=branch_id, active=True):
        raise LoyaltyError(ErrorCode.BRANCH_NOT_FOUND, branch=branch_id)
    check_branch_scope(staff, branch_id)
    if spec.value_money is not None:
        in_range("value_money", spec.value_money, *VALUE_RANGE)
    if spec.valid_from and spec.valid_until and spec.valid_until <= spec.valid_from:
        raise LoyaltyError(ErrorCode.INVALID_DATE)
    return replace(
        spec,
        name=name[:100],
        kind=kind,
        value=value,
        product_group_id=group_id,
        branch_id=branch_id,
        description=(spec.description or "").strip()[:500],
        customer_type=CustomerType(spec.customer_type) if spec.customer_type else None,
    )


async def save_reward(
    staff: Staff,
    spec: RewardSpec,
    reward_id: int | None = None,
    *,
    now: datetime | None = None,
    request: str | None = None,
) -> Reward:
    """Add a reward (no reward_id) or change every field of one; managers and the owner only.

    A manager of one branch adds rewards for that branch and changes only those. An add
    with a `request` key made already gives the reward it made (a form posted twice).
    """
    now = now or utcnow()
    require(staff, Action.REWARDS)
    spec = await _checked(staff, spec)
    fields = {
        "name": spec.name,
        "cost": spec.cost,
        "kind": spec.kind,
        "value": spec.value,
        "product_group_id": spec.product_group_id,
        "stock": spec.stock,
        "min_tier_id": spec.min_tier_id,
        "branch_id": spec.branch_id,
        "valid_from": spec.valid_from,
        "valid_until": spec.valid_until,
        "description": spec.description,
        "customer_type": spec.customer_type,
        "value_money": spec.value_money,
    }
    if reward_id is None:
        if request is not None and (made := await Reward.get_or_none(request=request)):
            return made
        try:
            reward = await Reward.create(**fields, request=request)
        except IntegrityError:  # the twin of this request, a moment ago
            if request is None:
                raise
            return await Reward.get(request=request)
        action = "reward_add"
    else:
        reward = await Reward.get_or_none(id=reward_id)
        if reward is None:
            raise LoyaltyError(ErrorCode.REWARD_NOT_FOUND, reward=reward_id)
        check_branch_scope(staff, reward.branch_id)
        reward.update_from_dict(fields)
        await reward.save()
        action = "reward_edit"
    await audit.record(
        action,
        staff_id=staff.id,
        now=now,
        reward=reward.id,
        cost=spec.cost,
        kind=spec.kind.value,
        value=spec.value,
        stock=spec.stock,
        min_tier=spec.min_tier_id,
        branch=spec.branch_id,
        group=spec.product_group_id,
        value_money=spec.value_money,
        valid_until=spec.valid_until.isoformat() if spec.valid_until else None,
        customer_type=spec.customer_type.value if spec.customer_type else None,
    )
    return reward


async def set_reward_customer_type(
    staff: Staff,
    reward_id: int,
    customer_type: CustomerType | None,
    *,
    now: datetime | None = None,
) -> Reward:
    """Keep a reward for one customer type (a company gift), or open it to everyone (None)."""
    require(staff, Action.REWARDS)
    reward = await Reward.get_or_none(id=reward_id, active=True)
    if reward is None:
        raise LoyaltyError(ErrorCode.REWARD_NOT_FOUND, reward=reward_id)
    return await save_reward(
        staff, replace(reward_spec(reward), customer_type=customer_type), reward.id, now=now
    )


async def set_reward_value(
    staff: Staff, reward_id: int, value_money: int | None, *, now: datetime | None = None
) -> Reward:
    """A reward's money value (None: not priced), by the rules of `save_reward`."""
    reward = await Reward.get_or_none(id=reward_id, active=True)
    if reward is None:
        raise LoyaltyError(ErrorCode.REWARD_NOT_FOUND, reward=reward_id)
    spec = replace(reward_spec(reward), value_money=value_money)
    return await save_reward(staff, spec, reward.id, now=now)


async def manageable_rewards(staff: Staff) -> list[Reward]:
    """Active rewards this staff member may change, on offer now or not (cheapest first)."""
    require(staff, Action.REWARDS)
    query = Reward.filter(active=True)
    branch_id = own_branch(staff)
    if branch_id is not None:
        query = query.filter(branch_id=branch_id)
    return await query.order_by("cost", "id")
