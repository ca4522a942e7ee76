from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    """Promo batches: unique codes sent with a campaign, one per recipient and usable by that
    member only; and a code's use given back when its purchase is refunded."""

    dependencies = [("models", "0017_discount_rules_token")]

    initial = False

    operations = [
        ops.CreateModel(
            name="PromoBatch",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("prefix", fields.CharField(unique=True, max_length=12)),
                (
                    "campaign",
                    fields.ForeignKeyField(
                        "models.Campaign",
                        source_field="campaign_id",
                        unique=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="promo_batches",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("secret", fields.CharField(max_length=64)),
                ("kind", fields.CharField(max_length=10)),
                ("value", fields.DecimalField(max_digits=14, decimal_places=2)),
                ("starts", fields.DateField(null=True)),
                ("ends", fields.DateField(null=True)),
                ("min_purchase", fields.BigIntField(default=0)),
                (
                    "tier",
                    fields.ForeignKeyField(
                        "models.Tier",
                        source_field="tier_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="promo_batches",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "branch",
                    fields.ForeignKeyField(
                        "models.Branch",
                        source_field="branch_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="promo_batches",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "group",
                    fields.ForeignKeyField(
                        "models.ProductGroup",
                        source_field="group_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="promo_batches",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("active", fields.BooleanField(default=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "promo_batch",
                "app": "models",
                "pk_attr": "id",
                "table_description": (
                    "Unique codes sent with a campaign, one per recipient, each usable by its "
                    "member only."
                ),
            },
            bases=["Model"],
        ),
        ops.AddField(
            model_name="PromoCode",
            name="batch",
            field=fields.ForeignKeyField(
                "models.PromoBatch",
                source_field="batch_id",
                null=True,
                db_constraint=True,
                to_field="id",
                related_name="codes",
                on_delete=OnDelete.RESTRICT,
            ),
        ),
        ops.AddField(
            model_name="PromoCode",
            name="member",
            field=fields.ForeignKeyField(
                "models.Member",
                source_field="member_id",
                null=True,
                db_constraint=True,
                to_field="id",
                related_name="promo_codes",
                on_delete=OnDelete.RESTRICT,
            ),
        ),
        ops.AddIndex(model_name="PromoCode", index=Index(fields=["batch_id", "member_id"])),
        ops.AddField(
            model_name="PromoUse",
            name="returned_at",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
