"""The reward catalogue and the vouchers members redeem."""

from tortoise import fields
from tortoise.models import Model

from models.enums import CodeSource, CustomerType, RewardKind, VoucherStatus


class Reward(Model):
    id = fields.IntField(primary_key=True)
    # The door's key for a reward added from a form: the form posted twice adds one.
    request = fields.CharField(max_length=64, unique=True, null=True)
    name = fields.CharField(max_length=100)
    description = fields.CharField(max_length=500, default="")
    kind = fields.CharEnumField(RewardKind, default=RewardKind.PRODUCT)
    value = fields.BigIntField(default=0)  # toman for a fixed discount, percent for a percentage
    product_group = fields.ForeignKeyField(
        "models.ProductGroup", related_name=False, null=True, on_delete=fields.RESTRICT
    )
    cost = fields.IntField()
    # What the reward is worth in money (the shop's currency), for its value per point;
    # null: not priced.
    value_money = fields.BigIntField(null=True)
    stock = fields.IntField(null=True)  # null: unlimited
    min_tier = fields.ForeignKeyField(
        "models.Tier", related_name=False, null=True, on_delete=fields.RESTRICT
    )
    branch = fields.ForeignKeyField(
        "models.Branch", related_name="rewards", null=True, on_delete=fields.RESTRICT
    )
    # Only members of this type may redeem it (a company gift); null: everyone.
    customer_type = fields.CharEnumField(CustomerType, max_length=10, null=True)
    valid_from = fields.DatetimeField(null=True)
    valid_until = fields.DatetimeField(null=True)
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    # A partner's offer (models.partners); null: the club's own reward.
    partner = fields.ForeignKeyField(
        "models.Partner", related_name=False, null=True, on_delete=fields.RESTRICT
    )
    code_source = fields.CharEnumField(
        CodeSource, max_length=6, default=CodeSource.CLUB, db_default="club"
    )
    # A stored picture's name (loyalty/pictures.py) shown beside it; null: none.
    picture = fields.CharField(max_length=40, null=True)

    class Meta:
        table = "reward"
        ordering = ["cost", "id"]


class Voucher(Model):
    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=16, unique=True)
    member = fields.ForeignKeyField(
        "models.Member", related_name="vouchers", on_delete=fields.RESTRICT
    )
    reward = fields.ForeignKeyField(
        "models.Reward", related_name="vouchers", on_delete=fields.RESTRICT
    )
    cost = fields.IntField()
    status = fields.CharEnumField(VoucherStatus, default=VoucherStatus.ISSUED)
    issued_at = fields.DatetimeField()
    expires_at = fields.DatetimeField(db_index=True)
    used_at = fields.DatetimeField(null=True)
    used_by = fields.ForeignKeyField(
        "models.Staff", related_name=False, null=True, on_delete=fields.RESTRICT
    )
    used_branch = fields.ForeignKeyField(
        "models.Branch", related_name=False, null=True, on_delete=fields.RESTRICT
    )

    class Meta:
        table = "voucher"


class ErasedVoucherCode(Model):
    """The digest of the code of a voucher cancelled because its member asked to be forgotten.

    The till can still say that the voucher was cancelled; nothing leads from it to the member.
    """

    digest = fields.CharField(max_length=64, primary_key=True)  # sha256 of the code, hex

    class Meta:
        table = "erased_voucher_code"
