from orjson import loads
from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    """Keys of the HTTP API for tills and shops, the requests they made (idempotency), and
    the deliveries of the club's events to their webhooks."""

    dependencies = [("models", "0010_held_campaign_messages")]

    initial = False

    operations = [
        ops.CreateModel(
            name="ApiKey",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("name", fields.CharField(max_length=64)),
                (
                    "branch",
                    fields.ForeignKeyField(
                        "models.Branch",
                        source_field="branch_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="api_keys",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("scopes", fields.CharField(max_length=200)),
                ("prefix", fields.CharField(max_length=12)),
                ("digest", fields.CharField(unique=True, max_length=64)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("revoked_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("webhook_url", fields.CharField(null=True, max_length=500)),
                ("webhook_secret", fields.CharField(null=True, max_length=64)),
            ],
            options={
                "table": "api_key",
                "app": "models",
                "pk_attr": "id",
                "table_description": "A key of the HTTP API, bound to one branch and to scopes.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="ApiRequest",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "api_key",
                    fields.ForeignKeyField(
                        "models.ApiKey",
                        source_field="api_key_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="requests",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("request_key", fields.CharField(max_length=120)),
                ("fingerprint", fields.CharField(max_length=64)),
                ("status", fields.IntField(null=True)),
                ("response", fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads)),
                (
                    "created_at",
                    fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False),
                ),
            ],
            options={
                "table": "api_request",
                "app": "models",
                "unique_together": (("api_key", "request_key"),),
                "pk_attr": "id",
                "table_description": "One write through the API, by its key's request key, and the answer it got.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="WebhookCursor",
            fields=[
                (
                    "name",
                    fields.CharField(primary_key=True, unique=True, db_index=True, max_length=30),
                ),
                ("last_id", fields.BigIntField()),
            ],
            options={
                "table": "webhook_cursor",
                "app": "models",
                "pk_attr": "name",
                "table_description": "How far the events of one kind were read: the last id of their table handed out.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="WebhookDelivery",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "api_key",
                    fields.ForeignKeyField(
                        "models.ApiKey",
                        source_field="api_key_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="deliveries",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("event", fields.CharField(max_length=30)),
                ("source", fields.CharField(max_length=60)),
                ("payload", fields.JSONField(encoder=JSON_DUMPS, decoder=loads)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                (
                    "next_attempt_at",
                    fields.DatetimeField(
                        null=True, db_index=True, auto_now=False, auto_now_add=False
                    ),
                ),
                ("attempts", fields.IntField(default=0)),
                (
                    "delivered_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("last_error", fields.CharField(default="", max_length=200)),
            ],
            options={
                "table": "webhook_delivery",
                "app": "models",
                "unique_together": (("api_key", "source"),),
                "pk_attr": "id",
                "table_description": "One event for one key's webhook, sent until it is answered 2xx (at least once).",
            },
            bases=["Model"],
        ),
    ]
