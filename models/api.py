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
