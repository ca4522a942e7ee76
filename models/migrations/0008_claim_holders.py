from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    """The running processes, and who holds each outbox claim: a dead holder's are free at once."""

    dependencies = [("models", "0007_sms_text_ids_and_phone_replies")]

    initial = False

    operations = [
        ops.CreateModel(
            name="ClubProcess",
            fields=[
                (
                    "id",
                    fields.CharField(primary_key=True, unique=True, db_index=True, max_length=100),
                ),
                ("host", fields.CharField(max_length=100)),
                ("pid_space", fields.CharField(default="", max_length=100)),
                ("pid", fields.IntField()),
                ("pid_started", fields.BigIntField(default=0)),
                ("started_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                (
                    "expires_at",
                    fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False),
                ),
            ],
            options={
                "table": "club_process",
                "app": "models",
                "pk_attr": "id",
                "table_description": "A running process of the club, alive while it renews `expires_at`. Claims name it.",
            },
            bases=["Model"],
        ),
        ops.AddField(
            model_name="OutboxMessage",
            name="claimed_by",
            field=fields.CharField(null=True, max_length=100),
        ),
    ]
