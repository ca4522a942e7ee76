"""The SMS line as Kavenegar sees it: the webhook over real HTTP on 127.0.0.1, the fake
Kavenegar, and the outbox sender that delivers the answers through it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiohttp
from aiohttp import web

from bot.credit_alert import CreditAlert
from bot.outbox import DrainResult, OutboxSender
from bot.sms_door import SmsDoor
from bot.sms_gateway import SmsGateway
from handlers.sms.inbound import SmsConfig
from handlers.sms.web import add_sms_routes, wait_for_sms_tasks
from tests.fakes.kavenegar import FakeKavenegar

SECRET = "s3cret-path-part"
LINE = "10008663"
TZ = SmsConfig().tz


async def _no_wait(_: float) -> None:
    return None


@dataclass
class SmsLine:
    base: str
    app: web.Application
    kave: FakeKavenegar
    door: SmsDoor
    gateway: SmsGateway

    @property
    def url(self) -> str:
        return f"{self.base}/sms/{SECRET}"

    async def call(
        self, method: str = "POST", path: str | None = None, **kwargs: Any
    ) -> tuple[int, str]:
        """One call of the webhook, as Kavenegar (or anyone) makes it: the status and body."""
        async with (
            aiohttp.ClientSession() as http,
            http.request(method, path or self.url, **kwargs) as response,
        ):
            return response.status, await response.text()

    async def sms(self, sender: str, text: str, messageid: str | None = None) -> int:
        form = {"from": sender, "to": LINE, "message": text}
        if messageid is not None:
            form["messageid"] = messageid
        status, _ = await self.call(data=form)
        return status

    async def settle(self) -> None:
        """Wait until every message the webhook accepted has been decided."""
        await wait_for_sms_tasks(self.app)

    def sender(self, **kwargs: Any) -> OutboxSender:
        return OutboxSender(bot=None, gateway=self.gateway, tz=TZ, **kwargs)

    async def deliver(self, now: datetime | None = None, **kwargs: Any) -> DrainResult:
        """Decide what is pending, then one round of the outbox sender."""
        await self.settle()
        return await self.sender(**kwargs).drain(now)

    def texts_to(self, receptor: str) -> list[str]:
        return [message for to, message, _ in self.kave.delivered if to == receptor]


@asynccontextmanager
async def sms_line(
    door: SmsDoor | None = None, *, credit: int = 1_000_000
) -> AsyncIterator[SmsLine]:
    async with FakeKavenegar(credit=credit) as kave:
        gateway = SmsGateway(kave.api_key, LINE, kave.base_url, attempts=1, sleep=_no_wait)
        door = door or SmsDoor(SmsConfig())
        app = web.Application()
        add_sms_routes(app, secret=SECRET, door=door)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        port = runner.addresses[0][1]
        try:
            yield SmsLine(f"http://127.0.0.1:{port}", app, kave, door, gateway)
        finally:
            await runner.cleanup()


def credit_alert(bot: Any, owner: int) -> CreditAlert:
    return CreditAlert(bot, [owner], "en")
