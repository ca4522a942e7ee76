from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    """Discounts at the till: the owner's spend levels and product groups' percentages, the
    club's two settings of how discounts combine and what points are earned on, and promo
    codes with their uses."""

    dependencies = [("models", "0014_festivals_and_reward_money")]

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
        ops.CreateModel(
            name="PromoCode",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("code", fields.CharField(unique=True, max_length=32)),
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
                        related_name="promo_codes",
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
                        related_name="promo_codes",
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
                        related_name="promo_codes",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("max_uses", fields.IntField(null=True)),
                ("max_per_member", fields.IntField(null=True)),
                ("uses", fields.IntField(default=0)),
                ("discount_total", fields.BigIntField(default=0)),
                ("sales_total", fields.BigIntField(default=0)),
                ("bonus_total", fields.BigIntField(default=0)),
                ("active", fields.BooleanField(default=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "promo_code",
                "app": "models",
                "pk_attr": "id",
                "table_description": "A code the owner hands out, used at the till with a purchase. Its figures (uses,",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="PromoUse",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "promo",
                    fields.ForeignKeyField(
                        "models.PromoCode",
                        source_field="promo_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="used",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "member",
                    fields.ForeignKeyField(
                        "models.Member",
                        source_field="member_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="promo_uses",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("branch_id", fields.IntField()),
                ("receipt", fields.CharField(max_length=64)),
                ("gross", fields.BigIntField()),
                ("discount", fields.BigIntField(default=0)),
                ("points", fields.IntField(default=0)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "promo_use",
                "app": "models",
                "unique_together": (("branch_id", "receipt"),),
                "indexes": [Index(fields=["promo_id", "member_id"])],
                "pk_attr": "id",
                "table_description": "One use of a code: one per purchase (branch and receipt).",
            },
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
