import functools
from decimal import Decimal
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from models.enums import (
    Channel,
    CustomerType,
    EntryKind,
    Gender,
    InboxKind,
    OutboxStatus,
    RewardKind,
    StaffRole,
    VoucherStatus,
)
from models.sms import InboundOutcome


class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name="Branch",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("name", fields.CharField(unique=True, max_length=100)),
                ("earn_rate", fields.DecimalField(null=True, max_digits=10, decimal_places=4)),
                ("currency_unit", fields.BigIntField(null=True)),
                ("min_purchase", fields.BigIntField(null=True)),
                ("active", fields.BooleanField(default=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={"table": "branch", "app": "models", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="ClubRules",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("name", fields.CharField(default="Club", max_length=100)),
                ("points_name", fields.CharField(default="", max_length=50)),
                ("currency_unit", fields.BigIntField(default=10000)),
                (
                    "earn_rate",
                    fields.DecimalField(default=Decimal("1"), max_digits=10, decimal_places=4),
                ),
                ("min_purchase", fields.BigIntField(default=0)),
                ("signup_bonus", fields.IntField(default=20)),
                ("birthday_bonus", fields.IntField(default=0)),
                ("birthday_reward_id", fields.IntField(null=True)),
                ("referral_bonus_referrer", fields.IntField(default=50)),
                ("referral_bonus_referred", fields.IntField(default=20)),
                ("feedback_bonus", fields.IntField(default=5)),
                ("expiry_days", fields.IntField(default=365)),
                ("voucher_valid_days", fields.IntField(default=30)),
                ("tier_window_days", fields.IntField(default=365)),
                ("cashier_daily_cap", fields.IntField(default=1000)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "club_rules",
                "app": "models",
                "pk_attr": "id",
                "table_description": "The rules of the club, editable by the owner: a single row with id 1, made at start-up.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="FsmRecord",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("key", fields.CharField(unique=True, max_length=255)),
                ("state", fields.CharField(null=True, max_length=255)),
                ("data", fields.TextField(default="{}", unique=False)),
            ],
            options={
                "table": "fsm_record",
                "app": "models",
                "pk_attr": "id",
                "table_description": "One row per storage key: the dialog state and its data as JSON text.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="InboundSms",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                ("messageid", fields.BigIntField(null=True, unique=True)),
                ("sender", fields.CharField(db_index=True, max_length=32)),
                ("receptor", fields.CharField(default="", max_length=32)),
                ("text", fields.TextField(unique=False)),
                ("member_id", fields.IntField(null=True)),
                (
                    "outcome",
                    fields.CharEnumField(
                        default=InboundOutcome.RECEIVED,
                        description="RECEIVED: received\nANSWERED: answered\nHELP: help\nSILENT: silent\nNOT_MOBILE: not_mobile\nTHROTTLED: throttled\nIGNORED: ignored",
                        enum_type=InboundOutcome,
                        max_length=10,
                    ),
                ),
                ("reply", fields.TextField(null=True, unique=False)),
                (
                    "received_at",
                    fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False),
                ),
            ],
            options={
                "table": "inbound_sms",
                "app": "models",
                "pk_attr": "id",
                "table_description": "One SMS received on the club line, kept to dedupe, rate limit and audit replies.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="JobLease",
            fields=[
                (
                    "name",
                    fields.CharField(primary_key=True, unique=True, db_index=True, max_length=50),
                ),
                ("holder", fields.CharField(max_length=100)),
                ("expires_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "job_lease",
                "app": "models",
                "pk_attr": "name",
                "table_description": "Who runs the scheduled jobs now, kept by renewing before it expires.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Lottery",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "audience",
                    fields.JSONField(
                        default=dict,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("winners_count", fields.IntField()),
                ("points_per_ticket", fields.IntField(null=True)),
                ("seed_hash", fields.CharField(max_length=64)),
                ("seed", fields.CharField(max_length=64)),
                ("status", fields.CharField(default="open", max_length=20)),
                (
                    "entries",
                    fields.JSONField(
                        default=list,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                (
                    "winners",
                    fields.JSONField(
                        default=list,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("drawn_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "lottery",
                "app": "models",
                "pk_attr": "id",
                "table_description": "A draw whose seed hash is published first and whose seed is revealed after.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="ProductGroup",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("name", fields.CharField(unique=True, max_length=100)),
                (
                    "multiplier",
                    fields.DecimalField(default=Decimal("1"), max_digits=6, decimal_places=2),
                ),
                ("active", fields.BooleanField(default=True)),
            ],
            options={"table": "product_group", "app": "models", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="SmsLog",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                ("receptor", fields.CharField(max_length=32)),
                ("message", fields.TextField(unique=False)),
                ("localid", fields.CharField(default="", max_length=40)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "sms_log",
                "app": "models",
                "pk_attr": "id",
                "table_description": "An SMS the dry gateway did not send because no Kavenegar key is configured.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Staff",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("telegram_id", fields.BigIntField(unique=True)),
                ("name", fields.CharField(default="", max_length=100)),
                (
                    "role",
                    fields.CharEnumField(
                        description="OWNER: owner\nMANAGER: manager\nCASHIER: cashier",
                        enum_type=StaffRole,
                        max_length=7,
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
                        related_name="staff",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("active", fields.BooleanField(default=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={"table": "staff", "app": "models", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="AuditEntry",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "staff",
                    fields.ForeignKeyField(
                        "models.Staff",
                        source_field="staff_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="audit",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("actor", fields.CharField(default="", max_length=50)),
                ("action", fields.CharField(max_length=50)),
                (
                    "details",
                    fields.JSONField(
                        default=dict,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                (
                    "created_at",
                    fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False),
                ),
            ],
            options={"table": "audit_entry", "app": "models", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Campaign",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "audience",
                    fields.JSONField(
                        default=dict,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("channel", fields.CharField(max_length=20)),
                ("text", fields.TextField(unique=False)),
                ("photo", fields.CharField(null=True, max_length=200)),
                (
                    "send_at",
                    fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False),
                ),
                ("status", fields.CharField(default="scheduled", max_length=20)),
                ("queued", fields.IntField(default=0)),
                (
                    "created_by",
                    fields.ForeignKeyField(
                        "models.Staff",
                        source_field="created_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                (
                    "finished_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
            ],
            options={
                "table": "campaign",
                "app": "models",
                "pk_attr": "id",
                "table_description": "A message to an audience of members, sent through the outbox at send_at.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="PendingApproval",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("kind", fields.CharField(max_length=20)),
                (
                    "payload",
                    fields.JSONField(
                        default=dict,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("points", fields.BigIntField(default=0)),
                (
                    "staff",
                    fields.ForeignKeyField(
                        "models.Staff",
                        source_field="staff_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.CASCADE,
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
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("status", fields.CharField(default="pending", max_length=10)),
                (
                    "decided_by",
                    fields.ForeignKeyField(
                        "models.Staff",
                        source_field="decided_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("decided_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "pending_approval",
                "app": "models",
                "pk_attr": "id",
                "table_description": "A cashier action above the daily cap, held until a manager decides.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="StaffInvite",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("token", fields.CharField(unique=True, max_length=40)),
                (
                    "role",
                    fields.CharEnumField(
                        description="OWNER: owner\nMANAGER: manager\nCASHIER: cashier",
                        enum_type=StaffRole,
                        max_length=7,
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
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "created_by",
                    fields.ForeignKeyField(
                        "models.Staff",
                        source_field="created_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("used_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                (
                    "used_by",
                    fields.ForeignKeyField(
                        "models.Staff",
                        source_field="used_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
            ],
            options={
                "table": "staff_invite",
                "app": "models",
                "pk_attr": "id",
                "table_description": "A one-time deep link that grants a role and a branch to whoever opens it first.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Tier",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("code", fields.CharField(unique=True, max_length=30)),
                ("name", fields.CharField(null=True, max_length=50)),
                ("threshold", fields.IntField(default=0)),
                (
                    "multiplier",
                    fields.DecimalField(default=Decimal("1"), max_digits=6, decimal_places=2),
                ),
                ("discount_percent", fields.IntField(default=0)),
            ],
            options={
                "table": "tier",
                "app": "models",
                "pk_attr": "id",
                "table_description": "A level members reach by points earned in the tier window.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Member",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("phone", fields.CharField(null=True, unique=True, max_length=20)),
                ("telegram_id", fields.BigIntField(null=True, unique=True)),
                ("first_name", fields.CharField(default="", max_length=64)),
                ("last_name", fields.CharField(default="", max_length=64)),
                (
                    "gender",
                    fields.CharEnumField(
                        default=Gender.UNSPECIFIED,
                        description="MALE: male\nFEMALE: female\nUNSPECIFIED: unspecified",
                        enum_type=Gender,
                        max_length=11,
                    ),
                ),
                ("birth_date", fields.DateField(null=True)),
                (
                    "customer_type",
                    fields.CharEnumField(
                        default=CustomerType.INDIVIDUAL,
                        description="INDIVIDUAL: individual\nCOMPANY: company",
                        enum_type=CustomerType,
                        max_length=10,
                    ),
                ),
                ("company_name", fields.CharField(default="", max_length=128)),
                (
                    "company_earn_rate",
                    fields.DecimalField(null=True, max_digits=10, decimal_places=4),
                ),
                (
                    "interests",
                    fields.ManyToManyField(
                        "models.ProductGroup",
                        unique=True,
                        db_constraint=True,
                        through="member_interest",
                        forward_key="productgroup_id",
                        backward_key="member_id",
                        related_name="members",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("locale", fields.CharField(default="fa", max_length=5)),
                (
                    "preferred_channel",
                    fields.CharEnumField(
                        default=Channel.TELEGRAM,
                        description="TELEGRAM: telegram\nSMS: sms",
                        enum_type=Channel,
                        max_length=8,
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
                        related_name="members",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("consent_telegram", fields.BooleanField(default=True)),
                ("consent_sms", fields.BooleanField(default=True)),
                ("reachable_telegram", fields.BooleanField(default=True)),
                ("reachable_sms", fields.BooleanField(default=True)),
                ("balance", fields.BigIntField(default=0)),
                (
                    "tier",
                    fields.ForeignKeyField(
                        "models.Tier",
                        source_field="tier_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="members",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("referral_code", fields.CharField(unique=True, max_length=16)),
                (
                    "referred_by",
                    fields.ForeignKeyField(
                        "models.Member",
                        source_field="referred_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="referrals",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("joined_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                (
                    "last_purchase_at",
                    fields.DatetimeField(
                        null=True, db_index=True, auto_now=False, auto_now_add=False
                    ),
                ),
                ("deleted_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={"table": "member", "app": "models", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Card",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("number", fields.CharField(unique=True, max_length=16)),
                (
                    "member",
                    fields.ForeignKeyField(
                        "models.Member",
                        source_field="member_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="cards",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("active", fields.BooleanField(default=True)),
                ("issued_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                (
                    "replaced_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
            ],
            options={
                "table": "card",
                "app": "models",
                "pk_attr": "id",
                "table_description": "A membership card number. A replaced card stays here, inactive, for history.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="InboxItem",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "member",
                    fields.ForeignKeyField(
                        "models.Member",
                        source_field="member_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="inbox",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "kind",
                    fields.CharEnumField(
                        description="FEEDBACK: feedback\nMESSAGE: message",
                        enum_type=InboxKind,
                        max_length=8,
                    ),
                ),
                ("rating", fields.IntField(null=True)),
                ("text", fields.TextField(unique=False)),
                (
                    "channel",
                    fields.CharEnumField(
                        description="TELEGRAM: telegram\nSMS: sms", enum_type=Channel, max_length=8
                    ),
                ),
                (
                    "created_at",
                    fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False),
                ),
                (
                    "answered_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                (
                    "answered_by",
                    fields.ForeignKeyField(
                        "models.Staff",
                        source_field="answered_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("answer", fields.TextField(null=True, unique=False)),
            ],
            options={
                "table": "inbox_item",
                "app": "models",
                "pk_attr": "id",
                "table_description": "Feedback or a message from a member, waiting for staff.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="OutboxMessage",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                ("key", fields.CharField(unique=True, max_length=160)),
                (
                    "member",
                    fields.ForeignKeyField(
                        "models.Member",
                        source_field="member_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="outbox",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "channel",
                    fields.CharEnumField(
                        null=True,
                        description="TELEGRAM: telegram\nSMS: sms",
                        enum_type=Channel,
                        max_length=8,
                    ),
                ),
                ("template", fields.CharField(max_length=60)),
                (
                    "params",
                    fields.JSONField(
                        default=dict,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("campaign_id", fields.IntField(null=True, db_index=True)),
                (
                    "status",
                    fields.CharEnumField(
                        default=OutboxStatus.PENDING,
                        description="PENDING: pending\nSENDING: sending\nSENT: sent\nFAILED: failed\nSKIPPED: skipped",
                        enum_type=OutboxStatus,
                        max_length=7,
                    ),
                ),
                ("attempts", fields.IntField(default=0)),
                (
                    "next_attempt_at",
                    fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False),
                ),
                ("last_error", fields.CharField(default="", max_length=200)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("sent_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "outbox_message",
                "app": "models",
                "pk_attr": "id",
                "table_description": "A message to a member that is not the direct answer to what they just sent.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Purchase",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "branch",
                    fields.ForeignKeyField(
                        "models.Branch",
                        source_field="branch_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="purchases",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("receipt", fields.CharField(max_length=64)),
                (
                    "member",
                    fields.ForeignKeyField(
                        "models.Member",
                        source_field="member_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="purchases",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("amount", fields.BigIntField()),
                (
                    "product_group",
                    fields.ForeignKeyField(
                        "models.ProductGroup",
                        source_field="product_group_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("points", fields.BigIntField()),
                ("refunded_amount", fields.BigIntField(default=0)),
                ("refunded_points", fields.BigIntField(default=0)),
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
                    "created_at",
                    fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False),
                ),
            ],
            options={
                "table": "purchase",
                "app": "models",
                "unique_together": (("branch", "receipt"),),
                "indexes": [Index(fields=["member_id", "created_at"])],
                "pk_attr": "id",
                "table_description": "A purchase at a branch, identified by its receipt number there.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Reward",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("name", fields.CharField(max_length=100)),
                ("description", fields.CharField(default="", max_length=500)),
                (
                    "kind",
                    fields.CharEnumField(
                        default=RewardKind.PRODUCT,
                        description="PRODUCT: product\nFIXED_DISCOUNT: fixed_discount\nPERCENT_DISCOUNT: percent_discount",
                        enum_type=RewardKind,
                        max_length=16,
                    ),
                ),
                ("value", fields.BigIntField(default=0)),
                (
                    "product_group",
                    fields.ForeignKeyField(
                        "models.ProductGroup",
                        source_field="product_group_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("cost", fields.IntField()),
                ("stock", fields.IntField(null=True)),
                (
                    "min_tier",
                    fields.ForeignKeyField(
                        "models.Tier",
                        source_field="min_tier_id",
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
                        related_name="rewards",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("valid_from", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                (
                    "valid_until",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("active", fields.BooleanField(default=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={"table": "reward", "app": "models", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="TierChange",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "member",
                    fields.ForeignKeyField(
                        "models.Member",
                        source_field="member_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="tier_changes",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "from_tier",
                    fields.ForeignKeyField(
                        "models.Tier",
                        source_field="from_tier_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "to_tier",
                    fields.ForeignKeyField(
                        "models.Tier",
                        source_field="to_tier_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={"table": "tier_change", "app": "models", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Voucher",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("code", fields.CharField(unique=True, max_length=16)),
                (
                    "member",
                    fields.ForeignKeyField(
                        "models.Member",
                        source_field="member_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="vouchers",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "reward",
                    fields.ForeignKeyField(
                        "models.Reward",
                        source_field="reward_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="vouchers",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("cost", fields.IntField()),
                (
                    "status",
                    fields.CharEnumField(
                        default=VoucherStatus.ISSUED,
                        description="ISSUED: issued\nUSED: used\nCANCELLED: cancelled\nEXPIRED: expired",
                        enum_type=VoucherStatus,
                        max_length=9,
                    ),
                ),
                ("issued_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                (
                    "expires_at",
                    fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False),
                ),
                ("used_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                (
                    "used_by",
                    fields.ForeignKeyField(
                        "models.Staff",
                        source_field="used_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "used_branch",
                    fields.ForeignKeyField(
                        "models.Branch",
                        source_field="used_branch_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
            ],
            options={"table": "voucher", "app": "models", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="LedgerEntry",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "member",
                    fields.ForeignKeyField(
                        "models.Member",
                        source_field="member_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="ledger",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "kind",
                    fields.CharEnumField(
                        description="EARN: earn\nBONUS: bonus\nREDEEM: redeem\nADJUST: adjust\nREVERSE: reverse\nEXPIRE: expire\nREFUND: refund",
                        enum_type=EntryKind,
                        max_length=7,
                    ),
                ),
                ("amount", fields.BigIntField()),
                ("reason", fields.CharField(max_length=40)),
                ("note", fields.CharField(default="", max_length=200)),
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
                (
                    "purchase",
                    fields.ForeignKeyField(
                        "models.Purchase",
                        source_field="purchase_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="entries",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "voucher",
                    fields.ForeignKeyField(
                        "models.Voucher",
                        source_field="voucher_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="entries",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "reverses",
                    fields.ForeignKeyField(
                        "models.LedgerEntry",
                        source_field="reverses_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="reversed_by",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "expires_at",
                    fields.DatetimeField(
                        null=True, db_index=True, auto_now=False, auto_now_add=False
                    ),
                ),
                ("idempotency_key", fields.CharField(unique=True, max_length=120)),
                (
                    "created_at",
                    fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False),
                ),
            ],
            options={
                "table": "ledger_entry",
                "app": "models",
                "indexes": [Index(fields=["member_id", "created_at"])],
                "pk_attr": "id",
                "table_description": "One change of the points of a member. Rows are only ever added, never edited.",
            },
            bases=["Model"],
        ),
    ]
