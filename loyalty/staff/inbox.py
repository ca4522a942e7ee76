"""The inbox: members' feedback and messages, and the staff's answers to them."""

from __future__ import annotations

from datetime import datetime

from loyalty import audit, notify
from loyalty.clock import utcnow
from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.inbox import open_items
from loyalty.staff.permissions import Action, require
from models import Channel, InboxItem, Staff


async def inbox(staff: Staff, limit: int = 10) -> list[InboxItem]:
    require(staff, Action.INBOX)
    return await open_items(limit)


async def answer(
    staff: Staff, item_id: int, text: str, *, now: datetime | None = None
) -> InboxItem:
    """Answer a member: by Telegram if they can be reached there, otherwise by SMS."""
    now = now or utcnow()
    require(staff, Action.INBOX)
    text = (text or "").strip()
    if not text:
        raise LoyaltyError(ErrorCode.EMPTY_TEXT)
    if len(text) > 2000:
        raise LoyaltyError(ErrorCode.TEXT_TOO_LONG, max=2000)
    item = await InboxItem.get_or_none(id=item_id).prefetch_related("member")
    if item is None:
        raise LoyaltyError(ErrorCode.INBOX_NOT_FOUND, item=item_id)
    taken = await InboxItem.filter(id=item_id, answered_at=None).update(
        answered_at=now, answered_by_id=staff.id, answer=text
    )
    if taken == 0:
        raise LoyaltyError(ErrorCode.ALREADY_ANSWERED, item=item_id)
    member = item.member
    telegram = member.telegram_id is not None and member.reachable_telegram
    await notify.enqueue(
        member.id,
        "staff_reply",
        f"inbox_reply:{item_id}",
        now=now,
        params={"text": text},
        channel=Channel.TELEGRAM if telegram else Channel.SMS,
    )
    await audit.record("inbox_answer", staff_id=staff.id, now=now, item=item_id, member=member.id)
    await item.refresh_from_db()
    return item
