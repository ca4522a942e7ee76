"""Partner businesses and the codes they upload for their offers (`loyalty.partners`).

A partner's offer is a `Reward` with `partner` set: members take it as any reward, and
the voucher's code is the one they show at the partner. `code_source` says where codes
come from: the club makes them, or the partner handed over a list (`PartnerCode`).
"""

from tortoise import fields
from tortoise.models import Model


class Partner(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=64)
    description = fields.CharField(max_length=300, default="")
    contact = fields.CharField(max_length=100, default="")
    # A picture sent to the bot, kept as Telegram's file id; null: no logo.
    logo_file_id = fields.CharField(max_length=200, null=True)
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField()
    # The request that added it (a chat message): one delivered twice adds one partner.
    request_key = fields.CharField(max_length=64, null=True, unique=True)

    class Meta:
        table = "partner"
        table_description = "A business whose offers members take for points."


class PartnerCode(Model):
    """One code a partner uploaded for an offer; given to one member (its voucher) at most."""

    id = fields.IntField(primary_key=True)
    reward = fields.ForeignKeyField("models.Reward", related_name=False, on_delete=fields.RESTRICT)
    code = fields.CharField(max_length=16, unique=True)  # as clean_voucher_code leaves it
    voucher = fields.ForeignKeyField(
        "models.Voucher", related_name=False, null=True, unique=True, on_delete=fields.RESTRICT
    )
    created_at = fields.DatetimeField()

    class Meta:
        table = "partner_code"
        table_description = "A code uploaded for a partner's offer, and the voucher it became."
