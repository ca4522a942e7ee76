"""Who may do what: one table from each staff action to the roles that may take it.

Every door (Telegram commands and dialogs, campaigns, the domain functions themselves)
asks `allowed` or `require` here instead of naming roles. The README's staff table is
checked against this table by a test. An owner is an owner only while their Telegram id
is in OWNER_IDS: `access.identify` gives no staff at all for an owner row that is not.
"""

from __future__ import annotations

from enum import StrEnum

from loyalty.errors import ErrorCode, LoyaltyError
from models import Staff, StaffRole


class Action(StrEnum):
    EARN = "earn"
    EARN_OVER_CAP = "earn_over_cap"  # without a manager's approval above the daily cap
    REFUND = "refund"
    REFUND_ANY_BRANCH = "refund_any_branch"  # a purchase of any branch, not only one's own
    USE_VOUCHER = "use_voucher"
    CANCEL_VOUCHER = "cancel_voucher"  # an unused one; its points go back to the member
    VIEW_MEMBER = "view_member"
    MOVE_MEMBER = "move_member"  # to another home branch
    REPLACE_CARD = "replace_card"  # a lost card: a new number, the old one refused
    SET_TIER = "set_tier"  # a member's tier floor, which the periodic review keeps
    COMPANY = "company"  # a member's customer type, company name and company earning rate
    SEE_PRIVATE = "see_private"  # a member's birthday and gender in their profile
    INBOX = "inbox"
    ADJUST = "adjust"
    UNDO = "undo"
    APPROVE = "approve"  # a purchase over a cashier's daily cap
    REPORT = "report"
    EXPORT = "export"
    MANAGE_STAFF = "manage_staff"  # invite cashiers, change or revoke those below
    APPOINT_MANAGERS = "appoint_managers"
    REWARDS = "rewards"
    BRANCHES = "branches"  # add, rename, close and reopen branches; their earning rates
    BRANCH_EARNING = "branch_earning"  # a branch's currency unit and minimum purchase
    GROUPS = "groups"
    SETTINGS = "settings"  # the club's rules and the tiers
    AUDIT = "audit"
    IMPORT = "import"
    CAMPAIGN = "campaign"
    LOTTERY = "lottery"
    API_KEYS = "api_keys"  # keys of the HTTP API and their event webhooks
    GIFT_CARDS = "gift_cards"  # the /giftcard command; each verb asks its own action too
    GIFT_CARD_SELL = "gift_card_sell"
    GIFT_CARD_TOPUP = "gift_card_topup"
    GIFT_CARD_SPEND = "gift_card_spend"
    GIFT_CARD_REFUND = "gift_card_refund"
    GIFT_CARD_BLOCK = "gift_card_block"  # a card reported lost, blocked at the till at once
    FESTIVALS = "festivals"  # time-bound earning multipliers (loyalty/festivals.py)
    DISCOUNTS = "discounts"  # discount rules at the till and how they combine
    PROMOS = "promos"  # promo codes and their figures
    CHARITY = "charity"  # charity causes members give points to (loyalty/charity.py)
    PARTNERS = "partners"  # partner businesses, their offers and codes (loyalty/partners.py)
    PARTNER_CODES = "partner_codes"  # upload an offer's codes; a partner's staff, their own
    AGENTS = "agents"  # agents, their commission and paying it (loyalty/agents.py)
    AGENT_SELF = "agent_self"  # an agent's own members and commission (/agent)
    SURVEYS = "surveys"  # surveys paid in points and their results (loyalty/surveys.py)
    PANEL = "panel"  # sign in to the web panel (`/panel`); each page asks its own action
    PANEL_MEMBERS = "panel_members"  # the panel's member list and member pages


# Those who work at the till. A partner's staff is no staff of the club: they validate
# their own offers' codes (USE_VOUCHER, limited to them by loyalty.staff.counter), upload
# codes for their own offers (PARTNER_CODES, limited by loyalty.partners.offer_for) and
# nothing else; an agent is staff only to read their own figures.
EVERYONE = frozenset({StaffRole.OWNER, StaffRole.MANAGER, StaffRole.CASHIER})
MANAGERS = frozenset({StaffRole.OWNER, StaffRole.MANAGER})
OWNER = frozenset({StaffRole.OWNER})
AGENT = frozenset({StaffRole.AGENT})

PERMISSIONS: dict[Action, frozenset[StaffRole]] = {
    Action.EARN: EVERYONE,
    Action.EARN_OVER_CAP: MANAGERS,
    Action.REFUND: EVERYONE,
    Action.REFUND_ANY_BRANCH: OWNER,
    Action.USE_VOUCHER: EVERYONE | {StaffRole.PARTNER},
    Action.CANCEL_VOUCHER: MANAGERS,
    Action.VIEW_MEMBER: EVERYONE,
    Action.MOVE_MEMBER: MANAGERS,
    Action.REPLACE_CARD: EVERYONE,
    Action.SET_TIER: MANAGERS,
    Action.COMPANY: MANAGERS,
    Action.SEE_PRIVATE: MANAGERS,
    Action.INBOX: EVERYONE,
    Action.ADJUST: MANAGERS,
    Action.UNDO: MANAGERS,
    Action.APPROVE: MANAGERS,
    Action.REPORT: MANAGERS,
    Action.EXPORT: MANAGERS,
    Action.MANAGE_STAFF: MANAGERS,
    Action.APPOINT_MANAGERS: OWNER,
    Action.REWARDS: MANAGERS,
    Action.BRANCHES: OWNER,
    Action.BRANCH_EARNING: MANAGERS,  # a manager of one branch, that branch's only
    Action.GROUPS: OWNER,
    Action.SETTINGS: OWNER,
    Action.AUDIT: OWNER,
    Action.IMPORT: OWNER,
    Action.CAMPAIGN: MANAGERS,
    Action.LOTTERY: MANAGERS,
    Action.API_KEYS: OWNER,
    Action.GIFT_CARDS: EVERYONE,
    Action.GIFT_CARD_SELL: EVERYONE,
    Action.GIFT_CARD_TOPUP: EVERYONE,
    Action.GIFT_CARD_SPEND: EVERYONE,
    Action.GIFT_CARD_REFUND: EVERYONE,
    Action.GIFT_CARD_BLOCK: EVERYONE,
    Action.FESTIVALS: OWNER,
    Action.DISCOUNTS: OWNER,
    Action.PROMOS: OWNER,
    Action.CHARITY: OWNER,
    Action.PARTNERS: OWNER,
    Action.PARTNER_CODES: OWNER | {StaffRole.PARTNER},
    Action.AGENTS: OWNER,
    Action.AGENT_SELF: AGENT,
    Action.SURVEYS: OWNER,
    Action.PANEL: EVERYONE,
    Action.PANEL_MEMBERS: MANAGERS,
}


def allowed(staff: Staff | None, action: Action) -> bool:
    return staff is not None and staff.active and staff.role in PERMISSIONS[action]


def require(staff: Staff | None, action: Action) -> Staff:
    """The staff member, if the table lets them take `action`; NOT_ALLOWED otherwise."""
    if staff is None or not allowed(staff, action):
        raise LoyaltyError(ErrorCode.NOT_ALLOWED)
    return staff
