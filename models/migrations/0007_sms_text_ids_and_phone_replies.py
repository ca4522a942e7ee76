from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops

from models.sms import InboundOutcome


class Migration(migrations.Migration):
    """Kavenegar message ids kept as text (any id is stored and deduplicated); the outcome
    indexed for the sweep of undecided messages; the outbox carries SMS answers, addressed
    to the number that wrote, member or not."""

    dependencies = [("models", "0006_max_purchase")]

    initial = False

    operations = [
        # Tortoise cannot change a column's type in place: a new text column takes the ids over.
        ops.AddField(
            model_name="InboundSms",
            name="message_key",
            field=fields.CharField(null=True, max_length=64),
        ),
        ops.RunSQL(
            "UPDATE inbound_sms SET message_key = CAST(messageid AS TEXT)"
            " WHERE messageid IS NOT NULL",
            reverse_sql="UPDATE inbound_sms SET messageid = CAST(message_key AS BIGINT)"
            " WHERE message_key IS NOT NULL",
        ),
        ops.RemoveField(model_name="InboundSms", name="messageid"),
        ops.RenameField(model_name="InboundSms", old_name="message_key", new_name="messageid"),
        ops.AlterField(
            model_name="InboundSms",
            name="messageid",
            field=fields.CharField(null=True, unique=True, max_length=64),
        ),
        ops.AlterField(
            model_name="InboundSms",
            name="outcome",
            field=fields.CharEnumField(
                default=InboundOutcome.RECEIVED,
                db_index=True,
                description="RECEIVED: received\nANSWERED: answered\nHELP: help\nSILENT: silent\nNOT_MOBILE: not_mobile\nTHROTTLED: throttled\nIGNORED: ignored",
                enum_type=InboundOutcome,
                max_length=10,
            ),
        ),
        ops.AlterModelOptions(
            name="OutboxMessage",
            options={
                "table": "outbox_message",
                "app": "models",
                "pk_attr": "id",
                "table_description": "A message the club sends: to a member, or (an SMS answer) to the number that wrote.",
            },
        ),
        ops.AlterField(
            model_name="OutboxMessage",
            name="member",
            field=fields.ForeignKeyField(
                "models.Member",
                source_field="member_id",
                null=True,
                db_constraint=True,
                to_field="id",
                related_name="outbox",
                on_delete=OnDelete.CASCADE,
            ),
        ),
        ops.AddField(
            model_name="OutboxMessage",
            name="phone",
            field=fields.CharField(null=True, max_length=32),
        ),
    ]
