from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops

from models.enums import CustomerType


class Migration(migrations.Migration):
    """A member's tier floor (set by staff or brought by an import), which the periodic
    review never goes below; rewards kept for one customer type; and the request that
    replaced a lost card, so that a repeated request replaces it once."""

    dependencies = [("models", "0011_api_keys")]

    initial = False

    operations = [
        ops.AddField(
            model_name="Member",
            name="tier_floor",
            field=fields.ForeignKeyField(
                "models.Tier",
                source_field="tier_floor_id",
                null=True,
                db_constraint=True,
                to_field="id",
                related_name=False,
                on_delete=OnDelete.RESTRICT,
            ),
        ),
        ops.AddField(
            model_name="Reward",
            name="customer_type",
            field=fields.CharEnumField(
                description="INDIVIDUAL: individual\nCOMPANY: company",
                enum_type=CustomerType,
                max_length=10,
                null=True,
            ),
        ),
        ops.AddField(
            model_name="Card",
            name="request",
            field=fields.CharField(unique=True, max_length=64, null=True),
        ),
    ]
