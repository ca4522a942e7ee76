"""The points ledger and the purchases that feed it."""

from tortoise import fields
from tortoise.models import Model

from models.enums import EntryKind


class Purchase(Model):
    """A purchase at a branch, identified by its receipt number there."""

    id = fields.IntField(primary_key=True)
    branch = fields.ForeignKeyField(
        "models.Branch", related_name="purchases", on_delete=fields.RESTRICT
    )
    receipt = fields.CharField(max_length=64)
    member = fields.ForeignKeyField(
        "models.Member", related_name="purchases", on_delete=fields.RESTRICT
    )
    amount = fields.BigIntField()
    product_group = fields.ForeignKeyField(
        "models.ProductGroup", related_name=False, null=True, on_delete=fields.RESTRICT
    )
    points = fields.BigIntField()
    refunded_amount = fields.BigIntField(default=0)
    refunded_points = fields.BigIntField(default=0)
    staff = fields.ForeignKeyField(
        "models.Staff", related_name=False, null=True, on_delete=fields.RESTRICT
    )
    created_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "purchase"
        indexes = (("member_id", "created_at"),)
        unique_together = (("branch", "receipt"),)


class LedgerEntry(Model):
    """One change of the points of a member. Rows are only ever added, never edited.

    Every reference is RESTRICT: deleting a member, branch or staff row must never take
    ledger rows with it (members are anonymised, staff deactivated, never deleted).
    """

    id = fields.BigIntField(primary_key=True)
    member = fields.ForeignKeyField(
        "models.Member", related_name="ledger", on_delete=fields.RESTRICT
    )
    kind = fields.CharEnumField(EntryKind)
    amount = fields.BigIntField()
    # A code the channels translate ("signup", "purchase", ...), plus staff's own words.
    reason = fields.CharField(max_length=40)
    note = fields.CharField(max_length=200, default="")
    staff = fields.ForeignKeyField(
        "models.Staff", related_name=False, null=True, on_delete=fields.RESTRICT
    )
    branch = fields.ForeignKeyField(
        "models.Branch", related_name=False, null=True, on_delete=fields.RESTRICT
    )
    purchase = fields.ForeignKeyField(
        "models.Purchase", related_name="entries", null=True, on_delete=fields.RESTRICT
    )
    voucher = fields.ForeignKeyField(
        "models.Voucher", related_name="entries", null=True, on_delete=fields.RESTRICT
    )
    reverses = fields.ForeignKeyField(
        "models.LedgerEntry", related_name="reversed_by", null=True, on_delete=fields.RESTRICT
    )
    # Credits expire; a reversal of a credit carries the credit's expiry so it cancels it.
    expires_at = fields.DatetimeField(null=True, db_index=True)
    idempotency_key = fields.CharField(max_length=120, unique=True)
    created_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "ledger_entry"
        # A member's history, balance checks and tier window all read by member and time;
        # a cashier's daily cap by staff and time.
        indexes = (("member_id", "created_at"), ("staff_id", "created_at"))
