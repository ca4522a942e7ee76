from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    """Discounts at the till: the owner's spend levels and product groups' percentages, and
    the club's two settings of how discounts combine and what points are earned on."""

    dependencies = [("models", "0011_api_keys")]

    initial = False

    operations = [
        ops.CreateModel(
            name="DiscountRule",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("kind", fields.CharField(max_length=10)),
                ("percent", fields.DecimalField(max_digits=5, decimal_places=2)),
                ("min_amount", fields.BigIntField(default=0)),
                (
                    "group",
                    fields.ForeignKeyField(
                        "models.ProductGroup",
                        source_field="group_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="discount_rules",
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
                        related_name="discount_rules",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("starts", fields.DateField(null=True)),
                ("ends", fields.DateField(null=True)),
                ("active", fields.BooleanField(default=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={"table": "discount_rule", "app": "models", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.AddField(
            model_name="ClubRules",
            name="discount_stacking",
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AddField(
            model_name="ClubRules",
            name="points_on_paid",
            field=fields.BooleanField(default=True, db_default=True),
        ),
    ]
