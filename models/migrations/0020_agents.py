from decimal import Decimal

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from models.enums import CommissionKind, StaffRole


class Migration(migrations.Migration):
    """Agents: who brings members for a commission, the commission ledger, the member's
    agent, the club's default percent and days, and the staff role agent."""

    dependencies = [("models", "0019_partners")]

    initial = False

    operations = [
        ops.CreateModel(
            name="Agent",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("code", fields.CharField(unique=True, max_length=16)),
                ("name", fields.CharField(max_length=64)),
                (
                    "staff",
                    fields.ForeignKeyField(
                        "models.Staff",
                        source_field="staff_id",
                        null=True,
                        unique=True,
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "invite",
                    fields.ForeignKeyField(
                        "models.StaffInvite",
                        source_field="invite_id",
                        null=True,
                        unique=True,
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("percent", fields.DecimalField(null=True, max_digits=5, decimal_places=2)),
                ("days", fields.IntField(null=True)),
                ("active", fields.BooleanField(default=True)),
                ("accrued", fields.BigIntField(default=0)),
                ("paid", fields.BigIntField(default=0)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("request_key", fields.CharField(null=True, unique=True, max_length=64)),
            ],
            options={
                "table": "agent",
                "app": "models",
                "pk_attr": "id",
                "table_description": "Someone paid a commission on the purchases of members they bring.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Commission",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "agent",
                    fields.ForeignKeyField(
                        "models.Agent",
                        source_field="agent_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "kind",
                    fields.CharEnumField(
                        description="ACCRUE: accrue\nREVERSE: reverse\nPAY: pay",
                        enum_type=CommissionKind,
                        max_length=7,
                    ),
                ),
                ("amount", fields.BigIntField()),
                (
                    "member",
                    fields.ForeignKeyField(
                        "models.Member",
                        source_field="member_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "purchase",
                    fields.ForeignKeyField(
                        "models.Purchase",
                        source_field="purchase_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("base", fields.BigIntField(default=0)),
                (
                    "staff",
                    fields.ForeignKeyField(
                        "models.Staff",
                        source_field="staff_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("idempotency_key", fields.CharField(unique=True, max_length=120)),
                (
                    "created_at",
                    fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False),
                ),
            ],
            options={
                "table": "agent_commission",
                "app": "models",
                "indexes": [Index(fields=["agent_id", "created_at"])],
                "pk_attr": "id",
                "table_description": "The commission ledger: accrued, reversed and paid, per agent.",
            },
            bases=["Model"],
        ),
        ops.AddField(
            model_name="ClubRules",
            name="agent_days",
            field=fields.IntField(default=365, db_default=365),
        ),
        ops.AddField(
            model_name="ClubRules",
            name="agent_percent",
            field=fields.DecimalField(
                default=Decimal("5"), db_default=Decimal("5"), max_digits=5, decimal_places=2
            ),
        ),
        ops.AddField(
            model_name="Member",
            name="agent",
            field=fields.ForeignKeyField(
                "models.Agent",
                source_field="agent_id",
                null=True,
                db_constraint=True,
                to_field="id",
                related_name=False,
                on_delete=OnDelete.RESTRICT,
            ),
        ),
        ops.AddIndex(
            model_name="Member",
            index=Index(fields=["agent_id"]),
        ),
        ops.AlterField(
            model_name="Staff",
            name="role",
            field=fields.CharEnumField(
                description="OWNER: owner\nMANAGER: manager\nCASHIER: cashier\nPARTNER: partner\nAGENT: agent",
                enum_type=StaffRole,
                max_length=7,
            ),
        ),
        ops.AlterField(
            model_name="StaffInvite",
            name="role",
            field=fields.CharEnumField(
                description="OWNER: owner\nMANAGER: manager\nCASHIER: cashier\nPARTNER: partner\nAGENT: agent",
                enum_type=StaffRole,
                max_length=7,
            ),
        ),
    ]
