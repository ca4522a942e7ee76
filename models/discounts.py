"""The owner's discount rules at the till: spend levels and product groups' percentages.
The arithmetic is `loyalty.discounts`; a tier's own percentage is on `Tier`."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class DiscountRule(Model):
    id = fields.IntField(primary_key=True)
    kind = fields.CharField(max_length=10)  # loyalty.discounts.Kind: "spend" or "group"
    percent = fields.DecimalField(max_digits=5, decimal_places=2)
    min_amount = fields.BigIntField(default=0)  # a spend level: from this gross amount on
    group = fields.ForeignKeyField(
        "models.ProductGroup", related_name="discount_rules", null=True, on_delete=fields.RESTRICT
    )
    branch = fields.ForeignKeyField(
        "models.Branch", related_name="discount_rules", null=True, on_delete=fields.RESTRICT
    )
    starts = fields.DateField(null=True)  # local dates of the club, both inclusive
    ends = fields.DateField(null=True)
    active = fields.BooleanField(default=True)  # off: kept for the history, no longer applied
    created_at = fields.DatetimeField()

    class Meta:
        table = "discount_rule"


class PromoCode(Model):
    """A code the owner hands out, used at the till with a purchase. Its figures (uses,
    discount given, sales, bonus points) are counters kept with each use."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=32, unique=True)  # upper case
    kind = fields.CharField(max_length=10)  # "percent", "amount" or "points"
    value = fields.DecimalField(max_digits=14, decimal_places=2)
    starts = fields.DateField(null=True)  # local dates of the club, both inclusive
    ends = fields.DateField(null=True)
    min_purchase = fields.BigIntField(default=0)
    tier = fields.ForeignKeyField(
        "models.Tier", related_name="promo_codes", null=True, on_delete=fields.RESTRICT
    )
    branch = fields.ForeignKeyField(
        "models.Branch", related_name="promo_codes", null=True, on_delete=fields.RESTRICT
    )
    group = fields.ForeignKeyField(
        "models.ProductGroup", related_name="promo_codes", null=True, on_delete=fields.RESTRICT
    )
    max_uses = fields.IntField(null=True)  # None: no limit
    max_per_member = fields.IntField(null=True)
    uses = fields.IntField(default=0)
    discount_total = fields.BigIntField(default=0)
    sales_total = fields.BigIntField(default=0)
    bonus_total = fields.BigIntField(default=0)
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField()
    # A code of a batch: made for one member of a campaign's audience, usable by them only.
    batch = fields.ForeignKeyField(
        "models.PromoBatch", related_name="codes", null=True, on_delete=fields.RESTRICT
    )
    member = fields.ForeignKeyField(
        "models.Member", related_name="promo_codes", null=True, on_delete=fields.RESTRICT
    )

    class Meta:
        table = "promo_code"
        indexes = (("batch_id", "member_id"),)


class PromoBatch(Model):
    """Unique codes sent with a campaign, one per recipient, each usable by its member only.
    A member's code is derived from `secret` (loyalty/promos.batch_code), so sending again
    gives the same member the same code."""

    id = fields.IntField(primary_key=True)
    prefix = fields.CharField(max_length=12, unique=True)  # upper case
    campaign = fields.ForeignKeyField(
        "models.Campaign", related_name="promo_batches", unique=True, on_delete=fields.RESTRICT
    )
    secret = fields.CharField(max_length=64)
    kind = fields.CharField(max_length=10)  # as PromoCode's
    value = fields.DecimalField(max_digits=14, decimal_places=2)
    starts = fields.DateField(null=True)
    ends = fields.DateField(null=True)
    min_purchase = fields.BigIntField(default=0)
    tier = fields.ForeignKeyField(
        "models.Tier", related_name="promo_batches", null=True, on_delete=fields.RESTRICT
    )
    branch = fields.ForeignKeyField(
        "models.Branch", related_name="promo_batches", null=True, on_delete=fields.RESTRICT
    )
    group = fields.ForeignKeyField(
        "models.ProductGroup", related_name="promo_batches", null=True, on_delete=fields.RESTRICT
    )
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "promo_batch"


class PromoUse(Model):
    """One use of a code: one per purchase (branch and receipt)."""

    id = fields.BigIntField(primary_key=True)
    promo = fields.ForeignKeyField(
        "models.PromoCode", related_name="used", on_delete=fields.RESTRICT
    )
    member = fields.ForeignKeyField(
        "models.Member", related_name="promo_uses", on_delete=fields.RESTRICT
    )
    branch_id = fields.IntField()
    receipt = fields.CharField(max_length=64)
    gross = fields.BigIntField()
    discount = fields.BigIntField(default=0)
    points = fields.IntField(default=0)
    created_at = fields.DatetimeField()
    returned_at = fields.DatetimeField(null=True)  # its purchase refunded: the use given back

    class Meta:
        table = "promo_use"
        unique_together = (("branch_id", "receipt"),)
        indexes = (("promo_id", "member_id"),)
