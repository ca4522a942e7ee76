"""Members, their cards, and the history of their tier."""

from collections.abc import Iterable
from datetime import date

import jdatetime
from tortoise import fields
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.indexes import Index
from tortoise.models import Model

from models.enums import Channel, CustomerType, Gender

BIRTHDAY_FIELDS = ("birthday_jalali", "birthday_gregorian")


def birthday_keys(birth: date | None) -> tuple[int | None, int | None]:
    """The birthday as month * 100 + day in the Jalali and in the Gregorian calendar."""
    if birth is None:
        return None, None
    jalali = jdatetime.date.fromgregorian(date=birth)
    return jalali.month * 100 + jalali.day, birth.month * 100 + birth.day


class Member(Model):
    id = fields.IntField(primary_key=True)
    phone = fields.CharField(max_length=20, unique=True, null=True)  # E.164; null once deleted
    telegram_id = fields.BigIntField(unique=True, null=True)
    first_name = fields.CharField(max_length=64, default="")
    last_name = fields.CharField(max_length=64, default="")
    gender = fields.CharEnumField(Gender, default=Gender.UNSPECIFIED)
    birth_date = fields.DateField(null=True)
    # Derived from birth_date on every save (birthday_keys), so that today's birthdays are an
    # indexed look-up; both calendars are kept, so a change of language needs no rewrite.
    birthday_jalali = fields.SmallIntField(null=True)
    birthday_gregorian = fields.SmallIntField(null=True)
    customer_type = fields.CharEnumField(CustomerType, default=CustomerType.INDIVIDUAL)
    company_name = fields.CharField(max_length=128, default="")
    # A company customer may earn by its own rate instead of the club's or the branch's.
    company_earn_rate = fields.DecimalField(max_digits=10, decimal_places=4, null=True)
    interests: fields.ManyToManyRelation = fields.ManyToManyField(
        "models.ProductGroup", related_name="members", through="member_interest"
    )
    locale = fields.CharField(max_length=5, default="fa")
    preferred_channel = fields.CharEnumField(Channel, default=Channel.TELEGRAM)
    branch = fields.ForeignKeyField("models.Branch", related_name="members", null=True)
    consent_telegram = fields.BooleanField(default=True)
    consent_sms = fields.BooleanField(default=True)
    reachable_telegram = fields.BooleanField(default=True)
    reachable_sms = fields.BooleanField(default=True)
    balance = fields.BigIntField(default=0)  # cache of sum(ledger.amount), same transaction
    tier = fields.ForeignKeyField("models.Tier", related_name="members", null=True)
    # A tier set by staff (or brought by an import) that the periodic review never goes
    # below; points may still lift the member above it. Null: the points alone decide.
    tier_floor = fields.ForeignKeyField(
        "models.Tier", related_name=False, null=True, on_delete=fields.RESTRICT
    )
    referral_code = fields.CharField(max_length=16, unique=True)
    referred_by = fields.ForeignKeyField("models.Member", related_name="referrals", null=True)
    # The agent who brought the member (`loyalty.agents`): set when the member is created,
    # never changed after. A purchase reads it with the member row, at no extra cost.
    agent = fields.ForeignKeyField(
        "models.Agent", related_name=False, null=True, on_delete=fields.RESTRICT
    )
    joined_at = fields.DatetimeField()
    last_purchase_at = fields.DatetimeField(null=True, db_index=True)
    deleted_at = fields.DatetimeField(null=True)

    class Meta:
        table = "member"
        # Campaign audiences: a tier, and no purchase since a date. The birthday indexes are
        # declared here, not by db_index: Tortoise's AddField does not create those.
        indexes = [
            Index(fields=["tier_id", "last_purchase_at"]),
            Index(fields=["birthday_jalali"]),
            Index(fields=["birthday_gregorian"]),
            Index(fields=["agent_id"]),
            # The owner's panel: members listed by join date or balance, of a branch or all.
            Index(fields=["joined_at"]),
            Index(fields=["balance"]),
            Index(fields=["branch_id", "joined_at"]),
        ]

    async def save(
        self,
        using_db: BaseDBAsyncClient | None = None,
        update_fields: Iterable[str] | None = None,
        force_create: bool = False,
        force_update: bool = False,
    ) -> None:
        """Save, keeping the birthday keys in step with birth_date (bulk writes must set them)."""
        self.birthday_jalali, self.birthday_gregorian = birthday_keys(self.birth_date)
        if update_fields is not None and "birth_date" in update_fields:
            update_fields = [*update_fields, *BIRTHDAY_FIELDS]
        await super().save(using_db, update_fields, force_create, force_update)


class Card(Model):
    """A membership card number. A replaced card stays here, inactive, for history."""

    id = fields.IntField(primary_key=True)
    number = fields.CharField(max_length=16, unique=True)
    member = fields.ForeignKeyField("models.Member", related_name="cards")
    active = fields.BooleanField(default=True)
    issued_at = fields.DatetimeField()
    replaced_at = fields.DatetimeField(null=True)
    # The request that issued this card in place of a lost one: the same request again
    # (a staff command Telegram delivers twice) finds it instead of replacing it again.
    request = fields.CharField(max_length=64, unique=True, null=True)

    class Meta:
        table = "card"
        # A member's active card, read by every card page and member's page: without it each
        # read scanned every card (300 ms among 1,000,000 members).
        indexes = [Index(fields=["member_id"])]


class TierChange(Model):
    id = fields.IntField(primary_key=True)
    member = fields.ForeignKeyField("models.Member", related_name="tier_changes")
    from_tier = fields.ForeignKeyField("models.Tier", related_name=False, null=True)
    to_tier = fields.ForeignKeyField("models.Tier", related_name=False)
    created_at = fields.DatetimeField()

    class Meta:
        table = "tier_change"
