"""Reading the club's rules and its defaults."""

from decimal import Decimal

from models import Branch, ClubRules, Tier
from models import statements as sql

DEFAULT_TIERS = (
    # code, threshold (points earned in the window), multiplier, standing discount %
    ("bronze", 0, Decimal("1"), 0),
    ("silver", 500, Decimal("1.25"), 5),
    ("gold", 2000, Decimal("1.5"), 10),
)
DEFAULT_BRANCH_NAME = "Main"


async def get_rules() -> ClubRules:
    rules = await sql.rules_by_id.first(1)
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
    branch = await sql.first_active_branch.first(True)
    if branch is None:
        await ensure_defaults()
        branch = await sql.first_active_branch.first(True)
    assert branch is not None
    return branch


async def tiers() -> list[Tier]:
    return await sql.tiers_by_threshold.all()
