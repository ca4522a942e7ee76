from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops

from models.enums import CodeSource, StaffRole


class Migration(migrations.Migration):
    """Partners: businesses whose offers (rewards with a partner and a code source) members
    take, the codes they upload, and their staff (the partner role, tied to one partner)."""

    dependencies = [("models", "0018_promo_batches")]

    initial = False

    operations = [
        ops.CreateModel(
            name="Partner",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("name", fields.CharField(max_length=64)),
                ("description", fields.CharField(default="", max_length=300)),
                ("contact", fields.CharField(default="", max_length=100)),
                ("logo_file_id", fields.CharField(null=True, max_length=200)),
                ("active", fields.BooleanField(default=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("request_key", fields.CharField(null=True, unique=True, max_length=64)),
            ],
            options={
                "table": "partner",
                "app": "models",
                "pk_attr": "id",
                "table_description": "A business whose offers members take for points.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="PartnerCode",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "reward",
                    fields.ForeignKeyField(
                        "models.Reward",
                        source_field="reward_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("code", fields.CharField(unique=True, max_length=16)),
                (
                    "voucher",
                    fields.ForeignKeyField(
                        "models.Voucher",
                        source_field="voucher_id",
                        null=True,
                        unique=True,
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "partner_code",
                "app": "models",
                "pk_attr": "id",
                "table_description": "A code uploaded for a partner's offer, and the voucher it became.",
            },
            bases=["Model"],
        ),
        ops.AddField(
            model_name="Reward",
            name="code_source",
            field=fields.CharEnumField(
                default=CodeSource.CLUB,
                description="CLUB: club\nUPLOAD: upload",
                db_default="club",
                enum_type=CodeSource,
                max_length=6,
            ),
        ),
        ops.AddField(
            model_name="Reward",
            name="partner",
            field=fields.ForeignKeyField(
                "models.Partner",
                source_field="partner_id",
                null=True,
                db_constraint=True,
                to_field="id",
                related_name=False,
                on_delete=OnDelete.RESTRICT,
            ),
        ),
        ops.AlterField(
            model_name="Staff",
            name="role",
            field=fields.CharEnumField(
                description="OWNER: owner\nMANAGER: manager\nCASHIER: cashier\nPARTNER: partner",
                enum_type=StaffRole,
                max_length=7,
            ),
        ),
        ops.AddField(
            model_name="Staff",
            name="partner",
            field=fields.ForeignKeyField(
                "models.Partner",
                source_field="partner_id",
                null=True,
                db_constraint=True,
                to_field="id",
                related_name=False,
                on_delete=OnDelete.RESTRICT,
            ),
        ),
        ops.AlterField(
            model_name="StaffInvite",
            name="role",
            field=fields.CharEnumField(
                description="OWNER: owner\nMANAGER: manager\nCASHIER: cashier\nPARTNER: partner",
                enum_type=StaffRole,
                max_length=7,
            ),
        ),
        ops.AddField(
            model_name="StaffInvite",
            name="partner",
            field=fields.ForeignKeyField(
                "models.Partner",
                source_field="partner_id",
                null=True,
                db_constraint=True,
                to_field="id",
                related_name=False,
                on_delete=OnDelete.RESTRICT,
            ),
        ),
    ]
