"""One inbound SMS from arrival to answer: dedupe, safety checks, keyword, reply.

Every message is stored as an `InboundSms` row before anything else, so the same
Kavenegar `messageid` (a webhook retried, or the same message polled and forwarded) is
carried out once. The rate limit and the once-a-day help text count those rows: the
counters live in the database, so they hold across restarts and across the webhook, the
poller and the `club sms` command.

Replies are the direct answer to what the member just sent, so they go straight to the
gateway (not through the outbox).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from handlers.i18n import t
from handlers.sms import keywords
from loyalty.clock import utcnow
from loyalty.errors import LoyaltyError
from loyalty.members import member_by_phone
from loyalty.phones import is_mobile, normalize_phone
from models import InboundOutcome, InboundSms, Member
from models import statements as sql

log = logging.getLogger("club.sms.inbound")

# Kavenegar deduplicates sends by localid; replies take theirs from this range so they
# can never collide with outbox row ids, which the outbox sender uses as localids.
REPLY_LOCALID_BASE = 9_000_000_000_000
MAX_TEXT = 2_000  # longer input is cut before it is stored or parsed
# Control characters other than tabs and line breaks: PostgreSQL refuses NUL in text, and no
# member types them.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class SmsConfig:
    """The club's SMS door settings (bot/settings.py fills these from the environment)."""

    tz: ZoneInfo = ZoneInfo("Asia/Tehran")
    per_minute: int = 5  # more messages than this from one sender in a minute: throttled
    quiet: timedelta = timedelta(minutes=10)  # how long a throttled sender is ignored
    help_every: timedelta = timedelta(days=1)  # unknown text: help at most this often


DEFAULT_CONFIG = SmsConfig()


class ReplySender(Protocol):
    async def send(self, receptor: str, message: str, *, localid: str) -> Any: ...


@dataclass(frozen=True)
class Handled:
    reply: str | None
    row: InboundSms | None  # None for a duplicate


async def handle_inbound(
    sender: str,
    text: str,
    *,
    message_id: int | str | None = None,
    now: datetime | None = None,
    config: SmsConfig = DEFAULT_CONFIG,
    receptor: str = "",
) -> str | None:
    """The answer to one inbound SMS, or None when the club must stay silent."""
    return (await _handle(sender, text, message_id, now or utcnow(), config, receptor)).reply


async def answer_inbound(
    gateway: ReplySender,
    sender: str,
    text: str,
    *,
    message_id: int | str | None = None,
    now: datetime | None = None,
    config: SmsConfig = DEFAULT_CONFIG,
    receptor: str = "",
) -> str | None:
    """Handle one inbound SMS and send the answer through the gateway; returns the answer."""
    handled = await _handle(sender, text, message_id, now or utcnow(), config, receptor)
    if handled.reply is None or handled.row is None:
        return handled.reply
    await send_reply(gateway, handled.row, handled.reply)
    return handled.reply


async def send_reply(gateway: ReplySender, row: InboundSms, reply: str) -> None:
    """Send the answer to `row`; a retry of the same row reuses its localid, never sends twice."""
    try:
        result = await gateway.send(
            receptor_for(row.sender), reply, localid=str(REPLY_LOCALID_BASE + row.id)
        )
    except Exception:  # noqa: BLE001 - the gateway's errors carry no key; the answer is stored
        log.exception("could not send the SMS answer to inbound message %s", row.id)
        return
    if not getattr(result, "ok", True):
        log.warning("Kavenegar refused the answer to inbound message %s (code %s)",
                    row.id, getattr(result, "code", None))


def receptor_for(e164: str) -> str:
    """Kavenegar takes Iranian numbers as 09xxxxxxxxx and others with a 00 prefix."""
    if e164.startswith("+98"):
        return "0" + e164[3:]
    return "00" + e164[1:] if e164.startswith("+") else e164


def _message_id(raw: int | str | None) -> int | None:
    try:
        return int(str(raw).strip()) if raw not in (None, "") else None
    except ValueError:
        return None


async def _handle(
    sender: str, text: str, message_id: int | str | None, now: datetime,
    config: SmsConfig, receptor: str,
) -> Handled:
    phone = _e164(sender)
    row = await _store(phone, text, _message_id(message_id), now, receptor)
    if row is None:
        log.info("inbound SMS %s seen before: not processed again", message_id)
        return Handled(None, None)
    if not is_mobile(phone):
        return await _finish(row, InboundOutcome.NOT_MOBILE, None)
    gate = await _rate_gate(row, now, config)
    if gate is not None:
        return gate
    member = await member_by_phone(phone)
    command = keywords.parse(row.text)
    if command.kind is keywords.Kind.UNKNOWN:
        return await _unknown(row, member, now, config)
    ctx = keywords.Context(phone, member, now, config.tz, _key(row))
    try:
        reply = await keywords.respond(command, ctx)
    except Exception:  # noqa: BLE001 - a member must get an answer, not silence
        log.exception("inbound SMS %s failed", row.id)
        reply = t(keywords.FAILED, keywords.locale_of(member))
    return await _finish(row, InboundOutcome.ANSWERED, reply)


def _e164(sender: str) -> str:
    try:
        return normalize_phone(sender)
    except LoyaltyError:
        return (sender or "").strip()[:32]


def _key(row: InboundSms) -> str:
    return f"sms:{row.messageid}" if row.messageid is not None else f"sms-local:{row.id}"


async def _store(
    phone: str, text: str, message_id: int | None, now: datetime, receptor: str
) -> InboundSms | None:
    try:
        return await InboundSms.create(
            messageid=message_id, sender=phone, receptor=(receptor or "")[:32],
            text=_CONTROL.sub("", text or "")[:MAX_TEXT], received_at=now,
        )
    except IntegrityError:
        return None


async def _rate_gate(row: InboundSms, now: datetime, config: SmsConfig) -> Handled | None:
    """Answer a flood once, then stay silent for `quiet`: a loop with a machine ends fast.

    What counts is the messages that came before this one, so that a burst handled at the
    same moment is answered as if it came one by one: its first messages get their
    answers, one later message "please wait", the rest nothing. The sender's messages are
    decided one at a time (`inbound_sender_lock`), whatever order that is in.
    """
    async with in_transaction():
        await sql.inbound_sender_lock.take(row.sender)
        mine = InboundSms.filter(sender=row.sender).exclude(id=row.id)
        told = mine.filter(outcome=InboundOutcome.THROTTLED, received_at__gt=now - config.quiet)
        if await told.filter(id__lt=row.id).exists():
            return await _finish(row, InboundOutcome.IGNORED, None)
        earlier = await mine.filter(id__lt=row.id, received_at__gt=now - timedelta(minutes=1)).count()
        if earlier + 1 <= config.per_minute:
            return None
        if await told.exists():  # a later message of the burst was decided first, and told
            return await _finish(row, InboundOutcome.IGNORED, None)
        member: Member | None = await member_by_phone(row.sender)
        return await _finish(row, InboundOutcome.THROTTLED, t(keywords.THROTTLED, keywords.locale_of(member)))


async def _unknown(row: InboundSms, member: Member | None, now: datetime, config: SmsConfig) -> Handled:
    async with in_transaction():
        await sql.inbound_sender_lock.take(row.sender)
        helped = await InboundSms.filter(
            sender=row.sender, outcome=InboundOutcome.HELP, received_at__gt=now - config.help_every
        ).exclude(id=row.id).exists()
        if helped:
            return await _finish(row, InboundOutcome.SILENT, None)
        return await _finish(row, InboundOutcome.HELP, keywords.help_text(keywords.locale_of(member)))


async def _finish(row: InboundSms, outcome: InboundOutcome, reply: str | None) -> Handled:
    member = await member_by_phone(row.sender) if outcome is InboundOutcome.ANSWERED else None
    row.outcome, row.reply = outcome, reply
    row.member_id = member.id if member is not None else None
    await row.save(update_fields=["outcome", "reply", "member_id"])
    return Handled(reply, row)
