"""The inbound SMS webhook over real HTTP on 127.0.0.1, and polling the fake Kavenegar."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest_asyncio
from aiohttp import web

from bot.settings import Settings
from bot.sms_door import make_processor, record_sms
from bot.sms_gateway import DrySmsGateway, SmsGateway
from handlers.sms.web import add_sms_routes, wait_for_sms_tasks
from jobs.sms_poll import poll_inbound
from models import InboundSms, Member, SmsLog
from tests.fakes.kavenegar import FakeKavenegar

SECRET = "s3cret-path-part"
PHONE = "09121234567"
E164 = "+989121234567"
LINE = "10008663"


@dataclass
class Server:
    app: web.Application
    url: str

    async def settle(self) -> None:
        await wait_for_sms_tasks(self.app)


@pytest_asyncio.fixture
async def server(db: str) -> AsyncIterator[Server]:
    gateway = DrySmsGateway(LINE, recorder=record_sms)
    app = web.Application()
    add_sms_routes(app, secret=SECRET, process=make_processor(gateway, Settings(_env_file=None)))
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield Server(app, f"http://127.0.0.1:{port}")
    await runner.cleanup()


async def test_post_with_the_right_secret_is_answered_by_sms(server: Server) -> None:
    form = {"from": PHONE, "to": LINE, "message": "عضویت مریم", "messageid": "501"}
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{server.url}/sms/{SECRET}", data=form) as response:
            assert response.status == 200
    await server.settle()
    member = await Member.get(phone=E164)
    assert member.first_name == "مریم"
    [sent] = await SmsLog.all()
    assert sent.receptor == PHONE and sent.message.startswith("خوش آمدید! کارت ")


async def test_get_with_query_fields_works_too(server: Server) -> None:
    query = {"from": PHONE, "to": LINE, "message": "help", "messageid": "502"}
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{server.url}/sms/{SECRET}", params=query) as response:
            assert response.status == 200
    await server.settle()
    [sent] = await SmsLog.all()
    assert sent.message.startswith("عضویت نام، امتیاز")


async def test_a_wrong_secret_is_404_and_nothing_happens(server: Server) -> None:
    form = {"from": PHONE, "to": LINE, "message": "عضویت", "messageid": "503"}
    async with aiohttp.ClientSession() as http:
        for path in ("/sms/wrong", f"/sms/{SECRET}x", "/sms/"):
            async with http.post(f"{server.url}{path}", data=form) as response:
                assert response.status == 404
            async with http.get(f"{server.url}{path}", params=form) as response:
                assert response.status == 404
    await server.settle()
    assert await InboundSms.all().count() == 0
    assert await Member.all().count() == 0
    assert await SmsLog.all().count() == 0


async def test_the_same_messageid_twice_is_processed_once(server: Server) -> None:
    form = {"from": PHONE, "to": LINE, "message": "عضویت", "messageid": "504"}
    async with aiohttp.ClientSession() as http:
        for _ in range(3):
            async with http.post(f"{server.url}/sms/{SECRET}", data=form) as response:
                assert response.status == 200
            await server.settle()
    assert await InboundSms.all().count() == 1
    assert await Member.all().count() == 1
    assert await SmsLog.all().count() == 1


async def test_a_call_without_sender_is_refused(server: Server) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{server.url}/sms/{SECRET}", data={"message": "hi"}) as response:
            assert response.status == 400
    assert await InboundSms.all().count() == 0


async def test_polling_processes_each_message_once_and_replies(db: str) -> None:
    async with FakeKavenegar("POLL-KEY") as fake:
        gateway = SmsGateway("POLL-KEY", LINE, fake.base_url, timeout=2.0)
        process = make_processor(gateway, Settings(_env_file=None))
        first = fake.push_inbound(PHONE, "عضویت", receptor=LINE)
        fake.push_inbound("09351234567", "JOIN Sam", receptor=LINE)
        assert await poll_inbound(gateway, LINE, process) == 2
        assert await poll_inbound(gateway, LINE, process) == 0
        # The same message forwarded by the webhook as well is not processed again.
        assert await process(PHONE, "عضویت", str(first)) is None

        assert await Member.all().count() == 2
        receptors = sorted(receptor for receptor, _, _ in fake.delivered)
        assert receptors == ["09121234567", "09351234567"]
        assert all(localid and int(localid) > 9_000_000_000_000 for _, _, localid in fake.delivered)
