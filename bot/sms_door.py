"""Wiring of the SMS door: settings into handler config, the dry-run log, the door itself.

The web app (`add_sms_routes`), the polling job (`poll_inbound`) and the sweep of
undecided messages all go through one `SmsDoor`: `accept` stores a message, `process`
decides it and queues its answer in the outbox, then wakes the outbox sender so that the
answer goes out at once rather than at the sender's next tick.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from bot.settings import Settings
from bot.sms_gateway import OutgoingSms, SmsSender, build_gateway
from handlers.sms import inbound
from handlers.sms.inbound import Accepted, SmsConfig
from loyalty.clock import utcnow
from models import SmsLog


async def record_sms(sms: OutgoingSms) -> None:
    """The dry gateway's recorder: `build_gateway(..., recorder=record_sms)`."""
    await SmsLog.create(
        receptor=sms.receptor[:32],
        message=sms.message,
        localid=(sms.localid or "")[:40],
        created_at=utcnow(),
    )


def build_sms_gateway(settings: Settings) -> SmsSender:
    """Kavenegar when a key is set; otherwise the dry gateway that logs and records."""
    key = settings.kavenegar_api_key.get_secret_value() if settings.kavenegar_api_key else None
    return build_gateway(
        key, settings.kavenegar_sender, settings.kavenegar_api_base, recorder=record_sms
    )


def sms_config(settings: Settings) -> SmsConfig:
    return SmsConfig(
        tz=settings.tz,
        per_minute=settings.sms_rate_per_minute,
        quiet=timedelta(minutes=settings.sms_quiet_minutes),
    )


def _nothing() -> None:
    return None


class SmsDoor:
    """Inbound SMS in, answers queued. `on_queued` is called after an answer was committed
    to the outbox (the scheduler's `OutboxWake`)."""

    def __init__(self, config: SmsConfig, *, on_queued: Callable[[], None] = _nothing) -> None:
        self.config = config
        self.on_queued = on_queued

    async def accept(
        self, sender: str, text: str, message_id: str | None, receptor: str = ""
    ) -> Accepted:
        return await inbound.accept(sender, text, message_id=message_id, receptor=receptor)

    async def process(self, row_id: int) -> inbound.Decided | None:
        decided = await inbound.process(row_id, config=self.config)
        if decided is not None and decided.queued:
            self.on_queued()
        return decided

    async def sweep(self, before: datetime) -> int:
        """Decide what crashed or failed processes left undecided, stored before `before`."""
        decided = await inbound.process_waiting(before=before, config=self.config)
        if decided:
            self.on_queued()
        return decided


def build_sms_door(settings: Settings, *, on_queued: Callable[[], None] = _nothing) -> SmsDoor:
    return SmsDoor(sms_config(settings), on_queued=on_queued)
