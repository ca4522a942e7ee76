"""Messages to and from members: the outbox, and the inbox staff answer."""

from tortoise import fields
from tortoise.models import Model

from models.enums import Channel, InboxKind, OutboxStatus


class OutboxMessage(Model):
    """A message the club sends: to a member, or (an SMS answer) to the number that wrote.

    Written in the same transaction as the change it tells about; a sender delivers it.
    `template` is a message code rendered in the member's language at sending time.
    """

    id = fields.BigIntField(primary_key=True)
    key = fields.CharField(max_length=160, unique=True)
    # Null for an answer to a number that is not a member's (help text to a stranger).
    member = fields.ForeignKeyField("models.Member", related_name="outbox", null=True)
    # Set for an SMS answer: it goes to the number the message came from (E.164).
    phone = fields.CharField(max_length=32, null=True)
    channel = fields.CharEnumField(Channel, null=True)  # null: the member's preferred channel
    template = fields.CharField(max_length=60)
    params = fields.JSONField(default=dict)
    campaign_id = fields.IntField(null=True, db_index=True)
    status = fields.CharEnumField(OutboxStatus, default=OutboxStatus.PENDING)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField(db_index=True)
    claimed_by = fields.CharField(
        max_length=100, null=True
    )  # the club_process id of the last claim
    last_error = fields.CharField(max_length=200, default="")
    created_at = fields.DatetimeField()
    sent_at = fields.DatetimeField(null=True)

    class Meta:
        table = "outbox_message"


class InboxItem(Model):
    """Feedback or a message from a member, waiting for staff."""

    id = fields.IntField(primary_key=True)
    member = fields.ForeignKeyField("models.Member", related_name="inbox")
    kind = fields.CharEnumField(InboxKind)
    rating = fields.IntField(null=True)
    text = fields.TextField()
    channel = fields.CharEnumField(Channel)
    created_at = fields.DatetimeField(db_index=True)
    answered_at = fields.DatetimeField(null=True)
    answered_by = fields.ForeignKeyField("models.Staff", related_name=False, null=True)
    answer = fields.TextField(null=True)
    # The door's key for a message written on a page: a form posted twice is one message.
    request = fields.CharField(max_length=64, unique=True, null=True)

    class Meta:
        table = "inbox_item"
