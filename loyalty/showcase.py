"""What members see of the club beyond their points: banners on their card page, shown
between two dates, and the gallery. The owner keeps both (Action.SETTINGS); every change
is audited. A picture is stored once, named by its content (`loyalty.pictures`), so a
banner or gallery row holds only its name; removing a row leaves the file, which another
row (or the club's logo) may share.
"""

from __future__ import annotations

import re
from datetime import datetime, tzinfo
from typing import Any
from urllib.parse import urlsplit

from tortoise.expressions import Q
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from loyalty import audit
from loyalty.clock import utcnow
from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.festivals import read_day
from loyalty.pictures import Picture, PictureFolder
from loyalty.staff.permissions import Action, require
from models import Banner, GalleryPicture, Staff

MAX_CAPTION = 200
MAX_LINK = 500
_CONTROL = re.compile(r"[\u0000-\u001f\u007f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def checked_link(text: str) -> str:
    """A web address as typed, trimmed; "" for none. Only http(s): a `javascript:` or
    `data:` link on a member's page would run in it. INVALID_LINK otherwise."""
    link = (text or "").strip()
    if not link:
        return ""
    if len(link) > MAX_LINK:
        raise LoyaltyError(ErrorCode.TEXT_TOO_LONG, max=MAX_LINK)
    try:
        parts = urlsplit(link)
    except ValueError:
        raise LoyaltyError(ErrorCode.INVALID_LINK) from None
    if (
        parts.scheme.lower() not in ("http", "https")
        or not parts.hostname
        or any(c.isspace() for c in link)
        or _CONTROL.search(link)
    ):
        raise LoyaltyError(ErrorCode.INVALID_LINK)
    return link


def checked_text(text: str, most: int) -> str:
    """A short text staff typed for members (a caption, an address), on one line."""
    cleaned = " ".join(_CONTROL.sub("", text or "").split())
    if len(cleaned) > most:
        raise LoyaltyError(ErrorCode.TEXT_TOO_LONG, max=most)
    return cleaned


def read_span(
    starts: str, ends: str, tz: tzinfo, *, now: datetime
) -> tuple[datetime | None, datetime | None]:
    """When a banner shows, as typed in the club's zone (Jalali or Gregorian, a time
    optional; `loyalty.festivals.read_day`): either may be empty for "from now" or "until
    taken off". A day alone as the end lasts to its midnight. The end not before the start."""
    start = read_day(starts, tz, end=False, now=now) if starts.strip() else None
    end = read_day(ends, tz, end=True, now=now) if ends.strip() else None
    if start is not None and end is not None and end < start:
        raise LoyaltyError(ErrorCode.INVALID_DATE_RANGE, starts=starts, ends=ends)
    return start, end


# ---- banners -----------------------------------------------------------------------------------


async def add_banner(
    staff: Staff,
    folder: PictureFolder,
    picture: Picture,
    *,
    caption: str = "",
    link: str = "",
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    now: datetime | None = None,
) -> Banner:
    """A banner after the others; the picture is stored only once all else is accepted.
    The same banner again (a form sent twice) is the one already shown, not a second."""
    now = now or utcnow()
    require(staff, Action.SETTINGS)
    caption, link = checked_text(caption, MAX_CAPTION), checked_link(link)
    if starts_at is not None and ends_at is not None and ends_at < starts_at:
        raise LoyaltyError(ErrorCode.INVALID_DATE_RANGE, starts=starts_at, ends=ends_at)
    name = folder.save(picture)
    async with in_transaction():
        same = await Banner.get_or_none(
            active=True,
            picture=name,
            caption=caption,
            link=link,
            starts_at=starts_at,
            ends_at=ends_at,
        )
        if same is not None:
            return same
        banner = await Banner.create(
            picture=name,
            caption=caption,
            link=link,
            starts_at=starts_at,
            ends_at=ends_at,
            position=await _next_position(Banner.filter(active=True)),
            created_at=now,
        )
        await audit.record("banner_add", staff_id=staff.id, now=now, banner=banner.id)
    return banner


async def remove_banner(staff: Staff, banner_id: int, *, now: datetime | None = None) -> None:
    """Take a banner off the members' pages (the row stays, inactive)."""
    now = now or utcnow()
    require(staff, Action.SETTINGS)
    async with in_transaction():
        taken = await Banner.filter(id=banner_id, active=True).update(active=False)
        if not taken:
            raise LoyaltyError(ErrorCode.BANNER_NOT_FOUND)
        await audit.record("banner_remove", staff_id=staff.id, now=now, banner=banner_id)


async def move_banner(
    staff: Staff, banner_id: int, step: int, *, now: datetime | None = None
) -> None:
    """One place earlier (`step` -1) or later (+1) among the banners not taken off."""
    now = now or utcnow()
    require(staff, Action.SETTINGS)
    async with in_transaction():
        order = await Banner.filter(active=True).order_by("position", "id")
        await _swap(order, banner_id, step, ErrorCode.BANNER_NOT_FOUND)
        await audit.record("banner_move", staff_id=staff.id, now=now, banner=banner_id, step=step)


async def banners() -> list[Banner]:
    """Every banner not taken off, in order, whatever its dates (for the owner)."""
    return await Banner.filter(active=True).order_by("position", "id")


async def current_banners(now: datetime) -> list[Banner]:
    """The banners members see at `now`: started, and not ended (the end is exclusive)."""
    return (
        await Banner.filter(active=True)
        .filter(Q(starts_at__isnull=True) | Q(starts_at__lte=now))
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
        .order_by("position", "id")
    )


# ---- the gallery -------------------------------------------------------------------------------


async def add_picture(
    staff: Staff,
    folder: PictureFolder,
    picture: Picture,
    *,
    caption: str = "",
    now: datetime | None = None,
) -> GalleryPicture:
    """A picture after the others; one already in the gallery stays the one it is (a form
    sent twice adds it once), its caption the new one."""
    now = now or utcnow()
    require(staff, Action.SETTINGS)
    caption = checked_text(caption, MAX_CAPTION)
    name = folder.save(picture)
    async with in_transaction():
        same = await GalleryPicture.get_or_none(picture=name)
        if same is not None:
            if same.caption != caption:
                same.caption = caption
                await same.save(update_fields=["caption"])
                await audit.record("gallery_caption", staff_id=staff.id, now=now, picture=same.id)
            return same
        shown = await GalleryPicture.create(
            picture=name,
            caption=caption,
            position=await _next_position(GalleryPicture.all()),
            created_at=now,
        )
        await audit.record("gallery_add", staff_id=staff.id, now=now, picture=shown.id)
    return shown


async def remove_picture(staff: Staff, picture_id: int, *, now: datetime | None = None) -> None:
    now = now or utcnow()
    require(staff, Action.SETTINGS)
    async with in_transaction():
        if not await GalleryPicture.filter(id=picture_id).delete():
            raise LoyaltyError(ErrorCode.PICTURE_NOT_FOUND)
        await audit.record("gallery_remove", staff_id=staff.id, now=now, picture=picture_id)


async def move_picture(
    staff: Staff, picture_id: int, step: int, *, now: datetime | None = None
) -> None:
    now = now or utcnow()
    require(staff, Action.SETTINGS)
    async with in_transaction():
        order = await GalleryPicture.all().order_by("position", "id")
        await _swap(order, picture_id, step, ErrorCode.PICTURE_NOT_FOUND)
        await audit.record(
            "gallery_move", staff_id=staff.id, now=now, picture=picture_id, step=step
        )


async def gallery() -> list[GalleryPicture]:
    return await GalleryPicture.all().order_by("position", "id")


# ---- order -------------------------------------------------------------------------------------


async def _next_position(rows: QuerySet[Any]) -> int:
    last = await rows.order_by("-position").first()
    return last.position + 1 if last is not None else 1


async def _swap(
    order: list[Banner] | list[GalleryPicture], row_id: int, step: int, missing: ErrorCode
) -> None:
    """Renumber `order` with the row `row_id` moved by `step`; at either end it stays."""
    ids = [row.id for row in order]
    if row_id not in ids or step not in (-1, 1):
        raise LoyaltyError(missing)
    at = ids.index(row_id)
    other = at + step
    if not 0 <= other < len(order):
        return
    order[at], order[other] = order[other], order[at]  # type: ignore[assignment]
    for position, row in enumerate(order, start=1):
        if row.position != position:
            row.position = position
            await row.save(update_fields=["position"])
