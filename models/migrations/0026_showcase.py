from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    """Banners on the members' card page, the gallery, and the branches' details (address,
    phone, opening hours, map link) that members read."""

    dependencies = [("models", "0025_inbox_request")]

    initial = False

    operations = [
        ops.CreateModel(
            name="Banner",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("picture", fields.CharField(max_length=40)),
                ("caption", fields.CharField(default="", max_length=200)),
                ("link", fields.CharField(default="", max_length=500)),
                ("starts_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("ends_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("position", fields.IntField(default=0)),
                ("active", fields.BooleanField(default=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "banner",
                "app": "models",
                "pk_attr": "id",
                "table_description": "A picture on the members' card page, between two dates.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="GalleryPicture",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("picture", fields.CharField(max_length=40)),
                ("caption", fields.CharField(default="", max_length=200)),
                ("position", fields.IntField(default=0)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "gallery_picture",
                "app": "models",
                "pk_attr": "id",
                "table_description": "A picture of the members' gallery page.",
            },
            bases=["Model"],
        ),
        ops.AddField(
            model_name="Branch",
            name="address",
            field=fields.CharField(default="", db_default="", max_length=300),
        ),
        ops.AddField(
            model_name="Branch",
            name="hours",
            field=fields.CharField(default="", db_default="", max_length=200),
        ),
        ops.AddField(
            model_name="Branch",
            name="map_link",
            field=fields.CharField(default="", db_default="", max_length=500),
        ),
        ops.AddField(
            model_name="Branch",
            name="phone",
            field=fields.CharField(default="", db_default="", max_length=30),
        ),
    ]
