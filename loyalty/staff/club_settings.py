"""The club's settings: its rules (`/settings <key> <value>`) and the tiers; the owner's."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from tortoise.transactions import in_transaction

from loyalty import audit, earning
from loyalty.clock import utcnow
from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.numbers import INT_MAX, parse_decimal, parse_int
from loyalty.rules import get_rules
from loyalty.staff.limits import DECIMAL_LIMITS, LIMITS, MULTIPLIER_RANGE, in_range, parse_number
from loyalty.staff.permissions import Action, require
from loyalty.text import clean_name
from models import ClubRules, Staff, Tier

# What `/settings <key> <value>` may change, with the type of the value.
SETTINGS: dict[str, type] = {
    "name": str,
    "points_name": str,
    "earn_rate": Decimal,
    "currency_unit": int,
    "min_purchase": int,
    "signup_bonus": int,
    "birthday_bonus": int,
    "referral_bonus_referrer": int,
    "referral_bonus_referred": int,
    "feedback_bonus": int,
    "expiry_days": int,
    "voucher_valid_days": int,
    "tier_window_days": int,
    "cashier_daily_cap": int,
    "charity_min": int,  # the smallest gift of points to a charity cause
    "agent_percent": Decimal,  # agents' commission unless an agent has their own
    "agent_days": int,  # for how many days after a member joins
    "max_purchase": int,
    "currency": str,  # of amounts at the till and on gift cards: one of CURRENCIES
    "gift_card_valid_days": int,
}
# The club's currency as the owner may type it.
CURRENCIES = {"toman": "toman", "rial": "rial", "تومان": "toman", "ریال": "rial"}
# The numbers a rule may be set to (amounts in the shop's currency, the rest within their
# columns); a value outside is refused with these bounds in the error.
RULE_LIMITS: dict[str, tuple[int, int]] = {
    "currency_unit": (1, earning.MAX_AMOUNT),
    "min_purchase": (0, earning.MAX_AMOUNT),
    "max_purchase": (1, earning.MAX_AMOUNT),
    "gift_card_valid_days": (0, 36_500),  # 0: gift cards never expire
    "charity_min": (1, INT_MAX),
    "agent_days": (1, 36_500),
}


async def set_rule(staff: Staff, key: str, raw: str, *, now: datetime | None = None) -> object:
    now = now or utcnow()
    require(staff, Action.SETTINGS)
    value = rule_value(key, raw)
    rules = await get_rules()
    setattr(rules, key, value)
    # This setting alone: another saved at the same moment (a second staff chat, another
    # worker) must not be put back as it was when these rules were read.
    await rules.save(update_fields=[key, "updated_at"])
    await audit.record("settings", staff_id=staff.id, now=now, key=key, value=str(value))
    return value


def rule_value(key: str, raw: str) -> str | int | Decimal:
    """The value `raw` (as staff type it) gives the rule `key`, or INVALID_SETTING."""
    kind = SETTINGS.get(key)
    if kind is None:
        raise LoyaltyError(ErrorCode.INVALID_SETTING, key=key)
    raw = raw.strip()
    value: str | int | Decimal
    if kind is str:
        # Cut to its column (the points' name holds 50), as the chat has always cut names.
        value = raw[: ClubRules._meta.fields_map[key].max_length]  # type: ignore[attr-defined]
        if key == "currency":
            value = CURRENCIES.get(value.casefold(), "")
        if not value:
            raise LoyaltyError(ErrorCode.INVALID_SETTING, key=key)
    else:
        low, high = DECIMAL_LIMITS[key] if kind is Decimal else RULE_LIMITS.get(key, (0, INT_MAX))
        try:
            value = parse_decimal(raw) if kind is Decimal else parse_int(raw, signed=True)
        except LoyaltyError as error:
            # A number too large gets the bounds; text that is no number, only the key.
            too_large = error.code is ErrorCode.NUMBER_TOO_LARGE
            bounds = {"min": low, "max": high} if too_large else {}
            raise LoyaltyError(ErrorCode.INVALID_SETTING, key=key, **bounds) from None
        in_range(key, value, low, high)
    return value


TIER_FIELDS = ("threshold", "multiplier", "discount_percent")


async def set_tier(
    staff: Staff,
    tier_id: int,
    *,
    threshold: int | None = None,
    multiplier: Decimal | None = None,
    discount_percent: int | None = None,
    now: datetime | None = None,
) -> Tier:
    """Change a tier's threshold, points multiplier or standing discount; the owner only.

    The lowest tier stays at threshold 0 (everyone starts there), and no two tiers share a
    threshold, so the order of the tiers is always clear. Members move at their next
    purchase (upgrades) or at the periodic review (downgrades).
    """
    now = now or utcnow()
    require(staff, Action.SETTINGS)
    async with in_transaction():
        # Every tier under its row lock (PostgreSQL): two changes at the same moment are
        # checked one after the other, so they cannot give two tiers one threshold.
        tiers = await Tier.all().select_for_update().order_by("id")
        tier = next((t for t in tiers if t.id == tier_id), None)
        if tier is None:
            raise LoyaltyError(ErrorCode.INVALID_SETTING, key="tier")
        if threshold is not None:
            in_range("threshold", threshold, *LIMITS["threshold"])
            others = [t.threshold for t in tiers if t.id != tier.id]
            lowest = not others or tier.threshold < min(others)
            if (
                threshold in others
                or (lowest and threshold != 0)
                or (not lowest and threshold == 0)
            ):
                # Without bounds in the error: the number was fine, the order of the tiers was not.
                raise LoyaltyError(ErrorCode.INVALID_SETTING, key="threshold")
            tier.threshold = threshold
        if multiplier is not None:
            in_range("multiplier", multiplier, *MULTIPLIER_RANGE)
            tier.multiplier = multiplier
        if discount_percent is not None:
            in_range("discount_percent", discount_percent, *LIMITS["discount_percent"])
            tier.discount_percent = discount_percent
        await tier.save(update_fields=["threshold", "multiplier", "discount_percent"])
        await audit.record(
            "tier_set",
            staff_id=staff.id,
            now=now,
            tier=tier.id,
            threshold=tier.threshold,
            multiplier=str(tier.multiplier),
            discount=tier.discount_percent,
        )
    return tier


async def set_tier_value(
    staff: Staff, tier_id: int, field: str, raw: str, *, now: datetime | None = None
) -> Tier:
    """`set_tier` for one field typed as text (Persian digits too)."""
    if field not in TIER_FIELDS:
        raise LoyaltyError(ErrorCode.INVALID_SETTING, key=field)
    value = parse_number(raw, field, decimal=field == "multiplier")
    return await set_tier(staff, tier_id, now=now, **{field: value})


TIER_NAME_MAX = 50  # the column's length


async def rename_tier(
    staff: Staff, tier_id: int, name: str | None, *, now: datetime | None = None
) -> Tier:
    """The owner's own name for a tier, shown as typed in every language; None or blank:
    the translated name of its code again."""
    now = now or utcnow()
    require(staff, Action.SETTINGS)
    tier = await Tier.get_or_none(id=tier_id)
    if tier is None:
        raise LoyaltyError(ErrorCode.INVALID_SETTING, key="tier")
    # The column's bound first: a name's own (longer) is not the one to tell the owner.
    if len(" ".join((name or "").split())) > TIER_NAME_MAX:
        raise LoyaltyError(ErrorCode.TEXT_TOO_LONG, max=TIER_NAME_MAX)
    text = clean_name(name) if name and name.strip() else ""
    tier.name = text or None
    await tier.save(update_fields=["name"])
    await audit.record("tier_name", staff_id=staff.id, now=now, tier=tier.id, name=tier.name)
    return tier
