"""Members, their cards, and the history of their tier."""

from tortoise import fields
from tortoise.models import Model

from models.enums import Channel, CustomerType, Gender


class Member(Model):
    id = fields.IntField(primary_key=True)
    phone = fields.CharField(max_length=20, unique=True, null=True)  # E.164; null once deleted
    telegram_id = fields.BigIntField(unique=True, null=True)
    first_name = fields.CharField(max_length=64, default="")
    last_name = fields.CharField(max_length=64, default="")
    gender = fields.CharEnumField(Gender, default=Gender.UNSPECIFIED)
    birth_date = fields.DateField(null=True)
    customer_type = fields.CharEnumField(CustomerType, default=CustomerType.INDIVIDUAL)
    company_name = fields.CharField(max_length=128, default="")
    # A company customer may earn by its own rate instead of the club's or the branch's.
    company_earn_rate = fields.DecimalField(max_digits=10, decimal_places=4, null=True)
    interests: fields.ManyToManyRelation = fields.ManyToManyField(
        "models.ProductGroup", related_name="members", through="member_interest"
    )
    locale = fields.CharField(max_length=5, default="fa")
    preferred_channel = fields.CharEnumField(Channel, default=Channel.TELEGRAM)
    branch = fields.ForeignKeyField("models.Branch", related_name="members", null=True)
    consent_telegram = fields.BooleanField(default=True)
    consent_sms = fields.BooleanField(default=True)
    reachable_telegram = fields.BooleanField(default=True)
    reachable_sms = fields.BooleanField(default=True)
    balance = fields.BigIntField(default=0)  # cache of sum(ledger.amount), same transaction
    tier = fields.ForeignKeyField("models.Tier", related_name="members", null=True)
    referral_code = fields.CharField(max_length=16, unique=True)
    referred_by = fields.ForeignKeyField("models.Member", related_name="referrals", null=True)
    joined_at = fields.DatetimeField()
    last_purchase_at = fields.DatetimeField(null=True, db_index=True)
    deleted_at = fields.DatetimeField(null=True)

    class Meta:
        table = "member"


class Card(Model):
    """A membership card number. A replaced card stays here, inactive, for history."""

    id = fields.IntField(primary_key=True)
    number = fields.CharField(max_length=16, unique=True)
    member = fields.ForeignKeyField("models.Member", related_name="cards")
    active = fields.BooleanField(default=True)
    issued_at = fields.DatetimeField()
    replaced_at = fields.DatetimeField(null=True)

    class Meta:
        table = "card"


class TierChange(Model):
    id = fields.IntField(primary_key=True)
    member = fields.ForeignKeyField("models.Member", related_name="tier_changes")
    from_tier = fields.ForeignKeyField("models.Tier", related_name=False, null=True)
    to_tier = fields.ForeignKeyField("models.Tier", related_name=False)
    created_at = fields.DatetimeField()

    class Meta:
        table = "tier_change"
