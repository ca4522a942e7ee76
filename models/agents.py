"""Agents: people paid a commission on the purchases of the members they bring
(`loyalty.agents`), and the ledger of that commission."""

from tortoise import fields
from tortoise.models import Model

from models.enums import CommissionKind


class Agent(Model):
    """Someone who brings members: by the link `start=ag_<code>`, SMS `JOIN <code>`, or a
    cashier typing the code at sign-up. Figures are caches of the commission ledger, kept
    in the same transaction as its rows (as a member's balance is of the points ledger)."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=16, unique=True)
    name = fields.CharField(max_length=64)
    # The agent's Telegram account once they opened their staff invitation (role agent),
    # or a staff member made an agent; null until then.
    staff = fields.ForeignKeyField(
        "models.Staff", related_name=False, null=True, unique=True, on_delete=fields.RESTRICT
    )
    invite = fields.ForeignKeyField(
        "models.StaffInvite",
        related_name=False,
        null=True,
        unique=True,
        on_delete=fields.RESTRICT,
    )
    # Null: the club's agent_percent / agent_days.
    percent = fields.DecimalField(max_digits=5, decimal_places=2, null=True)
    days = fields.IntField(null=True)
    active = fields.BooleanField(default=True)
    accrued = fields.BigIntField(default=0)  # commission earned, less reversals
    paid = fields.BigIntField(default=0)  # settled by the owner
    created_at = fields.DatetimeField()
    # The request that added it (a chat message): one delivered twice adds one agent.
    request_key = fields.CharField(max_length=64, null=True, unique=True)

    class Meta:
        table = "agent"
        table_description = "Someone paid a commission on the purchases of members they bring."


class Commission(Model):
    """One change of what the club owes an agent. Rows are only ever added: a purchase's
    commission (ACCRUE), its share taken back by a refund (REVERSE), a payment (PAY)."""

    id = fields.BigIntField(primary_key=True)
    agent = fields.ForeignKeyField("models.Agent", related_name=False, on_delete=fields.RESTRICT)
    kind = fields.CharEnumField(CommissionKind)
    amount = fields.BigIntField()  # money; ACCRUE positive, REVERSE and PAY negative
    member = fields.ForeignKeyField(
        "models.Member", related_name=False, null=True, on_delete=fields.RESTRICT
    )
    purchase = fields.ForeignKeyField(
        "models.Purchase", related_name=False, null=True, on_delete=fields.RESTRICT
    )
    base = fields.BigIntField(default=0)  # the purchase's or refund's amount it was worked on
    staff = fields.ForeignKeyField(
        "models.Staff", related_name=False, null=True, on_delete=fields.RESTRICT
    )
    idempotency_key = fields.CharField(max_length=120, unique=True)
    created_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "agent_commission"
        table_description = "The commission ledger: accrued, reversed and paid, per agent."
        indexes = (("agent_id", "created_at"),)
