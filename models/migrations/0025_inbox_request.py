from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    """A member's message written on a page carries its form's key: posted twice, one message."""

    dependencies = [("models", "0024_web_member")]

    initial = False

    operations = [
        ops.AddField(
            model_name="InboxItem",
            name="request",
            field=fields.CharField(unique=True, max_length=64, null=True),
        ),
    ]
