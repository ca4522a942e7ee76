"""The club's settings as staff read their names: the chat's /settings and the panel's
settings page label each the same way."""

from __future__ import annotations

from handlers.i18n import N_

# The rules `/settings <key> <value>` changes (loyalty.staff.club_settings.SETTINGS).
RULES: dict[str, str] = {
    "name": N_("Club name"),
    "points_name": N_("Name of the points"),
    "earn_rate": N_("Points per currency unit"),
    "currency_unit": N_("Currency unit (toman)"),
    "min_purchase": N_("Minimum purchase (toman)"),
    "signup_bonus": N_("Sign-up bonus"),
    "birthday_bonus": N_("Birthday bonus"),
    "referral_bonus_referrer": N_("Referral bonus for the inviter"),
    "referral_bonus_referred": N_("Referral bonus for the new member"),
    "feedback_bonus": N_("Feedback bonus"),
    "expiry_days": N_("Points expire after (days, 0: never)"),
    "voucher_valid_days": N_("Vouchers valid for (days)"),
    "tier_window_days": N_("Tier window (days)"),
    "cashier_daily_cap": N_("Cashier daily cap (points)"),
    "charity_min": N_("Smallest gift to charity (points)"),
    "agent_percent": N_("Agents' commission (percent)"),
    "agent_days": N_("Agents' commission period (days)"),
    "max_purchase": N_("Maximum purchase (toman)"),
    "currency": N_("Currency (toman or rial)"),
    "gift_card_valid_days": N_("Gift cards valid for (days, 0: always)"),
}
# The club's look and contact details (loyalty.staff.look), set on the panel's page.
LOOK: dict[str, str] = {
    "colour": N_("Colour of the pages"),
    "logo": N_("Logo"),
    "cover": N_("Cover picture"),
    "phone": N_("Phone"),
    "address": N_("Address"),
    "website": N_("Website"),
    "instagram": N_("Instagram"),
    "about": N_("About the club"),
}
