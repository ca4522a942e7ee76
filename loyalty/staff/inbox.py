"""The inbox: members' feedback and messages, the staff's answers to them, and a message
staff write to one member first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from loyalty import audit, notify
from loyalty.clock import utcnow
from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.inbox import MAX_TEXT, open_items
from loyalty.members import get_member
from loyalty.staff.access import check_member_scope
from loyalty.staff.permissions import Action, require
from models import Channel, InboxItem, OutboxMessage, Staff

STAFF_MESSAGE = "staff_message"  # the outbox template of a message staff write first


async def inbox(staff: Staff, limit: int = 10) -> list[InboxItem]:
    require(staff, Action.INBOX)
    return await open_items(limit)


async def item(staff: Staff, item_id: int) -> InboxItem:
    """One message or feedback, answered or not, with its member; INBOX_NOT_FOUND."""
    require(staff, Action.INBOX)
    found = await InboxItem.get_or_none(id=item_id).prefetch_related("member")
    if found is None:
        raise LoyaltyError(ErrorCode.INBOX_NOT_FOUND, item=item_id)
    return found


async def answer(
    staff: Staff, item_id: int, text: str, *, now: datetime | None = None
) -> InboxItem:
    """Answer a member: by Telegram if they can be reached there, otherwise by SMS."""
    now = now or utcnow()
    require(staff, Action.INBOX)
    text = (text or "").strip()
    if not text:
        raise LoyaltyError(ErrorCode.EMPTY_TEXT)
    if len(text) > MAX_TEXT:
        raise LoyaltyError(ErrorCode.TEXT_TOO_LONG, max=MAX_TEXT)
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


@dataclass(frozen=True)
class StaffMessage:
    message: OutboxMessage
    replayed: bool  # the same request again: this message was queued then


async def message_member(
    staff: Staff,
    member_id: int,
    text: str,
    channel: Channel,
    *,
    request: str,
    now: datetime | None = None,
) -> StaffMessage:
    """Queue a message from staff to one member on `channel`, as an answer is queued; the
    same `request` again queues nothing more. A manager of one branch writes to its members
    only; a member the channel cannot reach is refused now rather than skipped later."""
    now = now or utcnow()
    require(staff, Action.INBOX)
    text = (text or "").strip()
    if not text:
        raise LoyaltyError(ErrorCode.EMPTY_TEXT)
    if len(text) > MAX_TEXT:
        raise LoyaltyError(ErrorCode.TEXT_TOO_LONG, max=MAX_TEXT)
    key = f"{STAFF_MESSAGE}:{request}"
    earlier = await OutboxMessage.get_or_none(key=key)
    if earlier is not None:
        return StaffMessage(earlier, True)
    member = await get_member(member_id)
    check_member_scope(staff, member.branch_id)
    if channel is Channel.TELEGRAM and not (member.telegram_id and member.reachable_telegram):
        raise LoyaltyError(ErrorCode.NO_TELEGRAM)
    if channel is Channel.SMS and not (member.phone and member.reachable_sms):
        raise LoyaltyError(ErrorCode.NO_SMS)
    try:
        # The row and its audit are one fact: a repeat that lost the race records neither.
        async with in_transaction():
            queued = await notify.enqueue(
                member.id,
                STAFF_MESSAGE,
                key,
                now=now,
                params={"text": text},
                channel=channel,
                new_key=True,
            )
            await audit.record(
                "member_message",
                staff_id=staff.id,
                now=now,
                member=member.id,
                channel=channel.value,
                message=queued.id,
            )
    except IntegrityError:
        return StaffMessage(await OutboxMessage.get(key=key), True)
    return StaffMessage(queued, False)
