"""People who run the club, and the record of what they did."""

from tortoise import fields
from tortoise.models import Model

from models.enums import StaffRole


class Staff(Model):
    id = fields.IntField(primary_key=True)
    telegram_id = fields.BigIntField(unique=True)
    name = fields.CharField(max_length=100, default="")
    role = fields.CharEnumField(StaffRole)
    branch = fields.ForeignKeyField("models.Branch", related_name="staff", null=True)  # null: all
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField()
    # A partner's staff (role partner): whose offers' codes they validate.
    partner = fields.ForeignKeyField(
        "models.Partner", related_name=False, null=True, on_delete=fields.RESTRICT
    )

    class Meta:
        table = "staff"


class AuditEntry(Model):
    id = fields.BigIntField(primary_key=True)
    staff = fields.ForeignKeyField("models.Staff", related_name="audit", null=True)
    actor = fields.CharField(max_length=50, default="")  # "cli", "job:expiry" when no staff
    action = fields.CharField(max_length=50)
    details = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "audit_entry"
