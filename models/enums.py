"""Enumerations stored in the database.

The values are part of the schema: renaming one needs a migration, so they are short,
lower-case English words that never reach a member's screen untranslated.
"""

from enum import StrEnum


class Gender(StrEnum):
    MALE = "male"
    FEMALE = "female"
    UNSPECIFIED = "unspecified"


class CustomerType(StrEnum):
    INDIVIDUAL = "individual"
    COMPANY = "company"


class Channel(StrEnum):
    TELEGRAM = "telegram"
    SMS = "sms"


class StaffRole(StrEnum):
    OWNER = "owner"
    MANAGER = "manager"
    CASHIER = "cashier"
    PARTNER = "partner"  # a partner business's staff: their own offers' codes only
    AGENT = "agent"  # brings members for a commission; sees only their own figures


class EntryKind(StrEnum):
    """What caused a ledger row. The sign of the amount is stored separately."""

    EARN = "earn"
    BONUS = "bonus"
    REDEEM = "redeem"
    ADJUST = "adjust"
    REVERSE = "reverse"
    EXPIRE = "expire"
    REFUND = "refund"
    GIVE = "give"  # points given to a charity cause


class CodeSource(StrEnum):
    """Where the codes of a reward's vouchers come from."""

    CLUB = "club"  # made by the club (loyalty.codes), unguessable
    UPLOAD = "upload"  # a list the partner handed over (models.PartnerCode)


class CommissionKind(StrEnum):
    """A row of an agent's commission ledger (`models.agents.Commission`)."""

    ACCRUE = "accrue"
    REVERSE = "reverse"
    PAY = "pay"


class RewardKind(StrEnum):
    PRODUCT = "product"
    FIXED_DISCOUNT = "fixed_discount"
    PERCENT_DISCOUNT = "percent_discount"


class VoucherStatus(StrEnum):
    ISSUED = "issued"
    USED = "used"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by claimed_by; next_attempt_at is when the claim lapses
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"
    HELD = "held"  # a paused or stopped campaign's message, not to be sent while held


class InboxKind(StrEnum):
    FEEDBACK = "feedback"
    MESSAGE = "message"
