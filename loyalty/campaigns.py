"""Campaigns: an audience, a channel and a text, enqueued once per recipient at send_at.

Enqueueing is resumable: each recipient's outbox row has the key campaign:<id>:<member>,
so running a campaign again after a crash adds only the members not yet added.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tortoise.expressions import Q
from tortoise.functions import Count

from loyalty import audit, notify, promos
from loyalty.audiences import branch_of, check, count, scoped, values
from loyalty.clock import utcnow
from loyalty.errors import ErrorCode, LoyaltyError
from models import Campaign, Channel, OutboxMessage, OutboxStatus, PromoBatch

CHANNELS = ("telegram", "sms", "telegram_sms")
FALLBACK_SMS = "fallback_sms"  # the sender reads this parameter (bot/outbox.py)
MAX_TEXT = 1000
# A draft waits for its Send button; one not pressed within this time is dropped.
DRAFT_LIFETIME = timedelta(days=1)
SMS_OPT_OUT = "\nلغو۱۱"  # appended to advertising SMS by the renderer
CODE = "{code}"  # in a campaign's text: the recipient's own code of its promo batch


@dataclass(frozen=True)
class Preview:
    telegram: int
    sms: int
    sms_parts: int  # total parts billed for the SMS recipients

    @property
    def total(self) -> int:
        return self.telegram + self.sms


# Who a campaign reaches by Telegram, and by SMS: a Telegram id the bot can still reach, or
# a phone, each with the member's consent for that channel.
ON_TELEGRAM = Q(telegram_id__not_isnull=True, reachable_telegram=True, consent_telegram=True) & ~Q(
    telegram_id=0
)
ON_SMS = Q(phone__not_isnull=True, reachable_sms=True, consent_sms=True) & ~Q(phone="")


def routes(channel: str) -> list[tuple[Channel, Q]]:
    """The channels a campaign on `channel` tries first, each with the members it takes.

    With Telegram and SMS, SMS takes only those Telegram cannot reach. Conditions, so
    that counting a campaign's reach and listing its recipients are one rule, asked of
    the database.
    """
    found: list[tuple[Channel, Q]] = []
    if channel in ("telegram", "telegram_sms"):
        found.append((Channel.TELEGRAM, ON_TELEGRAM))
    if channel == "sms":
        found.append((Channel.SMS, ON_SMS))
    elif channel == "telegram_sms":
        found.append((Channel.SMS, ON_SMS & ~ON_TELEGRAM))
    return found


def _check(channel: str, text: str) -> None:
    if channel not in CHANNELS:
        raise ValueError(f"unknown campaign channel {channel!r}")  # the door offers only these
    check_text(text)


def check_text(text: str) -> None:
    """A campaign text is not empty and not longer than MAX_TEXT (LoyaltyError otherwise)."""
    if not text.strip():
        raise LoyaltyError(ErrorCode.EMPTY_TEXT)
    if len(text) > MAX_TEXT:
        raise LoyaltyError(ErrorCode.TEXT_TOO_LONG, max=MAX_TEXT)


async def recipients(
    audience: dict[str, Any], channel: str, now: datetime, tz: ZoneInfo
) -> list[tuple[int, Channel]]:
    """(member id, the channel tried first) for every member the campaign reaches, by id."""
    today = now.astimezone(tz).date()
    found = [
        (row[0], via)
        for via, who in routes(channel)
        for row in await values(audience, now, today, ("id",), who)
    ]
    return sorted(found)


async def preview(
    audience: dict[str, Any],
    channel: str,
    text: str,
    *,
    now: datetime,
    tz: ZoneInfo,
    sms_parts: Any,
) -> Preview:
    """Counts per channel, as `recipients` would route them; `sms_parts` is the part counter
    (handlers/sms/text.sms_parts)."""
    today = now.astimezone(tz).date()
    counts = {via: await count(audience, now, today, who) for via, who in routes(channel)}
    tg, sms = counts.get(Channel.TELEGRAM, 0), counts.get(Channel.SMS, 0)
    # A member's promo code in the text: counted at the longest a code can be.
    text = text.replace(CODE, "X" * (promos.MAX_PREFIX + 1 + promos.BATCH_BODY))
    return Preview(tg, sms, sms * sms_parts(text + SMS_OPT_OUT))


async def create(
    audience: dict[str, Any],
    channel: str,
    text: str,
    *,
    send_at: datetime | None = None,
    photo: str | None = None,
    staff_id: int | None = None,
    actor: str = "",
    now: datetime | None = None,
    status: str = "scheduled",
    key: str | None = None,
) -> Campaign:
    """A new campaign; with `key`, the one created under that key before, if any. A manager of
    one branch reaches that branch's members only."""
    now = now or utcnow()
    _check(channel, text)
    audience = await scoped(audience, staff_id)
    await check(audience)
    if key is not None and (earlier := await Campaign.get_or_none(request_key=key)) is not None:
        return earlier
    campaign = await Campaign.create(
        audience=audience,
        channel=channel,
        text=text.strip(),
        photo=photo,
        send_at=send_at or now,
        status=status,
        created_by_id=staff_id,
        created_at=now,
        request_key=key,
    )
    await audit.record(
        "campaign_created", staff_id=staff_id, actor=actor, now=now, campaign=campaign.id
    )
    return campaign


async def confirm(
    campaign_id: int, *, send_at: datetime, staff_id: int | None = None, actor: str = ""
) -> bool:
    """Schedule a draft; False: it was confirmed or cancelled already (by another press)."""
    done = bool(
        await Campaign.filter(id=campaign_id, status="draft").update(
            status="scheduled", send_at=send_at
        )
    )
    if done:
        await audit.record(
            "campaign_confirmed", staff_id=staff_id, actor=actor, campaign=campaign_id
        )
    return done


async def enqueue(campaign: Campaign, now: datetime, tz: ZoneInfo) -> int:
    """Add an outbox row for every recipient not added yet; returns the rows now queued.

    Nothing is queued for a campaign cancelled since it was read as due.
    """
    if not await Campaign.filter(id=campaign.id, status__in=("scheduled", "running")).update(
        status="running"
    ):
        return 0
    params: dict[str, Any] = {"text": campaign.text}
    if campaign.photo:
        params["photo"] = campaign.photo
    if campaign.channel == "telegram_sms":
        params[FALLBACK_SMS] = True
    from loyalty.surveys import invitation_params  # surveys send through campaigns

    params |= await invitation_params(campaign.id)
    messages = [
        (member_id, f"campaign:{campaign.id}:{member_id}", channel)
        for member_id, channel in await recipients(campaign.audience, campaign.channel, now, tz)
    ]
    params_of = None
    batch = await PromoBatch.get_or_none(campaign_id=campaign.id, active=True)
    if batch is not None:
        # Each recipient's own code in the text: made (or read, when sent again) first.
        given = await promos.batch_codes(batch, [m for m, _, _ in messages], now=now)

        def params_of(member_id: int) -> dict[str, Any]:
            return {**params, "text": campaign.text.replace(CODE, given[member_id])}

    await notify.enqueue_many(
        "campaign", messages, now=now, params=params, campaign_id=campaign.id, params_of=params_of
    )
    queued = await OutboxMessage.filter(campaign_id=campaign.id).count()
    await Campaign.filter(id=campaign.id).update(queued=queued, finished_at=now)
    await Campaign.filter(id=campaign.id, status="running").update(status="done")
    # Paused or stopped while its messages were being added: those added since wait too.
    if await Campaign.exists(id=campaign.id, status__in=("paused", "stopped")):
        await _hold(campaign.id)
    return queued


async def run_due(now: datetime, tz: ZoneInfo | None = None) -> list[int]:
    """Enqueue every campaign due at `now`, including one a crash left running; drop the
    drafts no one confirmed."""
    tz = tz or ZoneInfo("Asia/Tehran")
    await expire_drafts(now)
    due = await Campaign.filter(status__in=("scheduled", "running"), send_at__lte=now).order_by(
        "id"
    )
    for campaign in due:
        await enqueue(campaign, now, tz)
    return [c.id for c in due]


async def progress(campaign_id: int) -> dict[str, int]:
    """queued (waiting or being sent), sent, failed, skipped."""
    # Counted by the database: a campaign to a large club has hundreds of thousands of rows.
    rows = await (
        OutboxMessage.filter(campaign_id=campaign_id)
        .annotate(n=Count("id"))
        .group_by("status")
        .values_list("status", "n")
    )
    by_status = {OutboxStatus(status): int(n) for status, n in rows}
    return {
        "queued": by_status.get(OutboxStatus.PENDING, 0) + by_status.get(OutboxStatus.SENDING, 0),
        "sent": by_status.get(OutboxStatus.SENT, 0),
        "failed": by_status.get(OutboxStatus.FAILED, 0),
        "skipped": by_status.get(OutboxStatus.SKIPPED, 0),
        "held": by_status.get(OutboxStatus.HELD, 0),
    }


async def recent(limit: int = 10, *, staff_id: int | None = None) -> list[Campaign]:
    """The latest campaigns; for a manager of one branch, those to that branch."""
    branch = await branch_of(staff_id)
    if branch is None:
        return await Campaign.all().order_by("-id").limit(limit)
    # The branch is inside the audience's JSON: read a few more and keep the branch's.
    found = await Campaign.all().order_by("-id").limit(10 * limit)
    return [c for c in found if c.audience.get("branch_id") == branch][:limit]


async def in_reach(audience: dict[str, Any], staff_id: int | None) -> bool:
    """A campaign or lottery of this audience may be run by this staff member."""
    branch = await branch_of(staff_id)
    return branch is None or audience.get("branch_id") == branch


async def cancel(
    campaign_id: int, *, staff_id: int | None = None, actor: str = "", now: datetime | None = None
) -> bool:
    """Cancel a campaign that has not started; False: it has started, or is gone already."""
    done = bool(
        await Campaign.filter(id=campaign_id, status__in=("draft", "scheduled")).update(
            status="cancelled"
        )
    )
    if done:
        await audit.record(
            "campaign_cancelled", staff_id=staff_id, actor=actor, now=now, campaign=campaign_id
        )
    return done


async def _hold(campaign_id: int) -> None:
    await OutboxMessage.filter(campaign_id=campaign_id, status=OutboxStatus.PENDING).update(
        status=OutboxStatus.HELD
    )


async def pause(
    campaign_id: int, *, staff_id: int | None = None, actor: str = "", now: datetime | None = None
) -> bool:
    """Hold the messages of a started campaign not sent yet; those sent stay sent (a message
    a sender holds at this moment still goes). False: it has not started, or is not sending."""
    done = bool(
        await Campaign.filter(id=campaign_id, status__in=("running", "done")).update(
            status="paused"
        )
    )
    if done:
        await _hold(campaign_id)
        await audit.record(
            "campaign_paused", staff_id=staff_id, actor=actor, now=now, campaign=campaign_id
        )
    return done


async def resume(
    campaign_id: int, *, staff_id: int | None = None, actor: str = "", now: datetime | None = None
) -> bool:
    """Send the held messages of a paused campaign; one paused while its messages were being
    added goes back to the job, which adds the rest."""
    campaign = await Campaign.get_or_none(id=campaign_id, status="paused")
    if campaign is None:
        return False
    status = "done" if campaign.finished_at is not None else "running"
    if not await Campaign.filter(id=campaign_id, status="paused").update(status=status):
        return False
    await OutboxMessage.filter(campaign_id=campaign_id, status=OutboxStatus.HELD).update(
        status=OutboxStatus.PENDING
    )
    await audit.record(
        "campaign_resumed", staff_id=staff_id, actor=actor, now=now, campaign=campaign_id
    )
    return True


async def stop(
    campaign_id: int, *, staff_id: int | None = None, actor: str = "", now: datetime | None = None
) -> bool:
    """Stop a started campaign for good: what was sent stays sent, the rest stays held."""
    done = bool(
        await Campaign.filter(id=campaign_id, status__in=("running", "done", "paused")).update(
            status="stopped"
        )
    )
    if done:
        await _hold(campaign_id)
        await audit.record(
            "campaign_stopped", staff_id=staff_id, actor=actor, now=now, campaign=campaign_id
        )
    return done


async def expire_drafts(now: datetime) -> int:
    """Drafts older than DRAFT_LIFETIME, never confirmed nor cancelled, expire."""
    return await Campaign.filter(status="draft", created_at__lt=now - DRAFT_LIFETIME).update(
        status="expired"
    )


async def reach(campaign: Campaign, now: datetime, tz: ZoneInfo) -> int:
    """The members a campaign reaches: counted now until it starts, then the messages added."""
    if campaign.status in ("draft", "scheduled"):
        today = now.astimezone(tz).date()
        return sum(
            [await count(campaign.audience, now, today, who) for _, who in routes(campaign.channel)]
        )
    return campaign.queued
