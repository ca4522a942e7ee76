from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    """A reward added and an invitation made from the panel carry their form's key: a form
    posted twice makes one."""

    dependencies = [("models", "0029_member_name_search")]

    initial = False

    operations = [
        ops.AddField(
            model_name="Reward",
            name="request",
            field=fields.CharField(unique=True, max_length=64, null=True),
        ),
        ops.AddField(
            model_name="StaffInvite",
            name="request",
            field=fields.CharField(unique=True, max_length=64, null=True),
        ),
    ]
