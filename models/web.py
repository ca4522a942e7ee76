"""One-time codes that sign a member in to the club's pages by phone (`loyalty.web_signin`)."""

from tortoise import fields
from tortoise.models import Model


class WebSignInCode(Model):
    """A code asked for on the sign-in page: kept as a hash only, like the phone and the
    address it was asked from (they count the requests, and name nobody). A request for a
    phone that is no member's is a row too, with no code and no member, so that strangers'
    numbers are counted and answered exactly as members'."""

    id = fields.IntField(primary_key=True)
    phone_key = fields.CharField(max_length=64, db_index=True)
    address_key = fields.CharField(max_length=64, db_index=True)
    member_id = fields.IntField(null=True)
    code_hash = fields.CharField(max_length=64, null=True)
    tries = fields.IntField(default=0)
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "web_signin_code"
        table_description = "A one-time code to sign in to the club's pages by phone."
