from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    """The club's look on its pages: a logo, a cover picture, an accent colour and how to
    reach it; a picture for each reward. The database defaults fill an existing club's row."""

    dependencies = [("models", "0027_import_jobs")]

    initial = False

    operations = [
        ops.AddField(
            model_name="ClubRules",
            name="logo",
            field=fields.CharField(null=True, max_length=40),
        ),
        ops.AddField(
            model_name="ClubRules",
            name="cover",
            field=fields.CharField(null=True, max_length=40),
        ),
        ops.AddField(
            model_name="ClubRules",
            name="colour",
            field=fields.CharField(default="#0f766e", db_default="#0f766e", max_length=7),
        ),
        ops.AddField(
            model_name="ClubRules",
            name="phone",
            field=fields.CharField(default="", db_default="", max_length=20),
        ),
        ops.AddField(
            model_name="ClubRules",
            name="address",
            field=fields.CharField(default="", db_default="", max_length=300),
        ),
        ops.AddField(
            model_name="ClubRules",
            name="website",
            field=fields.CharField(default="", db_default="", max_length=200),
        ),
        ops.AddField(
            model_name="ClubRules",
            name="instagram",
            field=fields.CharField(default="", db_default="", max_length=200),
        ),
        ops.AddField(
            model_name="ClubRules",
            name="about",
            field=fields.CharField(default="", db_default="", max_length=500),
        ),
        ops.AddField(
            model_name="Reward",
            name="picture",
            field=fields.CharField(null=True, max_length=40),
        ),
    ]
