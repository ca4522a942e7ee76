"""Telegram updates as they came, stored before they are handled."""

from tortoise import fields
from tortoise.models import Model


class TelegramUpdate(Model):
    """One update, stored before Telegram is told it arrived (bot/updates.py).

    A row without `handled_at` is handled after a crash; handled rows are kept a day, so a
    late re-send of the same update by Telegram is recognised and dropped.
    """

    update_id = fields.BigIntField(primary_key=True, generated=False)  # Telegram's
    # Updates of one chat (or of one user, outside chats) are handled in order, one at a time.
    chat_id = fields.BigIntField()
    body = fields.TextField()  # the update's JSON
    received_at = fields.DatetimeField()
    handled_at = fields.DatetimeField(null=True, db_index=True)

    class Meta:
        table = "telegram_update"
        indexes = (("chat_id", "handled_at"),)
