from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from models.enums import OutboxStatus


class Migration(migrations.Migration):
    """Outbox messages of a paused or stopped campaign are held (a new status value)."""

    dependencies = [("models", "0009_telegram_update")]

    initial = False

    operations = [
        ops.AlterField(
            model_name="OutboxMessage",
            name="status",
            field=fields.CharEnumField(
                default=OutboxStatus.PENDING,
                description=(
                    "PENDING: pending\nSENDING: sending\nSENT: sent\nFAILED: failed\n"
                    "SKIPPED: skipped\nHELD: held"
                ),
                enum_type=OutboxStatus,
                max_length=7,
            ),
        ),
    ]
