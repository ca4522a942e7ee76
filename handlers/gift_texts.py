"""Sentences about gift cards that every door shares: a movement's name, a history line."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from handlers.format import day, signed
from handlers.i18n import N_, t
from handlers.texts import currency_name
from loyalty.codes import show_gift_card_code
from models import GiftCard, GiftCardEntry, GiftCardKind

KINDS: dict[GiftCardKind, str] = {
    GiftCardKind.ISSUE: N_("sold"),
    GiftCardKind.TOPUP: N_("topped up"),
    GiftCardKind.SPEND: N_("spent"),
    GiftCardKind.REFUND: N_("refunded onto the card"),
    GiftCardKind.EXPIRE: N_("expired"),
}


def code_text(code: str) -> str:
    """The whole code in groups of four, as typed at the till: Latin in every language, as
    voucher codes are."""
    return show_gift_card_code(code)


def short_code(card: GiftCard) -> str:
    """The last four characters: enough to tell one's cards apart, useless to a thief."""
    return "…" + card.code[-4:]


def entry_line(entry: GiftCardEntry, currency: str, locale: str, tz: ZoneInfo | None) -> str:
    receipt = f" ({entry.receipt})" if entry.receipt else ""
    return (
        f"{day(entry.created_at, locale, tz)} {signed(entry.amount, locale)} "
        f"{currency_name(currency, locale)} {t(KINDS[entry.kind], locale)}{receipt}"
    )
