"""Festivals: time-bound earning multipliers the owner sets (`loyalty.festivals`)."""

from decimal import Decimal

from tortoise import fields
from tortoise.models import Model


class Festival(Model):
    """A multiplier on purchase points from `starts_at` until `ends_at` (UTC, end excluded),
    for one branch, product group or tier, or for every purchase where these are null."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=64)
    multiplier = fields.DecimalField(max_digits=6, decimal_places=2, default=Decimal("1"))
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField()
    branch = fields.ForeignKeyField(
        "models.Branch", related_name=False, null=True, on_delete=fields.RESTRICT
    )
    product_group = fields.ForeignKeyField(
        "models.ProductGroup", related_name=False, null=True, on_delete=fields.RESTRICT
    )
    tier = fields.ForeignKeyField(
        "models.Tier", related_name=False, null=True, on_delete=fields.RESTRICT
    )
    ended_at = fields.DatetimeField(null=True)  # when the owner ended it early (ends_at too)
    created_at = fields.DatetimeField()
    # The request that added it (a chat message): one delivered twice adds one festival.
    request_key = fields.CharField(max_length=64, null=True, unique=True)

    class Meta:
        table = "festival"
        table_description = "A time-bound earning multiplier, by branch, product group or tier."
