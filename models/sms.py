"""SMS records: messages received on the club line, and what the dry gateway would have sent."""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class InboundOutcome(StrEnum):
    """What became of an inbound SMS; rate limits and the daily help text count these."""

    RECEIVED = "received"  # stored, not decided yet (a crash here: the sweep decides it)
    ANSWERED = "answered"
    HELP = "help"  # unknown text answered with the help text
    SILENT = "silent"  # unknown text, help already sent today
    NOT_MOBILE = "not_mobile"  # not an Iranian mobile number: recorded, never answered
    THROTTLED = "throttled"  # over the rate limit: told once to slow down
    IGNORED = "ignored"  # inside the quiet time after a throttle notice


class InboundSms(Model):
    """One SMS received on the club line, kept to dedupe, rate limit and audit replies."""

    id = fields.BigIntField(primary_key=True)
    # Kavenegar's message id, as text: whatever arrives is kept and deduplicated, digits or not.
    # Null for a message typed in locally (club sms).
    messageid = fields.CharField(max_length=64, unique=True, null=True)
    sender = fields.CharField(max_length=32, db_index=True)  # E.164 when it parses, else as sent
    receptor = fields.CharField(max_length=32, default="")
    text = fields.TextField()
    member_id = fields.IntField(null=True)
    # Indexed for the sweep, which looks for the few rows still `received`.
    outcome = fields.CharEnumField(InboundOutcome, default=InboundOutcome.RECEIVED, db_index=True)
    reply = fields.TextField(null=True)
    received_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "inbound_sms"


class SmsLog(Model):
    """An SMS the dry gateway did not send because no Kavenegar key is configured."""

    id = fields.BigIntField(primary_key=True)
    receptor = fields.CharField(max_length=32)
    message = fields.TextField()
    localid = fields.CharField(max_length=40, default="")
    created_at = fields.DatetimeField()

    class Meta:
        table = "sms_log"
