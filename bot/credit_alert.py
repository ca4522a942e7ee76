"""Telling the owners, once per outage, that the SMS account has run out of credit.

Messages wait in the outbox meanwhile (nothing is lost); the owners need to top up.
Whether an alert is already out is kept in the audit log, so a restart during the
outage does not alert again, and the next outage after credit returns does.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError

from handlers.i18n import N_, t
from loyalty import audit
from models import AuditEntry

log = logging.getLogger("club.sms")
RAISED, CLEARED = "sms_no_credit", "sms_credit_back"


class CreditAlert:
    def __init__(self, bot: Bot | None, owner_ids: Sequence[int], locale: str) -> None:
        self.bot, self.owner_ids, self.locale = bot, list(owner_ids), locale
        self._raised: bool | None = None  # unknown until first read from the audit log

    async def _is_raised(self) -> bool:
        if self._raised is None:
            last = await AuditEntry.filter(action__in=(RAISED, CLEARED)).order_by("-id").first()
            self._raised = last is not None and last.action == RAISED
        return self._raised

    async def out_of_credit(self, now: datetime) -> None:
        if await self._is_raised():
            return
        self._raised = True
        await audit.record(RAISED, actor="sms", now=now)
        text = t(
            N_("The SMS account is out of credit: SMS wait in the queue until it is topped up."),
            self.locale,
        )
        for owner in self.owner_ids if self.bot else ():
            try:
                await self.bot.send_message(owner, text)
            except TelegramAPIError as exc:
                log.warning("could not alert owner %s: %s", owner, exc)

    async def credit_back(self, now: datetime) -> None:
        if not await self._is_raised():
            return
        self._raised = False
        await audit.record(CLEARED, actor="sms", now=now)
