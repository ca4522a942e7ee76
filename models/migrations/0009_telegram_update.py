from tortoise import fields, migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    """Telegram updates stored before they are handled, so none is lost in a crash; and the key
    of the request that created a campaign, so an update handled again creates no second."""

    dependencies = [("models", "0008_claim_holders")]

    initial = False

    operations = [
        ops.CreateModel(
            name="TelegramUpdate",
            fields=[
                (
                    "update_id",
                    fields.BigIntField(
                        generated=False, primary_key=True, unique=True, db_index=True
                    ),
                ),
                ("chat_id", fields.BigIntField()),
                ("body", fields.TextField(unique=False)),
                ("received_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                (
                    "handled_at",
                    fields.DatetimeField(
                        null=True, db_index=True, auto_now=False, auto_now_add=False
                    ),
                ),
            ],
            options={
                "table": "telegram_update",
                "app": "models",
                "indexes": [Index(fields=["chat_id", "handled_at"])],
                "pk_attr": "update_id",
                "table_description": "One update, stored before Telegram is told it arrived (bot/updates.py).",
            },
            bases=["Model"],
        ),
        ops.AddField(
            model_name="Campaign",
            name="request_key",
            field=fields.CharField(null=True, unique=True, max_length=100),
        ),
    ]
