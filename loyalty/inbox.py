"""Feedback and messages from members to the club."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from tortoise.exceptions import IntegrityError

from loyalty.bonuses import feedback_bonus
from loyalty.clock import utcnow
from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.members import get_member
from models import Channel, InboxItem, InboxKind

MAX_TEXT = 2000


@dataclass(frozen=True)
class FeedbackResult:
    item: InboxItem
    bonus: int


def _clean_text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise LoyaltyError(ErrorCode.EMPTY_TEXT)
    if len(text) > MAX_TEXT:
        raise LoyaltyError(ErrorCode.TEXT_TOO_LONG, max=MAX_TEXT)
    return text


async def submit_feedback(
    member_id: int,
    text: str,
    *,
    rating: int | None = None,
    channel: Channel,
    tz: ZoneInfo,
    now: datetime | None = None,
) -> FeedbackResult:
    """Store feedback for staff; the feedback bonus is paid once per local day."""
    now = now or utcnow()
    if rating is not None and not 1 <= rating <= 5:
        raise LoyaltyError(ErrorCode.FEEDBACK_RATING)
    text = _clean_text(text)
    await get_member(member_id)
    item = await InboxItem.create(
        member_id=member_id,
        kind=InboxKind.FEEDBACK,
        rating=rating,
        text=text,
        channel=channel,
        created_at=now,
    )
    bonus = await feedback_bonus(member_id, now.astimezone(tz).date(), now=now)
    return FeedbackResult(item, bonus)


async def send_message(
    member_id: int,
    text: str,
    *,
    channel: Channel,
    now: datetime | None = None,
    request: str | None = None,
) -> InboxItem:
    """A member's message for staff. With a `request` key, sending it again (a form posted
    twice, at once or later) gives the message already stored instead of a second one."""
    text = _clean_text(text)
    await get_member(member_id)
    if request is not None:
        sent = await InboxItem.get_or_none(request=request, member_id=member_id)
        if sent is not None:
            return sent
    try:
        return await InboxItem.create(
            member_id=member_id,
            kind=InboxKind.MESSAGE,
            text=text,
            channel=channel,
            created_at=now or utcnow(),
            request=request,
        )
    except IntegrityError:  # the same request, stored a moment ago by a twin
        if request is None:
            raise
        return await InboxItem.get(request=request, member_id=member_id)


async def open_items(limit: int = 20) -> list[InboxItem]:
    return (
        await InboxItem.filter(answered_at=None)
        .order_by("created_at")
        .limit(limit)
        .prefetch_related("member")
    )
