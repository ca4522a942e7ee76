from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops

from models.enums import EntryKind


class Migration(migrations.Migration):
    """Charity: the owner's causes, the points members give them (each gift with its ledger
    row), the club's smallest gift, and the ledger's new kind of row."""

    dependencies = [("models", "0015_discounts_and_promos")]

    initial = False

    operations = [
        ops.CreateModel(
            name="Cause",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("name", fields.CharField(max_length=64)),
                ("description", fields.CharField(default="", max_length=300)),
                ("target", fields.IntField(null=True)),
                ("point_value", fields.BigIntField()),
                ("active", fields.BooleanField(default=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("request_key", fields.CharField(null=True, unique=True, max_length=64)),
            ],
            options={
                "table": "cause",
                "app": "models",
                "pk_attr": "id",
                "table_description": "A charity cause members give points to.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="CharityGift",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "cause",
                    fields.ForeignKeyField(
                        "models.Cause",
                        source_field="cause_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
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
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "entry",
                    fields.ForeignKeyField(
                        "models.LedgerEntry",
                        source_field="entry_id",
                        unique=True,
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("points", fields.IntField()),
                ("money", fields.BigIntField()),
                (
                    "created_at",
                    fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False),
                ),
            ],
            options={
                "table": "charity_gift",
                "app": "models",
                "pk_attr": "id",
                "table_description": "Points a member gave to a charity cause, with its ledger row.",
            },
            bases=["Model"],
        ),
        ops.AddField(
            model_name="ClubRules",
            name="charity_min",
            field=fields.IntField(default=10, db_default=10),
        ),
        ops.AlterField(
            model_name="LedgerEntry",
            name="kind",
            field=fields.CharEnumField(
                description="EARN: earn\nBONUS: bonus\nREDEEM: redeem\nADJUST: adjust\nREVERSE: reverse\nEXPIRE: expire\nREFUND: refund\nGIVE: give",
                enum_type=EntryKind,
                max_length=7,
            ),
        ),
    ]
