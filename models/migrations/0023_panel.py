from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    """The owner's panel: one-time sign-in links (their tokens hashed), and indexes for
    listing members by join date or balance, of one branch or of all."""

    dependencies = [("models", "0022_restore_indexes")]

    initial = False

    operations = [
        ops.CreateModel(
            name="PanelLink",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("token_hash", fields.CharField(unique=True, max_length=64)),
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
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("expires_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("used_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "panel_link",
                "app": "models",
                "pk_attr": "id",
                "table_description": (
                    "A one-time link into the owner's panel (`/panel` in the bot): only the token's"
                ),
            },
            bases=["Model"],
        ),
        ops.AddIndex(model_name="Member", index=Index(fields=["joined_at"])),
        ops.AddIndex(model_name="Member", index=Index(fields=["balance"])),
        ops.AddIndex(model_name="Member", index=Index(fields=["branch_id", "joined_at"])),
    ]
