from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    """The members' pages: one-time codes that sign a member in by phone."""

    dependencies = [("models", "0023_panel")]

    initial = False

    operations = [
        ops.CreateModel(
            name="WebSignInCode",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("phone_key", fields.CharField(db_index=True, max_length=64)),
                ("address_key", fields.CharField(db_index=True, max_length=64)),
                ("member_id", fields.IntField(null=True)),
                ("code_hash", fields.CharField(null=True, max_length=64)),
                ("tries", fields.IntField(default=0)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("expires_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("used_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "web_signin_code",
                "app": "models",
                "pk_attr": "id",
                "table_description": "A one-time code to sign in to the club's pages by phone.",
            },
            bases=["Model"],
        ),
    ]
