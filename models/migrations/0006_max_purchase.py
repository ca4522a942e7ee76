from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    """The largest purchase the club accepts, a rule the owner sets."""

    dependencies = [("models", "0005_erased_voucher_code")]

    initial = False

    operations = [
        ops.AddField(
            model_name="ClubRules",
            name="max_purchase",
            field=fields.BigIntField(default=1_000_000_000, db_default=1_000_000_000),
        ),
    ]
