"""Gift cards: stored value (money, not points) and the append-only ledger of each card."""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class GiftCardStatus(StrEnum):
    ACTIVE = "active"
    BLOCKED = "blocked"  # reported lost: nothing moves on it any more


class GiftCardKind(StrEnum):
    """What moved a card's balance; the sign of the amount says which way."""

    ISSUE = "issue"
    TOPUP = "topup"
    SPEND = "spend"
    REFUND = "refund"  # money of a purchase paid by the card, put back on it
    EXPIRE = "expire"


class GiftCard(Model):
    """A card sold for money, spent at the till.

    Its balance is the sum of its entries, cached here and moved in the same transaction
    as each entry (as `Member.balance` is)."""

    id = fields.IntField(primary_key=True)
    # Without its dashes; only a digest of chance protects it, so it is never logged.
    code = fields.CharField(max_length=20, unique=True)
    # Who holds it: null for a card sold to someone the club does not know.
    member = fields.ForeignKeyField(
        "models.Member", related_name="gift_cards", null=True, on_delete=fields.RESTRICT
    )
    balance = fields.BigIntField(default=0)
    status = fields.CharEnumField(GiftCardStatus, default=GiftCardStatus.ACTIVE)
    issued_at = fields.DatetimeField()
    expires_at = fields.DatetimeField(null=True, db_index=True)  # null: never
    blocked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "gift_card"


class GiftCardEntry(Model):
    """One movement of a card's money. Rows are only ever added, never edited."""

    id = fields.BigIntField(primary_key=True)
    card = fields.ForeignKeyField(
        "models.GiftCard", related_name="entries", on_delete=fields.RESTRICT
    )
    kind = fields.CharEnumField(GiftCardKind)
    amount = fields.BigIntField()  # signed: money onto the card is positive
    balance_after = fields.BigIntField()  # what a repeated request answers, and the history
    receipt = fields.CharField(max_length=64, null=True)
    staff = fields.ForeignKeyField(
        "models.Staff", related_name=False, null=True, on_delete=fields.RESTRICT
    )
    branch = fields.ForeignKeyField(
        "models.Branch", related_name=False, null=True, on_delete=fields.RESTRICT
    )
    idempotency_key = fields.CharField(max_length=120, unique=True)
    created_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "gift_card_entry"
        # A card's history, and the refunds of a receipt paid by it.
        indexes = (("card_id", "created_at"), ("card_id", "receipt"))
