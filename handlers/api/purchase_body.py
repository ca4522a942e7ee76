"""A purchase's body beyond its receipt and member: an amount (and group), or its lines,
and the part a gift card pays. Each refusal names the field at fault (`lines[2].group_id`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from handlers.api.body import int_field
from handlers.api.errors import ApiError
from handlers.api.giftcards import card_code
from loyalty.errors import LoyaltyError
from loyalty.rules import ClubConfig

MAX_LINES = 100  # a long supermarket receipt; more is a mistake, and the body limit is 16 KB
LINE_FIELDS = {"amount", "group_id"}
GIFT_FIELDS = {"code", "amount"}


@dataclass(frozen=True)
class Priced:
    """What was bought: `lines` is empty when the till sent one amount (and group)."""

    amount: int
    group_id: int | None
    lines: tuple[tuple[int, int | None], ...]


@dataclass(frozen=True)
class GiftPart:
    code: str  # as stored, without dashes
    amount: int


def priced(body: dict[str, Any], config: ClubConfig) -> Priced:
    if "lines" not in body:
        amount = int_field(body, "amount")
        assert amount is not None
        return Priced(amount, int_field(body, "group_id", required=False), ())
    for name in ("amount", "group_id"):  # the lines say both; two answers could disagree
        if name in body:
            raise ApiError(422, "invalid_field", field=name)
    raw = body["lines"]
    if not isinstance(raw, list) or not raw:
        raise ApiError(422, "invalid_field", field="lines")
    if len(raw) > MAX_LINES:
        raise ApiError(422, "too_many_lines", field="lines", max=MAX_LINES)
    lines = tuple(_line(item, f"lines[{index}]", config) for index, item in enumerate(raw))
    return Priced(sum(amount for amount, _ in lines), None, lines)


def _line(item: Any, where: str, config: ClubConfig) -> tuple[int, int | None]:
    if not isinstance(item, dict):
        raise ApiError(422, "invalid_field", field=where)
    for name in sorted(set(item) - LINE_FIELDS):
        raise ApiError(422, "invalid_field", field=f"{where}.{name}")
    fields = {f"{where}.{name}": item.get(name) for name in LINE_FIELDS}
    amount = int_field(fields, f"{where}.amount")
    group_id = int_field(fields, f"{where}.group_id", required=False)
    assert amount is not None
    try:
        config.group(group_id)
    except LoyaltyError as error:
        raise ApiError.refused(error, f"{where}.group_id") from None
    return amount, group_id


def gift_part(body: dict[str, Any], amount: int) -> GiftPart | None:
    """The gift card paying part (or all) of the purchase, never more than it."""
    raw = body.get("gift_card")
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ApiError(422, "invalid_field", field="gift_card")
    for name in sorted(set(raw) - GIFT_FIELDS):
        raise ApiError(422, "invalid_field", field=f"gift_card.{name}")
    code = raw.get("code")
    if code is None:
        raise ApiError(422, "missing_field", field="gift_card.code")
    if not isinstance(code, str):
        raise ApiError(422, "invalid_field", field="gift_card.code")
    paid = int_field({"gift_card.amount": raw.get("amount")}, "gift_card.amount")
    assert paid is not None
    if paid > amount:
        raise ApiError(422, "gift_card_over_amount", field="gift_card.amount", amount=amount)
    return GiftPart(card_code(code, "gift_card.code"), paid)
