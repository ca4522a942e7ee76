"""What members see of the club beyond their points: banners on the card page, the gallery
(`loyalty.showcase`). Pictures are named by their content (`loyalty.pictures`)."""

from tortoise import fields
from tortoise.models import Model


class Banner(Model):
    """A picture on the members' card page, shown from `starts_at` until `ends_at` (either
    open), in `position` order. Taken off by `active`, kept for the audit's sake."""

    id = fields.IntField(primary_key=True)
    picture = fields.CharField(max_length=40)
    caption = fields.CharField(max_length=200, default="")
    link = fields.CharField(max_length=500, default="")
    starts_at = fields.DatetimeField(null=True)
    ends_at = fields.DatetimeField(null=True)
    position = fields.IntField(default=0)
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "banner"
        table_description = "A picture on the members' card page, between two dates."


class GalleryPicture(Model):
    """A picture of the members' gallery page, in `position` order."""

    id = fields.IntField(primary_key=True)
    picture = fields.CharField(max_length=40)
    caption = fields.CharField(max_length=200, default="")
    position = fields.IntField(default=0)
    created_at = fields.DatetimeField()

    class Meta:
        table = "gallery_picture"
        table_description = "A picture of the members' gallery page."
