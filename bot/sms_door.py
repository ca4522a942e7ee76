"""Wiring of the SMS door: settings into handler config, the dry-run log, the processor.

The web app (`add_sms_routes`) and the polling job (`poll_inbound`) both take a
`process(sender, text, messageid)` callable; `make_processor` builds it once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

from bot.settings import Settings
from bot.sms_gateway import OutgoingSms, SmsSender, build_gateway
from handlers.sms.inbound import SmsConfig, answer_inbound
from loyalty.clock import utcnow
from models import SmsLog

Process = Callable[[str, str, str | None], Awaitable[object]]


async def record_sms(sms: OutgoingSms) -> None:
    """The dry gateway's recorder: `build_gateway(..., recorder=record_sms)`."""
    await SmsLog.create(
        receptor=sms.receptor[:32], message=sms.message, localid=(sms.localid or "")[:40],
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


def make_processor(gateway: SmsSender, settings: Settings) -> Process:
    """Handle one inbound SMS and send the answer through `gateway`."""
    config = sms_config(settings)

    async def process(sender: str, text: str, message_id: str | None) -> object:
        return await answer_inbound(gateway, sender, text, message_id=message_id, config=config)

    return process
