"""Staff invitations and actions waiting for a manager."""

from tortoise import fields
from tortoise.models import Model

from models.enums import StaffRole


class StaffInvite(Model):
    """A one-time deep link that grants a role and a branch to whoever opens it first."""

    id = fields.IntField(primary_key=True)
    token = fields.CharField(max_length=40, unique=True)
    role = fields.CharEnumField(StaffRole)
    branch = fields.ForeignKeyField("models.Branch", related_name=False, null=True)
    created_by = fields.ForeignKeyField("models.Staff", related_name=False, null=True)
    created_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    used_by = fields.ForeignKeyField("models.Staff", related_name=False, null=True)
    partner = fields.ForeignKeyField(
        "models.Partner", related_name=False, null=True, on_delete=fields.RESTRICT
    )
    # The door's key for an invitation made from a form: the form posted twice makes one.
    request = fields.CharField(max_length=64, unique=True, null=True)

    class Meta:
        table = "staff_invite"


class PendingApproval(Model):
    """A cashier action above the daily cap, held until a manager decides."""

    id = fields.IntField(primary_key=True)
    # "earn": a cashier's purchase above the daily cap, a manager decides; "adjust": a
    # correction that would leave a balance below zero, its author confirms or cancels.
    # (The docstring is the table's description in the migrations: kept as it was.)
    kind = fields.CharField(max_length=20)
    payload = fields.JSONField(default=dict)
    points = fields.BigIntField(default=0)
    staff = fields.ForeignKeyField("models.Staff", related_name=False)
    branch = fields.ForeignKeyField("models.Branch", related_name=False, null=True)
    status = fields.CharField(max_length=10, default="pending")
    decided_by = fields.ForeignKeyField("models.Staff", related_name=False, null=True)
    created_at = fields.DatetimeField()
    decided_at = fields.DatetimeField(null=True)

    class Meta:
        table = "pending_approval"


class PanelLink(Model):
    """A one-time link into the owner's panel (`/panel` in the bot): only the token's
    SHA-256 is kept, with whom it signs in and until when; opened once, then refused."""

    id = fields.IntField(primary_key=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    staff = fields.ForeignKeyField("models.Staff", related_name=False, on_delete=fields.CASCADE)
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "panel_link"
