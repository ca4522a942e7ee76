"""Scheduled work: the running processes, the single-runner lease, campaigns and lotteries."""

from tortoise import fields
from tortoise.models import Model


class ClubProcess(Model):
    """A running process of the club, alive while it renews `expires_at`. Claims name it.

    A row whose `expires_at` has passed is dead for good: its process takes a new id
    rather than renew it (bot/liveness.py).
    """

    id = fields.CharField(max_length=100, primary_key=True)  # host:pid:token, new at every start
    host = fields.CharField(max_length=100)  # the host name, for people reading the table
    # Where a pid names one process: the machine's boot and the pid namespace; "" unknown.
    pid_space = fields.CharField(max_length=100, default="")
    pid = fields.IntField()
    pid_started = fields.BigIntField(default=0)  # clock ticks after boot: a reused pid has another
    started_at = fields.DatetimeField()
    expires_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "club_process"


class JobLease(Model):
    """Who runs the scheduled jobs now, kept by renewing before it expires."""

    name = fields.CharField(max_length=50, primary_key=True)
    holder = fields.CharField(max_length=100)  # a club_process id
    expires_at = fields.DatetimeField()

    class Meta:
        table = "job_lease"


class Campaign(Model):
    """A message to an audience of members, sent through the outbox at send_at."""

    id = fields.IntField(primary_key=True)
    audience = fields.JSONField(default=dict)
    # telegram, sms, or telegram_sms (Telegram, and SMS for whoever Telegram cannot reach)
    channel = fields.CharField(max_length=20)
    text = fields.TextField()
    photo = fields.CharField(max_length=200, null=True)  # a Telegram file id
    send_at = fields.DatetimeField(db_index=True)
    status = fields.CharField(max_length=20, default="scheduled")
    queued = fields.IntField(default=0)
    created_by = fields.ForeignKeyField("models.Staff", related_name=False, null=True)
    created_at = fields.DatetimeField()
    finished_at = fields.DatetimeField(null=True)
    # The request that created it (a Telegram button press): handled again, it creates no second.
    request_key = fields.CharField(max_length=100, null=True, unique=True)

    class Meta:
        table = "campaign"


class Lottery(Model):
    """A draw whose seed hash is published first and whose seed is revealed after."""

    id = fields.IntField(primary_key=True)
    audience = fields.JSONField(default=dict)
    winners_count = fields.IntField()
    points_per_ticket = fields.IntField(null=True)  # null: every member has one ticket
    seed_hash = fields.CharField(max_length=64)
    seed = fields.CharField(max_length=64)  # kept secret until drawn
    status = fields.CharField(max_length=20, default="open")
    entries = fields.JSONField(default=list)  # [member id, tickets] at the draw, published
    winners = fields.JSONField(default=list)
    created_at = fields.DatetimeField()
    drawn_at = fields.DatetimeField(null=True)

    class Meta:
        table = "lottery"
