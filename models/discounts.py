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
