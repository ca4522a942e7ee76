from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from models.giftcards import GiftCardKind, GiftCardStatus


class Migration(migrations.Migration):
    """Gift cards and their ledger; the club's currency and how long a gift card lasts."""

    dependencies = [("models", "0012_member_settings")]

    initial = False

    operations = [
        ops.CreateModel(
            name="GiftCard",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("code", fields.CharField(unique=True, max_length=20)),
                (
                    "member",
                    fields.ForeignKeyField(
                        "models.Member",
                        source_field="member_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="gift_cards",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("balance", fields.BigIntField(default=0)),
                (
                    "status",
                    fields.CharEnumField(
                        default=GiftCardStatus.ACTIVE,
                        description="ACTIVE: active\nBLOCKED: blocked",
                        enum_type=GiftCardStatus,
                        max_length=7,
                    ),
                ),
                ("issued_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                (
                    "expires_at",
                    fields.DatetimeField(
                        null=True, db_index=True, auto_now=False, auto_now_add=False
                    ),
                ),
                ("blocked_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "gift_card",
                "app": "models",
                "pk_attr": "id",
                "table_description": "A card sold for money, spent at the till.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="GiftCardEntry",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "card",
                    fields.ForeignKeyField(
                        "models.GiftCard",
                        source_field="card_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="entries",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "kind",
                    fields.CharEnumField(
                        description="ISSUE: issue\nTOPUP: topup\nSPEND: spend\nREFUND: refund\nEXPIRE: expire",
                        enum_type=GiftCardKind,
                        max_length=6,
                    ),
                ),
                ("amount", fields.BigIntField()),
                ("balance_after", fields.BigIntField()),
                ("receipt", fields.CharField(null=True, max_length=64)),
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
                (
                    "branch",
                    fields.ForeignKeyField(
                        "models.Branch",
                        source_field="branch_id",
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
                "table": "gift_card_entry",
                "app": "models",
                "indexes": [
                    Index(fields=["card_id", "created_at"]),
                    Index(fields=["card_id", "receipt"]),
                ],
                "pk_attr": "id",
                "table_description": "One movement of a card's money. Rows are only ever added, never edited.",
            },
            bases=["Model"],
        ),
        ops.AddField(
            model_name="ClubRules",
            name="currency",
            field=fields.CharField(default="toman", db_default="toman", max_length=10),
        ),
        ops.AddField(
            model_name="ClubRules",
            name="gift_card_valid_days",
            field=fields.IntField(default=0, db_default=0),
        ),
    ]
