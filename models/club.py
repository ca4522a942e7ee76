"""The club itself: its rules, branches, product groups and tiers."""

from decimal import Decimal

from tortoise import fields
from tortoise.models import Model


class ClubRules(Model):
    """The rules of the club, editable by the owner: a single row with id 1, made at start-up."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100, default="Club")
    points_name = fields.CharField(max_length=50, default="")
    # Points = floor(amount / currency_unit * earn_rate * multipliers); amounts are in the
    # currency the shop rings up (usually toman).
    currency_unit = fields.BigIntField(default=10_000)
    earn_rate = fields.DecimalField(max_digits=10, decimal_places=4, default=Decimal("1"))
    min_purchase = fields.BigIntField(default=0)
    signup_bonus = fields.IntField(default=20)
    birthday_bonus = fields.IntField(default=0)
    birthday_reward_id = fields.IntField(null=True)
    referral_bonus_referrer = fields.IntField(default=50)
    referral_bonus_referred = fields.IntField(default=20)
    feedback_bonus = fields.IntField(default=5)
    expiry_days = fields.IntField(default=365)  # 0: points never expire
    voucher_valid_days = fields.IntField(default=30)
    tier_window_days = fields.IntField(default=365)
    cashier_daily_cap = fields.IntField(default=1_000)
    # The largest purchase a door accepts, in the same currency: a typo of extra zeros is
    # refused instead of recorded. The database default fills the row of a club that
    # existed before this rule.
    max_purchase = fields.BigIntField(default=1_000_000_000, db_default=1_000_000_000)
    # The unit the till's amounts and gift cards are in: "toman" or "rial".
    currency = fields.CharField(max_length=10, default="toman", db_default="toman")
    # Days a gift card can be spent after it is sold; 0: it never expires.
    gift_card_valid_days = fields.IntField(default=0, db_default=0)
    # Discounts at the till: several that apply stacked, or only the best one (the default);
    # points earned on the amount paid after them (the default) or on the gross.
    discount_stacking = fields.BooleanField(default=False, db_default=False)
    points_on_paid = fields.BooleanField(default=True, db_default=True)
    # The fewest points a member may give to a charity cause at once.
    charity_min = fields.IntField(default=10, db_default=10)
    # Agents' commission, unless an agent has their own: a percent of the purchases of the
    # members they brought, for this many days after each joined.
    agent_percent = fields.DecimalField(
        max_digits=5, decimal_places=2, default=Decimal("5"), db_default=Decimal("5")
    )
    agent_days = fields.IntField(default=365, db_default=365)
    # The club's look on its pages (loyalty/staff/look.py): stored pictures' names
    # (loyalty/pictures.py), none until the owner uploads one; the accent colour as #rrggbb.
    logo = fields.CharField(max_length=40, null=True)
    cover = fields.CharField(max_length=40, null=True)
    colour = fields.CharField(max_length=7, default="#0f766e", db_default="#0f766e")
    # How members reach the club, shown on the rules page; empty: not shown.
    phone = fields.CharField(max_length=20, default="", db_default="")  # E.164
    address = fields.CharField(max_length=300, default="", db_default="")
    website = fields.CharField(max_length=200, default="", db_default="")  # an http(s) link
    instagram = fields.CharField(max_length=200, default="", db_default="")  # an http(s) link
    about = fields.CharField(max_length=500, default="", db_default="")
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "club_rules"


class Branch(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100, unique=True)
    # Per-branch overrides of the club's earning rule; null means "use the club's".
    earn_rate = fields.DecimalField(max_digits=10, decimal_places=4, null=True)
    currency_unit = fields.BigIntField(null=True)
    min_purchase = fields.BigIntField(null=True)
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    # What members read on the branches page (`loyalty.staff.places.set_branch_details`).
    address = fields.CharField(max_length=300, default="", db_default="")
    phone = fields.CharField(max_length=30, default="", db_default="")
    hours = fields.CharField(max_length=200, default="", db_default="")  # free text
    map_link = fields.CharField(max_length=500, default="", db_default="")  # http(s) only

    class Meta:
        table = "branch"


class ProductGroup(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100, unique=True)
    multiplier = fields.DecimalField(max_digits=6, decimal_places=2, default=Decimal("1"))
    active = fields.BooleanField(default=True)

    class Meta:
        table = "product_group"


class Tier(Model):
    """A level members reach by points earned in the tier window."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=30, unique=True)
    # The owner may rename a tier; without a name the translated default for `code` is shown.
    name = fields.CharField(max_length=50, null=True)
    threshold = fields.IntField(default=0)
    multiplier = fields.DecimalField(max_digits=6, decimal_places=2, default=Decimal("1"))
    discount_percent = fields.IntField(default=0)

    class Meta:
        table = "tier"
        ordering = ["threshold"]
