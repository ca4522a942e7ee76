"""One inbound SMS from arrival to answer: stored first, decided once, answered through the outbox.

`accept` stores the message as an `InboundSms` row (outcome `received`) and commits. The
webhook answers Kavenegar 200 only after that, and the poller stores a whole page before
deciding any of it, so a message the club has acknowledged is never lost. The same
Kavenegar `messageid` (a webhook retried, or a message both polled and forwarded) is one row.

`process` decides a stored message in one transaction: it claims the row while it is still
`received`, carries out the keyword, records the outcome and queues the answer in the
outbox. All of that happens or none of it: a crash before the commit leaves the row
`received` and nothing else changed, and `process_waiting` (at start-up and every minute)
decides it then. Of two tasks or processes deciding the same row, the second finds it
decided and does nothing.

The rate limit and the once-a-day help text count those rows: the counters live in the
database, so they hold across restarts and across the webhook, the poller and `club sms`.

An answer is an SMS like every other the club sends: an outbox row, sent with its id as
Kavenegar's localid and retried until Kavenegar takes it or refuses it for good, so a
voucher code reaches the member after a provider outage. Answers are not advertising: no
opt-out suffix, no quiet hours, no consent needed.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from handlers.i18n import t
from handlers.sms import keywords
from loyalty import notify
from loyalty.clock import utcnow
from loyalty.errors import LoyaltyError
from loyalty.members import member_by_phone
from loyalty.phones import is_iranian_mobile, normalize_phone
from models import InboundOutcome, InboundSms, Member
from models.queries import sms as sms_sql

log = logging.getLogger("club.sms.inbound")

MAX_TEXT = 2_000  # longer input is cut before it is stored or parsed
MAX_MESSAGE_ID = 64  # the column's width; Kavenegar's ids are numbers of a dozen digits
# Control characters other than tabs and line breaks: PostgreSQL refuses NUL in text, and no
# member types them.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class SmsConfig:
    """The club's SMS door settings (bot/settings.py fills these from the environment)."""

    tz: ZoneInfo = ZoneInfo("Asia/Tehran")
    per_minute: int = 5  # more messages than this from one sender in a minute: throttled
    quiet: timedelta = timedelta(minutes=10)  # how long a throttled sender is ignored
    help_every: timedelta = timedelta(days=1)  # unknown text: help at most this often
    # Gift card balance checks by code from one sender in an hour: a code cannot be
    # guessed, and this keeps anyone from trying.
    gift_checks_per_hour: int = 5


DEFAULT_CONFIG = SmsConfig()


@dataclass(frozen=True)
class Accepted:
    row_id: int
    pending: bool  # not decided yet: just stored, or stored earlier and left undecided


@dataclass(frozen=True)
class Decided:
    outcome: InboundOutcome
    reply: str | None
    queued: bool  # the reply waits in the outbox


def message_key(raw: int | str | None) -> str | None:
    """Kavenegar's message id as stored: text, whatever it holds; None when there is none."""
    key = str(raw).strip() if raw is not None else ""
    if len(key) > MAX_MESSAGE_ID:
        raise ValueError(f"a message id has at most {MAX_MESSAGE_ID} characters")
    return key or None


async def accept(
    sender: str,
    text: str,
    *,
    message_id: int | str | None = None,
    receptor: str = "",
    now: datetime | None = None,
) -> Accepted:
    """Store one message; it is committed when this returns. A message id seen before
    gives the row stored then."""
    key = message_key(message_id)
    try:
        row = await InboundSms.create(
            messageid=key,
            sender=_e164(sender),
            receptor=(receptor or "").strip()[:32],
            text=CONTROL.sub("", text or "")[:MAX_TEXT],
            received_at=now or utcnow(),
        )
    except IntegrityError:
        row = await InboundSms.get_or_none(messageid=key) if key is not None else None
        if row is None:
            raise
        log.info("inbound SMS %s seen before", key)
    return Accepted(row.id, row.outcome is InboundOutcome.RECEIVED)


async def process(
    row_id: int, *, config: SmsConfig = DEFAULT_CONFIG, queue_reply: bool = True
) -> Decided | None:
    """Decide a stored message and queue its answer, in one transaction; None when the
    message was decided already (by another task, another process, or before a restart).

    The message's own time (`received_at`) is the time of everything it does, so a message
    decided after a crash counts against the rate limit as when it came.
    """
    async with in_transaction():
        # A write first: it waits for whoever is deciding this row, then finds it decided;
        # on SQLite it also takes the write lock before the reads that the decision rests on.
        claimed = await InboundSms.filter(id=row_id, outcome=InboundOutcome.RECEIVED).update(
            outcome=InboundOutcome.RECEIVED
        )
        if not claimed:
            return None
        row = await InboundSms.get(id=row_id)
        outcome, reply = await _decide(row, config)
        member = await member_by_phone(row.sender) if outcome is InboundOutcome.ANSWERED else None
        row.outcome, row.reply = outcome, reply
        row.member_id = member.id if member is not None else None
        await row.save(update_fields=["outcome", "reply", "member_id"])
        queued = reply is not None and queue_reply
        if queued:
            await notify.enqueue_sms_reply(
                row.sender,
                reply or "",
                f"sms-reply:{row.id}",
                member_id=row.member_id,
                now=row.received_at,
            )
    return Decided(outcome, reply, queued)


async def process_waiting(*, before: datetime, config: SmsConfig = DEFAULT_CONFIG) -> int:
    """Decide the messages stored before `before` and still undecided (the process that
    stored them crashed, or deciding failed); returns how many this call decided."""
    waiting = (
        await InboundSms.filter(outcome=InboundOutcome.RECEIVED, received_at__lte=before)
        .order_by("id")
        .values_list("id", flat=True)
    )
    decided = 0
    for row_id in waiting:
        try:
            if await process(row_id, config=config) is not None:
                decided += 1
        except Exception:  # one message must not hold up the rest; tried again later
            log.exception("inbound SMS %s could not be processed", row_id)
    return decided


async def handle_inbound(
    sender: str,
    text: str,
    *,
    message_id: int | str | None = None,
    now: datetime | None = None,
    config: SmsConfig = DEFAULT_CONFIG,
    receptor: str = "",
) -> str | None:
    """Store and decide one message here and return the answer without queuing it (`club
    sms` prints it); None when the club stays silent or the message was decided before."""
    accepted = await accept(sender, text, message_id=message_id, receptor=receptor, now=now)
    if not accepted.pending:
        return None
    decided = await process(accepted.row_id, config=config, queue_reply=False)
    return decided.reply if decided is not None else None


def _e164(sender: str) -> str:
    try:
        return normalize_phone(sender)
    except LoyaltyError:
        return (sender or "").strip()[:32]


def _key(row: InboundSms) -> str:
    return f"sms:{row.messageid}" if row.messageid is not None else f"sms-local:{row.id}"


async def _decide(row: InboundSms, config: SmsConfig) -> tuple[InboundOutcome, str | None]:
    now = row.received_at
    if not is_iranian_mobile(row.sender):
        return InboundOutcome.NOT_MOBILE, None
    # The decisions about one sender's messages (the flood gate, help once a day) one at a time.
    await sms_sql.lock_sender(row.sender)
    command = keywords.parse(row.text)
    # An opt-out passes the flood gate: the law and the member's trust both need it carried
    # out, and a throttled sender may well be someone texting STOP again and again.
    if command.kind is not keywords.Kind.STOP:
        gate = await _rate_gate(row, now, config)
        if gate is None and command.kind is keywords.Kind.GIFT:
            gate = await _gift_gate(row, now, config)
        if gate is not None:
            return gate
    member = await member_by_phone(row.sender)
    if command.kind is keywords.Kind.ANSWER and not await keywords.asked_by_sms(member):
        command = keywords.Command(keywords.Kind.UNKNOWN)  # a number, but no survey asked one
    if command.kind is keywords.Kind.UNKNOWN:
        return await _unknown(row, member, now, config)
    ctx = keywords.Context(row.sender, member, now, config.tz, _key(row))
    try:
        async with in_transaction():  # a savepoint: a failure takes back what the keyword did
            reply = await keywords.respond(command, ctx)
    except Exception:  # a member must get an answer, not silence
        log.exception("inbound SMS %s failed", row.id)
        reply = t(keywords.FAILED, keywords.member_locale(member))
    return InboundOutcome.ANSWERED, reply


async def _rate_gate(
    row: InboundSms, now: datetime, config: SmsConfig
) -> tuple[InboundOutcome, str | None] | None:
    """Answer a flood once, then stay silent for `quiet`: a loop with a machine ends fast.

    What counts is the messages that came before this one, so that a burst decided in any
    order is answered as if it came one by one: its first messages get their answers, one
    later message "please wait", the rest nothing.
    """
    mine = InboundSms.filter(sender=row.sender).exclude(id=row.id)
    told = mine.filter(outcome=InboundOutcome.THROTTLED, received_at__gt=now - config.quiet)
    if await told.filter(id__lt=row.id).exists():
        return InboundOutcome.IGNORED, None
    earlier = await mine.filter(id__lt=row.id, received_at__gt=now - timedelta(minutes=1)).count()
    if earlier + 1 <= config.per_minute:
        return None
    if await told.exists():  # a later message of the burst was decided first, and told
        return InboundOutcome.IGNORED, None
    member = await member_by_phone(row.sender)
    return InboundOutcome.THROTTLED, t(keywords.THROTTLED, keywords.member_locale(member))


async def _gift_gate(
    row: InboundSms, now: datetime, config: SmsConfig
) -> tuple[InboundOutcome, str | None] | None:
    """Gift card checks beyond the hour's allowance get the flood answer once (THROTTLED,
    so `_rate_gate` keeps the sender quiet after it), whatever the codes were."""
    earlier = await InboundSms.filter(
        sender=row.sender, id__lt=row.id, received_at__gt=now - timedelta(hours=1)
    ).values_list("text", flat=True)
    checks = sum(keywords.parse(text).kind is keywords.Kind.GIFT for text in earlier)
    if checks < config.gift_checks_per_hour:
        return None
    command = keywords.parse(row.text)
    member = await member_by_phone(row.sender)
    locale = keywords.member_locale(member) if member else command.language
    return InboundOutcome.THROTTLED, t(keywords.GIFT_THROTTLED, locale)


async def _unknown(
    row: InboundSms, member: Member | None, now: datetime, config: SmsConfig
) -> tuple[InboundOutcome, str | None]:
    helped = (
        await InboundSms.filter(
            sender=row.sender, outcome=InboundOutcome.HELP, received_at__gt=now - config.help_every
        )
        .exclude(id=row.id)
        .exists()
    )
    if helped:
        return InboundOutcome.SILENT, None
    return InboundOutcome.HELP, keywords.help_text(keywords.member_locale(member))
