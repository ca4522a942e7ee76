"""Reading the club's rules and its defaults."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import NoReturn

from loyalty import discounts, festivals
from loyalty.errors import ErrorCode, LoyaltyError
from models import Branch, ClubRules, DiscountRule, Festival, ProductGroup, Tier
from models.queries import club as club_sql

DEFAULT_TIERS = (
    # code, threshold (points earned in the window), multiplier, standing discount %
    ("bronze", 0, Decimal("1"), 0),
    ("silver", 500, Decimal("1.25"), 5),
    ("gold", 2000, Decimal("1.5"), 10),
)
DEFAULT_BRANCH_NAME = "Main"
# The name models.ClubRules gives a club whose owner has not named it.
DEFAULT_CLUB_NAME = "Club"


async def get_rules() -> ClubRules:
    rules = await club_sql.rules()
    if rules is None:
        rules, _ = await ClubRules.get_or_create(id=1)
    return rules


async def ensure_defaults() -> None:
    """Give a new club its rules, the three tiers and one branch; leave an existing club alone."""
    await ClubRules.get_or_create(id=1)
    if not await Tier.exists():
        for code, threshold, multiplier, discount in DEFAULT_TIERS:
            await Tier.create(
                code=code, threshold=threshold, multiplier=multiplier, discount_percent=discount
            )
    if not await Branch.exists():
        await Branch.create(name=DEFAULT_BRANCH_NAME)


async def default_branch() -> Branch:
    branch = await club_sql.first_active_branch()
    if branch is None:
        await ensure_defaults()
        branch = await club_sql.first_active_branch()
    assert branch is not None
    return branch


def _refuse_branch(branch_id: int, closed: Branch | None) -> NoReturn:
    if closed is not None:
        raise LoyaltyError(ErrorCode.BRANCH_CLOSED, branch=closed.name)
    raise LoyaltyError(ErrorCode.BRANCH_NOT_FOUND, branch=branch_id)


async def open_branch(branch_id: int) -> Branch:
    """The branch, if it exists and is open: where new staff, purchases and members may go."""
    branch = await Branch.get_or_none(id=branch_id)
    if branch is None or not branch.active:
        _refuse_branch(branch_id, branch)
    return branch


async def tiers() -> list[Tier]:
    return await Tier.all().order_by("threshold", "id")


@dataclass(frozen=True)
class ClubConfig:
    """What a purchase reads of the club's set-up; shared by the process's purchases: read only."""

    token: str | None
    rules: ClubRules
    branches: dict[int, Branch]  # the active ones; the default is the first
    groups: dict[int, ProductGroup]  # the active ones
    tiers: list[Tier]  # by threshold
    closed: dict[int, Branch] = field(default_factory=dict)  # deactivated by the owner
    festivals: list[Festival] = field(default_factory=list)  # all of them (loyalty/festivals.py)
    discount_rules: list[discounts.Rule] = field(default_factory=list)  # the active ones

    def branch(self, branch_id: int | None) -> Branch:
        """An open branch; a closed one is refused by its name, so the till says why."""
        if branch_id is None:
            return next(iter(self.branches.values()))
        branch = self.branches.get(branch_id)
        if branch is None:
            _refuse_branch(branch_id, self.closed.get(branch_id))
        return branch

    def group(self, group_id: int | None) -> ProductGroup | None:
        if group_id is None:
            return None
        group = self.groups.get(group_id)
        if group is None:
            raise LoyaltyError(ErrorCode.GROUP_NOT_FOUND, group=group_id)
        return group


_config: ClubConfig | None = None


async def discount_rules() -> list[discounts.Rule]:
    """The owner's active spend levels and product groups' discounts, for the till."""
    return [
        discounts.Rule(
            discounts.Kind(row.kind),
            Decimal(row.percent),
            rule_id=row.id,
            min_amount=row.min_amount,
            group_id=row.group_id,  # type: ignore[attr-defined]
            branch_id=row.branch_id,  # type: ignore[attr-defined]
            starts=row.starts,
            ends=row.ends,
        )
        for row in await DiscountRule.filter(active=True).order_by("id")
    ]


async def club_config(token: str | None) -> ClubConfig:
    """The set-up, from this process's copy while the database's token is `token`.

    The token (`models.queries.club.CONFIG_TOKEN`) changes in the same transaction as any
    change of the rules, branches, groups, tiers, festivals or discount rules, from any
    process, so a purchase that read it sees the set-up as of that read, as if it had read
    the tables themselves.
    The caller reads the token before this, so a copy made now is at least as new as its
    token says: a change since then has a new token and is read again. No token (its row
    missing): nothing is kept.
    """
    global _config
    if token is not None and _config is not None and _config.token == token:
        return _config
    # Read only when the set-up changed: the ORM's cost does not matter here.
    every = await Branch.all().order_by("id")
    branches = {b.id: b for b in every if b.active}
    if not branches:
        # A new club's branch, made in the caller's transaction, which may yet roll back.
        token = None
        branches = {(branch := await default_branch()).id: branch}
    config = ClubConfig(
        token=token,
        rules=await get_rules(),
        branches=branches,
        groups={g.id: g for g in await ProductGroup.filter(active=True).order_by("id")},
        tiers=await tiers(),
        closed={b.id: b for b in every if not b.active},
        festivals=await festivals.every(),
        discount_rules=await discount_rules(),
    )
    if token is not None:
        _config = config
    return config


async def current_config() -> ClubConfig:
    """`club_config` for a caller that has not read the token in a statement of its own."""
    return await club_config(await club_sql.config_token())
