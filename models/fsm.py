"""Chat state of the Telegram dialogs, kept in the database so it survives a restart."""

from tortoise import fields
from tortoise.models import Model


class FsmRecord(Model):
    """One row per storage key: the dialog state and its data as JSON text."""

    id = fields.IntField(primary_key=True)
    key = fields.CharField(max_length=255, unique=True)
    state = fields.CharField(max_length=255, null=True)
    data = fields.TextField(default="{}")

    class Meta:
        table = "fsm_record"
