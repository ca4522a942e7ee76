from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    """Voucher codes of members who asked to be forgotten, kept only as digests."""

    dependencies = [("models", "0004_staff_day_index")]

    initial = False

    operations = [
        ops.CreateModel(
            name="ErasedVoucherCode",
            fields=[
                (
                    "digest",
                    fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64),
                ),
            ],
            options={
                "table": "erased_voucher_code",
                "app": "models",
                "pk_attr": "digest",
                "table_description": "The digest of the code of a voucher cancelled because its member asked to be forgotten.",
            },
            bases=["Model"],
        ),
    ]
