from orjson import loads
from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    """Keys of the HTTP API for tills and shops, and the requests they made (idempotency)."""

    dependencies = [("models", "0009_telegram_update")]

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
    ]
