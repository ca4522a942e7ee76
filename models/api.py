"""Keys of the shop's own systems (tills, online shops) and the requests they made."""

from tortoise import fields
from tortoise.models import Model


class ApiKey(Model):
    """A key of the HTTP API, bound to one branch and to scopes.

    Only the SHA-256 of the secret is kept: the secret is random and long, so a digest
    without salt or stretching cannot be reversed, and it is shown once, when made.
    """

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=64)
    branch = fields.ForeignKeyField(
        "models.Branch", related_name="api_keys", on_delete=fields.RESTRICT
    )
    scopes = fields.CharField(
        max_length=200
    )  # comma-separated, e.g. "members:read,purchases:write"
    prefix = fields.CharField(max_length=12)  # the start of the secret, to tell keys apart
    digest = fields.CharField(max_length=64, unique=True)  # sha256 of the secret, hex
    created_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)
    # Where the club posts its events for this key (loyalty.webhooks), and the secret that
    # signs them: kept as it is, since every delivery is signed with it.
    webhook_url = fields.CharField(max_length=500, null=True)
    webhook_secret = fields.CharField(max_length=64, null=True)

    class Meta:
        table = "api_key"


class ApiRequest(Model):
    """One write through the API, by its key's request key, and the answer it got.

    The unique (key, request key) pair lets only one of several concurrent repeats do the
    work; the others find the stored answer. `status` is null while the first is at work.
    """

    id = fields.BigIntField(primary_key=True)
    api_key = fields.ForeignKeyField(
        "models.ApiKey", related_name="requests", on_delete=fields.RESTRICT
    )
    request_key = fields.CharField(max_length=120)
    fingerprint = fields.CharField(max_length=64)  # sha256 of method, path and body
    status = fields.IntField(null=True)
    response = fields.JSONField(null=True)
    created_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "api_request"
        unique_together = (("api_key", "request_key"),)


class WebhookCursor(Model):
    """How far the events of one kind were read: the last id of their table handed out."""

    name = fields.CharField(max_length=30, primary_key=True)
    last_id = fields.BigIntField()

    class Meta:
        table = "webhook_cursor"


class WebhookDelivery(Model):
    """One event for one key's webhook, sent until it is answered 2xx (at least once).

    `source` names what the event is about ("purchase:12"): unique per key, so an event
    read twice is queued once.
    """

    id = fields.BigIntField(primary_key=True)
    api_key = fields.ForeignKeyField(
        "models.ApiKey", related_name="deliveries", on_delete=fields.RESTRICT
    )
    event = fields.CharField(max_length=30)
    source = fields.CharField(max_length=60)
    payload = fields.JSONField()
    created_at = fields.DatetimeField()
    next_attempt_at = fields.DatetimeField(null=True, db_index=True)  # null: done or given up
    attempts = fields.IntField(default=0)
    delivered_at = fields.DatetimeField(null=True)
    last_error = fields.CharField(max_length=200, default="")

    class Meta:
        table = "webhook_delivery"
        unique_together = (("api_key", "source"),)
