"""A purchase's discounts and the offer after it, in words: for the cashier (Telegram, the
`club` command) and for the member's message. Both read the figures as the member's
message keeps them (`loyalty.till.Quote.params`), so they always say the same."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from handlers.format import day, number, persian_digits
from handlers.i18n import N_, t
from handlers.texts import tier_name
from models import Branch, ClubRules, DiscountRule, ProductGroup

# Each discount's reason, for the cashier and in the member's words.
STAFF_REASONS = {
    "tier": N_("{tier} tier discount {percent}%: −{amount}"),
    "spend": N_("Discount from {minimum} {percent}%: −{amount}"),
    "group": N_("{group} discount {percent}%: −{amount}"),
    "promo": N_("Promo code {code}: −{amount}"),
}
MEMBER_REASONS = {
    "tier": N_("Your {tier} tier discount, {percent}%: −{amount}"),
    "spend": N_("Your discount for buying {minimum} or more, {percent}%: −{amount}"),
    "group": N_("Your discount on {group}, {percent}%: −{amount}"),
    "promo": N_("Promo code {code}: −{amount}"),
}
BONUS = N_("Promo code {code}: +{points} bonus points")


def percent(raw: object, locale: str) -> str:
    value = Decimal(str(raw)).normalize()
    text = f"{value:f}"
    return persian_digits(text.replace(".", "٫")) if locale == "fa" else text


def discount_lines(params: dict[str, Any], locale: str, *, member: bool) -> list[str]:
    """One line per discount, with its reason; none when the purchase had none."""
    reasons = MEMBER_REASONS if member else STAFF_REASONS
    lines = []
    for line in params.get("discounts") or []:
        lines.append(
            t(
                reasons[line["kind"]],
                locale,
                percent=percent(line["percent"], locale),
                amount=number(int(line["amount"]), locale),
                minimum=number(int(line.get("min_amount") or 0), locale),
                group=line.get("group") or "",
                tier=tier_name(line.get("tier") or "", line.get("tier_name"), locale),
                code=params.get("promo") or "",
            )
        )
    if params.get("promo_bonus"):
        points = number(int(params["promo_bonus"]), locale)
        lines.append(t(BONUS, locale, code=params["promo"], points=points))
    return lines


def offer_line(params: dict[str, Any], locale: str, *, member: bool) -> str | None:
    """The instant offer: a reward within reach, else the points to the next tier."""
    if params.get("offer_reward"):
        text = (
            N_("You can now get {reward} for {cost} points.")
            if member
            else N_("Within reach now: {reward} for {cost} points.")
        )
        return t(
            text,
            locale,
            reward=params["offer_reward"],
            cost=number(int(params.get("offer_cost") or 0), locale),
        )
    if params.get("offer_tier"):
        text = (
            N_("{points} more points to reach the {tier} tier.")
            if member
            else N_("Next tier: {tier}, {points} points away.")
        )
        return t(
            text,
            locale,
            points=number(int(params.get("offer_points") or 0), locale),
            tier=tier_name(params["offer_tier"], params.get("offer_tier_name"), locale),
        )
    return None


def priced_lines(params: dict[str, Any], gross: int, locale: str) -> list[str]:
    """For the cashier: the gross, each discount with its reason and the amount to pay;
    nothing without a discount."""
    found = discount_lines(params, locale, member=False)
    if not found:
        return []
    return [
        t(N_("Amount: {amount}"), locale, amount=number(gross, locale)),
        *found,
        t(N_("To pay: {amount}"), locale, amount=number(int(params["paid"]), locale)),
    ]


async def rule_line(rule: DiscountRule, locale: str) -> str:
    branch = await Branch.get_or_none(id=rule.branch_id) if rule.branch_id else None  # type: ignore[attr-defined]
    where = branch.name if branch else t(N_("all branches"), locale)
    values = {
        "id": persian_digits(str(rule.id)) if locale == "fa" else str(rule.id),
        "percent": percent(rule.percent, locale),
        "where": where,
    }
    if rule.kind == "spend":
        return t(
            N_("#{id} from {minimum}: {percent}% off, {where}"),
            locale,
            minimum=number(rule.min_amount, locale),
            **values,
        )
    group = await ProductGroup.get_or_none(id=rule.group_id)  # type: ignore[attr-defined]
    starts = day(rule.starts, locale) if rule.starts else "…"
    ends = day(rule.ends, locale) if rule.ends else "…"
    return t(
        N_("#{id} {group}: {percent}% off, {starts} to {ends}, {where}"),
        locale,
        group=group.name if group else "-",
        starts=starts,
        ends=ends,
        **values,
    )


async def listing_text(found: list[DiscountRule], rules: ClubRules, locale: str) -> str:
    """The rules in force and the club's two switches."""
    lines = [await rule_line(rule, locale) for rule in found]
    mode = (
        N_("Discounts stack, each on what the one before left.")
        if rules.discount_stacking
        else N_("Only the best single discount applies.")
    )
    points = (
        N_("Points are earned on the amount paid.")
        if rules.points_on_paid
        else N_("Points are earned on the gross amount.")
    )
    head = lines or [
        t(N_("No discount rules yet (tiers' own discounts are in /settings)."), locale)
    ]
    return "\n".join([*head, t(mode, locale), t(points, locale)])
