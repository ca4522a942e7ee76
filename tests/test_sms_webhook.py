"""The inbound SMS webhook over real HTTP on 127.0.0.1, and polling the fake Kavenegar.

Answers go out through the outbox: `deliver()` runs one round of its sender against the
fake Kavenegar.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import pytest_asyncio
from aiohttp import web
from tortoise.exceptions import OperationalError

from bot.app import serving
from bot.scheduler import build_scheduler
from bot.settings import Settings
from bot.sms_door import SmsDoor
from handlers.sms.inbound import Accepted, SmsConfig
from handlers.sms.web import add_sms_routes
from jobs.sms_poll import poll_inbound
from loyalty.clock import utcnow
from models import InboundOutcome, InboundSms, Member, OutboxMessage
from tests.helpers import free_port
from tests.sms_harness import LINE, SECRET, SmsLine, sms_line

PHONE = "09121234567"
E164 = "+989121234567"


@pytest_asyncio.fixture
async def line(db: str) -> AsyncIterator[SmsLine]:
    async with sms_line() as line:
        yield line


@pytest_asyncio.fixture
async def any_line(any_db: str) -> AsyncIterator[SmsLine]:
    async with sms_line() as line:
        yield line


async def test_post_with_the_right_secret_is_answered_by_sms(line: SmsLine) -> None:
    assert await line.sms(PHONE, "عضویت مریم", "501") == 200
    assert (await line.deliver()).sent == 1
    member = await Member.get(phone=E164)
    assert member.first_name == "مریم"
    [(receptor, text, localid)] = line.kave.delivered
    assert receptor == PHONE and text.startswith("خوش آمدید! کارت ")
    answer = await OutboxMessage.get(key__startswith="sms-reply:")
    assert (localid, answer.phone, answer.member_id, answer.status) == (
        str(answer.id),
        E164,
        member.id,
        "sent",
    )


async def test_get_with_query_fields_works_too(line: SmsLine) -> None:
    query = {"from": PHONE, "to": LINE, "message": "help", "messageid": "502"}
    assert (await line.call("GET", params=query))[0] == 200
    await line.deliver()
    # HELP, from a number that is no member's, is answered in English, as it was asked.
    assert line.texts_to(PHONE) == [
        "Keywords: JOIN [code] name, POINTS, REWARDS, REDEEM n, "
        "BIRTHDAY 1991-08-03, FEEDBACK text, GIFT code, GIVE n, STOP, START. "
        "Survey: send a number."
    ]
    assert (await OutboxMessage.get()).member_id is None


async def test_a_wrong_secret_is_404_and_nothing_happens(line: SmsLine) -> None:
    form = {"from": PHONE, "to": LINE, "message": "عضویت", "messageid": "503"}
    for path in ("/sms/wrong", f"/sms/{SECRET}x", "/sms/"):
        assert (await line.call("POST", line.base + path, data=form))[0] == 404
        assert (await line.call("GET", line.base + path, params=form))[0] == 404
    await line.deliver()
    assert await InboundSms.all().count() == 0
    assert await Member.all().count() == 0
    assert line.kave.delivered == []


async def test_the_same_messageid_twice_is_processed_once(line: SmsLine) -> None:
    for _ in range(3):
        assert await line.sms(PHONE, "عضویت", "504") == 200
        await line.deliver()
    assert await InboundSms.all().count() == 1
    assert await Member.all().count() == 1
    assert len(line.kave.delivered) == 1


async def test_a_call_without_sender_is_refused(line: SmsLine) -> None:
    assert (await line.call(data={"message": "hi"}))[0] == 400
    assert await InboundSms.all().count() == 0


async def test_polling_stores_and_answers_each_message_once(db: str) -> None:
    async with sms_line() as line:
        first = line.kave.push_inbound(PHONE, "عضویت", receptor=LINE)
        line.kave.push_inbound("09351234567", "JOIN Sam", receptor=LINE)
        assert await poll_inbound(line.gateway, LINE, line.door) == 2
        assert await poll_inbound(line.gateway, LINE, line.door) == 0
        # The same message forwarded by the webhook as well is not decided again.
        assert await line.sms(PHONE, "عضویت", str(first)) == 200
        await line.deliver()
        assert await Member.all().count() == 2
        assert await InboundSms.all().count() == 2
        answers = {row.phone: str(row.id) for row in await OutboxMessage.all()}
        assert sorted((to, localid) for to, _, localid in line.kave.delivered) == [
            (PHONE, answers[E164]),
            ("09351234567", answers["+989351234567"]),
        ]


async def test_a_message_the_club_could_not_store_is_not_acknowledged(
    any_line: SmsLine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Kavenegar forgets a message it got 200 for: the club answers 200 only once it is stored."""
    create = InboundSms.create

    async def database_down(*args: object, **kwargs: object) -> None:
        raise OperationalError("database is locked")

    monkeypatch.setattr(InboundSms, "create", database_down)
    assert await any_line.sms(PHONE, "JOIN Mina", "601") >= 500
    monkeypatch.setattr(InboundSms, "create", create)
    assert await any_line.sms(PHONE, "JOIN Mina", "601") == 200  # Kavenegar calls again
    await any_line.deliver()
    assert await Member.filter(phone=E164, first_name="Mina").count() == 1
    assert len(any_line.texts_to(PHONE)) == 1


class StoppedBeforeDeciding(SmsDoor):
    """A process killed right after it stored a message and answered 200."""

    async def process(self, row_id: int) -> None:
        return None


async def test_a_message_left_undecided_is_decided_once_at_start_up(any_db: str) -> None:
    phones = ["09121234567", "09351234567", "09191234567"]
    async with sms_line(StoppedBeforeDeciding(SmsConfig())) as line:
        for n, phone in enumerate(phones):
            assert await line.sms(phone, "JOIN", f"70{n}") == 200
        assert await line.sms(phones[0], "JOIN", "700") == 200  # Kavenegar's resend: a duplicate
        await line.settle()
        assert await InboundSms.filter(outcome=InboundOutcome.RECEIVED).count() == 3

        # The next start: the scheduler's sweep runs at once and decides what was left.
        settings = Settings(_env_file=None)
        restarted = build_scheduler(
            settings, bot=None, gateway=line.gateway, sms_door=SmsDoor(SmsConfig())
        )
        sweep = restarted.get_job("sms_sweep")
        assert sweep.next_run_time <= utcnow() + timedelta(seconds=1)
        await sweep.func()
        await sweep.func()  # and again: nothing is decided twice
        await line.deliver()
        assert await InboundSms.filter(outcome=InboundOutcome.ANSWERED).count() == 3
        assert sorted(await Member.all().values_list("phone", flat=True)) == sorted(
            "+98" + phone[1:] for phone in phones
        )
        assert sorted(to for to, _, _ in line.kave.delivered) == sorted(phones)


@pytest.mark.parametrize("messageid", ["msg-77a", "9" * 41])
async def test_any_messageid_is_stored_and_deduplicated(any_line: SmsLine, messageid: str) -> None:
    for _ in range(2):
        assert await any_line.sms(PHONE, "JOIN", messageid) == 200
        await any_line.deliver()
    assert await InboundSms.all().values_list("messageid", "outcome") == [
        (messageid, InboundOutcome.ANSWERED)
    ]
    assert len(any_line.kave.delivered) == 1


FORM = {"Content-Type": "application/x-www-form-urlencoded"}
MULTIPART = {"Content-Type": "multipart/form-data; boundary=x"}


@pytest.mark.parametrize(
    ("method", "query", "call"),
    [
        ("POST", "", {"data": b"from=09121234567&message=\xff\xfe", "headers": FORM}),
        ("POST", "", {"data": b"from=09121234567&message=%ff%fe", "headers": FORM}),
        ("GET", "?from=09121234567&message=%ff", {}),
        (
            "POST",
            "",
            {
                "data": b"from=09121234567&message=hi",
                "headers": {"Content-Type": FORM["Content-Type"] + "; charset=x-nope"},
            },
        ),
        (
            "POST",
            "",
            {
                "data": b"from=09121234567&message=hi",
                "headers": {"Content-Type": FORM["Content-Type"] + "; charset=latin-1"},
            },
        ),
        (
            "POST",
            "",
            {
                "data": b'{"from": "09121234567", "message": "hi"}',
                "headers": {"Content-Type": "application/json"},
            },
        ),
        (
            "POST",
            "",
            {"data": b"from=09121234567&message=hi", "headers": {"Content-Type": "text/plain"}},
        ),
        (
            "POST",
            "",
            {
                "data": b"from=09121234567&message=hi",
                "headers": {"Content-Type": "multipart/form-data"},
            },
        ),
        ("POST", "", {"data": b"--x\r\nfoo", "headers": MULTIPART}),
        (
            "POST",
            "",
            {
                "data": b'--x\r\nContent-Disposition: form-data; name="from"\r\n\r\n'
                b"0912\xff\r\n--x--\r\n",
                "headers": MULTIPART,
            },
        ),
        (
            "POST",
            "",
            {
                "data": b'--x\r\nContent-Disposition: form-data; name="from"; filename="a.txt"\r\n'
                b"Content-Type: text/plain\r\n\r\n09121234567\r\n--x--\r\n",
                "headers": MULTIPART,
            },
        ),
        ("POST", "", {"data": b"not gzip", "headers": {**FORM, "Content-Encoding": "gzip"}}),
        ("POST", "", {"data": {"from": "0912\x001234567", "message": "hi"}}),
        ("POST", "", {"data": {"from": "09121234567", "message": "hi", "messageid": "1" * 65}}),
    ],
)
async def test_a_malformed_call_is_refused_with_a_4xx_and_stores_nothing(
    line: SmsLine, method: str, query: str, call: dict[str, object]
) -> None:
    status, _ = await line.call(method, line.url + query, **call)
    assert 400 <= status < 500
    await line.settle()
    assert await InboundSms.all().count() == 0


@pytest.mark.parametrize("sender", ["+14155550100", "+447911123456", "00447911123456"])
async def test_foreign_numbers_are_recorded_and_never_answered(
    any_line: SmsLine, sender: str
) -> None:
    assert await any_line.sms(sender, "JOIN Sam", "801") == 200
    assert await any_line.sms(sender, "HELP", "802") == 200
    await any_line.deliver()
    outcomes = await InboundSms.all().values_list("outcome", flat=True)
    assert outcomes == [InboundOutcome.NOT_MOBILE, InboundOutcome.NOT_MOBILE]
    assert await Member.all().count() == 0
    assert await OutboxMessage.all().count() == 0
    assert any_line.kave.delivered == []


class Records(SmsDoor):
    async def accept(
        self, sender: str, text: str, message_id: str | None, receptor: str = ""
    ) -> Accepted:
        return Accepted(1, False)


async def test_the_logs_do_not_show_the_secret_or_the_message(
    db: str, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(_env_file=None, web_port=free_port())
    app = web.Application()
    add_sms_routes(app, secret=SECRET, door=Records(SmsConfig()))
    caplog.set_level(logging.INFO)
    async with serving(app, settings), sms_line() as line:
        base = f"http://{settings.web_host}:{settings.web_port}"
        query = {"from": PHONE, "to": LINE, "message": "JOIN Mina", "messageid": "9"}
        assert (await line.call("GET", f"{base}/sms/{SECRET}", params=query))[0] == 200
        assert (await line.call("GET", f"{base}/sms/{SECRET}-almost", params=query))[0] == 404
        # A request line aiohttp cannot parse is logged with its error.
        reader, writer = await asyncio.open_connection(settings.web_host, settings.web_port)
        writer.write(
            f"GET /sms/{SECRET}?message=\xff HTTP/1.1\r\nHost: x\r\n\r\n".encode("latin-1")
        )
        assert (await reader.readline()).startswith(b"HTTP/1.0 400")
        writer.close()
    access = [r.getMessage() for r in caplog.records if r.name == "aiohttp.access"]
    assert len(access) >= 2 and all('"GET /sms/***"' in line for line in access[:2])
    assert any(r.name == "aiohttp.server" for r in caplog.records)
    assert SECRET not in caplog.text and PHONE[1:] not in caplog.text and "Mina" not in caplog.text
