"""Charity: causes the owner sets up and the points members give to them (`loyalty.charity`)."""

from tortoise import fields
from tortoise.models import Model


class Cause(Model):
    """A cause members give points to; each point is worth `point_value` in the club's
    currency, which the club pays the cause."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=64)
    description = fields.CharField(max_length=300, default="")
    target = fields.IntField(null=True)  # in points; null: no target
    point_value = fields.BigIntField()
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField()
    # The request that added it (a chat message): one delivered twice adds one cause.
    request_key = fields.CharField(max_length=64, null=True, unique=True)

    class Meta:
        table = "cause"
        table_description = "A charity cause members give points to."


class CharityGift(Model):
    """Points one member gave to a cause: the ledger row of the debit, and its cause. The
    money value is fixed at the gift, so a later change of the point's value keeps it."""

    id = fields.IntField(primary_key=True)
    cause = fields.ForeignKeyField("models.Cause", related_name=False, on_delete=fields.RESTRICT)
    member = fields.ForeignKeyField("models.Member", related_name=False, on_delete=fields.RESTRICT)
    entry = fields.ForeignKeyField(
        "models.LedgerEntry", related_name=False, unique=True, on_delete=fields.RESTRICT
    )
    points = fields.IntField()
    money = fields.BigIntField()
    created_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "charity_gift"
        table_description = "Points a member gave to a charity cause, with its ledger row."
