from tortoise import migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    """The cashier's daily cap sums the points a staff member issued today: by staff and time."""

    dependencies = [("models", "0003_config_token")]

    initial = False

    operations = [
        ops.AddIndex(
            model_name="LedgerEntry",
            index=Index(fields=["staff_id", "created_at"]),
        ),
    ]
