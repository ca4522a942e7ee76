"""What the dry SMS gateway would have sent, kept in the database (table sms_log)."""

from __future__ import annotations

from bot.sms_gateway import OutgoingSms
from loyalty.clock import utcnow
from models import SmsLog


async def record_sms(sms: OutgoingSms) -> None:
    """The dry gateway's recorder: `build_gateway(..., recorder=record_sms)`."""
    await SmsLog.create(
        receptor=sms.receptor[:32], message=sms.message, localid=(sms.localid or "")[:40],
        created_at=utcnow(),
    )
