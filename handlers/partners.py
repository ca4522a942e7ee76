"""Partners and their offers as staff and members read them, in every door (chat, command line)."""

from __future__ import annotations

from handlers.format import digits, number
from handlers.i18n import N_, t
from handlers.texts import tier_name
from loyalty.partners import Offer, OfferFigures, PartnerFigures, Uploaded
from models import Reward, Tier

PARTNER_LINE = N_("#{id} {name}{off}: codes given {given}, used {used}, points spent {points}")
OFF = N_(" (off)")
LOGO = N_(" (logo)")
ABOUT = N_("About: {description}")
CONTACT = N_("Contact: {contact}")
OFFER_LINE = N_("  offer #{id} {name}: {price}{codes}; given {given}, used {used}, points {points}")
POINTS = N_("{cost} points")
FREE = N_("free")
FROM_TIER = N_(", from {tier}")
CODES_LEFT = N_(", uploaded codes: {left} left")
NO_OFFERS = N_("  no offers yet")
MEMBER_LABEL = N_("{partner}: {name} — {price}")
RAN_OUT = N_(" (codes ran out)")
UPLOADED = N_("Codes added: {added}; refused as duplicates: {refused}.")
REPORT_LINE = N_("{name}: codes given {given}, used {used}, points spent {points}")


def price(offer: Reward, tiers: dict[int, Tier], locale: str) -> str:
    """`50 points, from Gold`, `free, from Silver`."""
    text = t(POINTS, locale, cost=number(offer.cost, locale)) if offer.cost else t(FREE, locale)
    tier = tiers.get(offer.min_tier_id) if offer.min_tier_id is not None else None
    if tier is not None:
        text += t(FROM_TIER, locale, tier=tier_name(tier.code, tier.name, locale))
    return text


def offer_line(figures: OfferFigures, tiers: dict[int, Tier], locale: str) -> str:
    offer = figures.offer
    codes = (
        t(CODES_LEFT, locale, left=number(figures.left, locale)) if figures.left is not None else ""
    )
    return t(
        OFFER_LINE,
        locale,
        id=digits(str(offer.id), locale),
        name=offer.name,
        price=price(offer, tiers, locale),
        codes=codes,
        given=number(figures.given, locale),
        used=number(figures.used, locale),
        points=number(figures.points, locale),
    ) + ("" if offer.active else t(OFF, locale))


def staff_text(figures: PartnerFigures, tiers: dict[int, Tier], locale: str) -> str:
    """A partner with its details, its offers and their figures."""
    partner = figures.partner
    lines = [
        t(
            PARTNER_LINE,
            locale,
            id=digits(str(partner.id), locale),
            name=partner.name,
            off=("" if partner.active else t(OFF, locale))
            + (t(LOGO, locale) if partner.logo_file_id else ""),
            given=number(figures.given, locale),
            used=number(figures.used, locale),
            points=number(figures.points, locale),
        )
    ]
    if partner.description:
        lines.append(t(ABOUT, locale, description=partner.description))
    if partner.contact:
        lines.append(t(CONTACT, locale, contact=partner.contact))
    lines += [offer_line(o, tiers, locale) for o in figures.offers] or [t(NO_OFFERS, locale)]
    return "\n".join(lines)


def member_label(offer: Offer, tiers: dict[int, Tier], locale: str) -> str:
    label = t(
        MEMBER_LABEL,
        locale,
        partner=offer.partner.name,
        name=offer.reward.name,
        price=price(offer.reward, tiers, locale),
    )
    if offer.left == 0:
        return label + t(RAN_OUT, locale)
    return ("✅ " if offer.can_take else "") + label


def uploaded_text(uploaded: Uploaded, locale: str) -> str:
    return t(
        UPLOADED,
        locale,
        added=number(uploaded.added, locale),
        refused=number(uploaded.refused, locale),
    )


def report_line(figures: PartnerFigures, locale: str) -> str:
    """The partner's line, then one for each offer that moved in the period."""
    lines = [_report_line(figures.partner.name, figures, locale)]
    lines += [
        "  " + _report_line(offer.offer.name, offer, locale)
        for offer in figures.offers
        if offer.given or offer.used
    ]
    return "\n".join(lines)


def _report_line(name: str, figures: PartnerFigures | OfferFigures, locale: str) -> str:
    return t(
        REPORT_LINE,
        locale,
        name=name,
        given=number(figures.given, locale),
        used=number(figures.used, locale),
        points=number(figures.points, locale),
    )
