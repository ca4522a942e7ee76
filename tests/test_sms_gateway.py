"""The SMS gateway against the fake Kavenegar over real HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import logging
import traceback
from collections.abc import AsyncIterator, Awaitable

import aiohttp
import pytest
import pytest_asyncio

from bot.sms_gateway import (
    DrySmsGateway,
    KavenegarClient,
    OutgoingSms,
    SmsError,
    SmsGateway,
    SmsInvalidReceptor,
    SmsNoCredit,
    SmsRetryable,
    build_gateway,
)
from tests.fakes.kavenegar import FakeKavenegar
from tests.waiting import DEADLINE, eventually

pytestmark = pytest.mark.asyncio

KEY = "SECRET-KEY-1234"
SENDER = "10008663"
MEMBER = "09121234567"


async def no_sleep(_seconds: float) -> None:
    """Backoff without waiting, so retry tests run in milliseconds."""


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeKavenegar]:
    async with FakeKavenegar(KEY) as server:
        yield server


# A request the fake answers must be answered within the gateway's timeout even on a busy
# machine; a test of a hanging request sets a short one only when every request hangs.
ANSWERED_IN = 10.0
LOST_ANSWER_AFTER = 2.0  # where a hang is followed by requests that must be answered


def gateway_for(fake: FakeKavenegar, **options: object) -> SmsGateway:
    options.setdefault("timeout", ANSWERED_IN)
    options.setdefault("sleep", no_sleep)
    return SmsGateway(KEY, SENDER, fake.base_url, **options)  # type: ignore[arg-type]


def sent_localids(fake: FakeKavenegar, method: str) -> list[str | None]:
    return [params.get("localid") for name, params in fake.requests if name == method]


async def test_send_returns_message_id_and_status(fake: FakeKavenegar) -> None:
    result = await gateway_for(fake).send(MEMBER, "سلام، امتیاز شما ۱۲۰ است", localid="1")

    assert result.ok and result.code == 200
    assert isinstance(result.message_id, int) and result.status == 1
    assert (result.receptor, result.localid) == (MEMBER, "1")
    assert fake.delivered == [(MEMBER, "سلام، امتیاز شما ۱۲۰ است", "1")]
    assert fake.requests[0][1]["sender"] == SENDER


async def test_send_array_sends_200_in_one_call(fake: FakeKavenegar) -> None:
    items = [OutgoingSms(f"0912{i:07d}", f"پیام {i}", str(1000 + i)) for i in range(200)]

    results = await gateway_for(fake).send_array(items)

    assert fake.calls["sms/sendarray"] == 1
    assert len(fake.delivered) == 200
    assert [r.localid for r in results] == [i.localid for i in items]
    assert [r.receptor for r in results] == [i.receptor for i in items]
    assert all(r.ok for r in results)
    assert len({r.message_id for r in results}) == 200


async def test_send_array_refuses_more_than_200(fake: FakeKavenegar) -> None:
    items = [OutgoingSms(MEMBER, "x", str(i)) for i in range(201)]

    with pytest.raises(ValueError):
        await gateway_for(fake).send_array(items)
    assert not fake.calls


async def test_busy_server_is_retried_with_the_same_localid(fake: FakeKavenegar) -> None:
    fake.fail_next(409)

    result = await gateway_for(fake).send(MEMBER, "hello", localid="7")

    assert result.ok
    assert fake.calls["sms/send"] == 2
    assert sent_localids(fake, "sms/send") == ["7", "7"]
    assert fake.delivered == [(MEMBER, "hello", "7")]


async def test_too_many_calls_is_retried(fake: FakeKavenegar) -> None:
    fake.fail_next(451, count=2)

    result = await gateway_for(fake).send(MEMBER, "hello", localid="8")

    assert result.ok
    assert fake.calls["sms/send"] == 3
    assert len(fake.delivered) == 1


async def test_gives_up_after_the_configured_attempts(fake: FakeKavenegar) -> None:
    fake.fail_next(409, count=5)

    with pytest.raises(SmsRetryable) as caught:
        await gateway_for(fake, attempts=3).send(MEMBER, "hello", localid="9")

    assert caught.value.code == 409
    assert fake.calls["sms/send"] == 3
    assert not fake.delivered


async def test_backoff_grows_and_uses_the_injected_sleep(fake: FakeKavenegar) -> None:
    waits: list[float] = []

    async def record_sleep(seconds: float) -> None:
        waits.append(seconds)

    fake.fail_next(409, count=3)
    await gateway_for(fake, attempts=4, backoff=0.5, sleep=record_sleep).send(
        MEMBER, "hello", localid="10"
    )

    assert len(waits) == 3
    assert waits == sorted(waits) and waits[0] < waits[-1]


async def test_lost_answer_is_retried_without_sending_twice(fake: FakeKavenegar) -> None:
    fake.hang_next(after_processing=True)

    # The deadline only ends a gateway that would wait for the lost answer for ever.
    send = gateway_for(fake, timeout=LOST_ANSWER_AFTER).send(MEMBER, "hello", localid="11")
    result = await asyncio.wait_for(send, DEADLINE)

    assert result.ok
    assert fake.calls["sms/send"] == 2
    assert fake.delivered == [(MEMBER, "hello", "11")]


async def test_invalid_receptor_is_a_result_not_an_error(fake: FakeKavenegar) -> None:
    gateway = gateway_for(fake)

    bad_format = await gateway.send("12345", "hello", localid="12")
    fake.fail_next(411)
    rejected = await gateway.send(MEMBER, "hello", localid="13")

    for result in (bad_format, rejected):
        assert not result.ok and result.code == 411 and result.message_id is None
    assert not fake.delivered
    assert fake.calls["sms/send"] == 2  # 411 is final: not retried


async def test_send_array_with_an_invalid_receptor_raises(fake: FakeKavenegar) -> None:
    items = [OutgoingSms(MEMBER, "a", "20"), OutgoingSms("0212345678", "b", "21")]

    with pytest.raises(SmsInvalidReceptor):
        await gateway_for(fake).send_array(items)
    assert not fake.delivered


async def test_no_credit_raises_and_loses_nothing(fake: FakeKavenegar) -> None:
    gateway = gateway_for(fake)
    fake.credit = 0

    with pytest.raises(SmsNoCredit) as caught:
        await gateway.send(MEMBER, "hello", localid="30")
    assert caught.value.code == 418
    assert fake.calls["sms/send"] == 1  # not retried: only the owner can fix it
    assert not fake.delivered

    fake.credit = 10
    result = await gateway.send(MEMBER, "hello", localid="30")
    assert result.ok
    assert fake.delivered == [(MEMBER, "hello", "30")]


async def test_injected_no_credit(fake: FakeKavenegar) -> None:
    fake.fail_next(418, method="sms/sendarray")

    with pytest.raises(SmsNoCredit):
        await gateway_for(fake).send_array([OutgoingSms(MEMBER, "a", "31")])


async def test_hanging_request_times_out(fake: FakeKavenegar) -> None:
    fake.hang_next(count=2)

    with pytest.raises(SmsRetryable) as caught:
        send = gateway_for(fake, timeout=0.5, attempts=2).send(MEMBER, "hello", localid="40")
        await asyncio.wait_for(send, DEADLINE)  # only a gateway waiting for ever meets it

    assert caught.value.maybe_sent
    assert fake.calls["sms/send"] == 2
    assert not fake.delivered


async def test_malformed_body_is_retryable(fake: FakeKavenegar) -> None:
    fake.malformed_next(count=2)

    with pytest.raises(SmsRetryable):
        await gateway_for(fake, attempts=2).send(MEMBER, "hello", localid="50")

    fake.malformed_next()
    result = await gateway_for(fake).send(MEMBER, "hello", localid="50")
    assert result.ok and len(fake.delivered) == 1


async def test_network_error_is_retryable() -> None:
    server = FakeKavenegar(KEY)
    await server.start()
    await server.stop()  # the port is now closed

    with pytest.raises(SmsRetryable) as caught:
        await gateway_for(server, attempts=2).send(MEMBER, "hello", localid="60")

    assert caught.value.code is None
    assert not caught.value.maybe_sent  # the connection was refused: nothing went out


async def test_wrong_api_key_is_final(fake: FakeKavenegar) -> None:
    gateway = SmsGateway("WRONG-KEY", SENDER, fake.base_url, sleep=no_sleep)

    with pytest.raises(SmsError) as caught:
        await gateway.send(MEMBER, "hello", localid="70")

    assert type(caught.value) is SmsError and caught.value.code == 403
    assert fake.calls["sms/send"] == 1


async def test_receive_returns_pushed_messages_once(fake: FakeKavenegar) -> None:
    fake.push_inbound("09121111111", "امتیاز", receptor=SENDER)
    fake.push_inbound("09122222222", "11", receptor=SENDER)
    fake.push_inbound("09123333333", "other line", receptor="30001234")
    gateway = gateway_for(fake)

    first = await gateway.receive(SENDER)
    second = await gateway.receive(SENDER)

    assert [(m.sender, m.message, m.receptor) for m in first] == [
        ("09121111111", "امتیاز", SENDER),
        ("09122222222", "11", SENDER),
    ]
    assert all(m.date.tzinfo is not None and m.message_id > 0 for m in first)
    assert second == []


async def test_api_key_never_appears_in_logs_or_errors(
    fake: FakeKavenegar, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    gateway = gateway_for(fake, timeout=LOST_ANSWER_AFTER, attempts=2)
    errors: list[BaseException] = []

    async def expect_error(call: Awaitable[object]) -> None:
        try:
            await call
        except SmsError as exc:
            errors.append(exc)

    await gateway.send(MEMBER, "ok", localid="90")
    fake.fail_next(409, count=2)
    await expect_error(gateway.send(MEMBER, "busy", localid="91"))
    fake.hang_next(count=2)
    await expect_error(gateway.send(MEMBER, "hang", localid="92"))
    fake.malformed_next(count=2)
    await expect_error(gateway.send(MEMBER, "garbled", localid="93"))
    fake.credit = 0
    await expect_error(gateway.send(MEMBER, "no credit", localid="94"))
    await fake.stop()
    await expect_error(gateway.send(MEMBER, "down", localid="95"))

    assert len(errors) == 5
    texts = [repr(gateway), str(gateway), repr(gateway._client)]
    for exc in errors:
        texts += [str(exc), repr(exc), "".join(traceback.format_exception(exc))]
    for record in caplog.records:
        texts.append(record.getMessage())
        if record.exc_info:
            texts.append("".join(traceback.format_exception(*record.exc_info)))
    assert not [text for text in texts if KEY in text]
    # The check means something only if urllib3 did log request paths (scrubbed).
    assert any("/v1/***/sms/send.json" in r.getMessage() for r in caplog.records)


async def test_client_repr_and_base_url() -> None:
    client = KavenegarClient(KEY, api_base="http://127.0.0.1:8080/")

    assert KEY not in repr(client) and KEY not in str(client)
    assert client.base_url == "http://127.0.0.1:8080"
    assert KavenegarClient(KEY).base_url == "https://api.kavenegar.com"
    with pytest.raises(ValueError):
        KavenegarClient(KEY, api_base="127.0.0.1:8080")


async def test_dry_gateway_logs_and_records(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="club.sms")
    recorded: list[OutgoingSms] = []

    async def recorder(sms: OutgoingSms) -> None:
        recorded.append(sms)

    gateway = build_gateway(None, SENDER, recorder=recorder)
    assert isinstance(gateway, DrySmsGateway)

    single = await gateway.send(MEMBER, "سلام", localid="1")
    batch = await gateway.send_array([OutgoingSms("09120000001", "b", "2")])

    assert recorded == [OutgoingSms(MEMBER, "سلام", "1"), OutgoingSms("09120000001", "b", "2")]
    results = [single, *batch]
    assert all(r.ok and r.message_id is not None and r.message_id < 0 for r in results)
    assert any("سلام" in r.getMessage() and r.name == "club.sms" for r in caplog.records)
    assert await gateway.receive(SENDER) == []


async def test_build_gateway_with_a_key(fake: FakeKavenegar) -> None:
    gateway = build_gateway(KEY, SENDER, fake.base_url, timeout=1.0)

    assert isinstance(gateway, SmsGateway)
    assert (await gateway.send(MEMBER, "hi", localid="1")).ok


# --- the fake itself validates like Kavenegar ---------------------------------------


async def post(fake: FakeKavenegar, path: str, **params: str) -> tuple[int, dict]:
    url = f"{fake.base_url}/v1/{fake.api_key}/{path}.json"
    async with aiohttp.ClientSession() as session, session.post(url, data=params) as r:
        return r.status, await r.json()


@pytest.mark.parametrize(
    ("path", "params", "code"),
    [
        ("sms/send", {"message": "hi"}, 400),
        ("sms/send", {"receptor": MEMBER, "message": ""}, 413),
        ("sms/send", {"receptor": MEMBER, "message": "x" * 901}, 413),
        ("sms/send", {"receptor": "+44123", "message": "hi"}, 411),
        ("sms/sendarray", {"receptor": '["09121234567"]', "sender": "[]", "message": '["a"]'}, 419),
        (
            "sms/sendarray",
            {"receptor": json.dumps([MEMBER] * 201), "sender": "[]", "message": "[]"},
            414,
        ),
    ],
)
async def test_fake_validates(fake: FakeKavenegar, path: str, params: dict, code: int) -> None:
    status, body = await post(fake, path, **params)

    assert status == code == body["return"]["status"]
    assert not fake.delivered


async def test_fake_answers_get_and_accepts_989_numbers(fake: FakeKavenegar) -> None:
    url = f"{fake.base_url}/v1/{fake.api_key}/sms/send.json"
    params = {"receptor": "989121234567", "message": "hi"}
    async with aiohttp.ClientSession() as session, session.get(url, params=params) as r:
        body = await r.json()

    assert r.status == 200 and body["return"] == {"status": 200, "message": "تایید شد"}
    entry = body["entries"][0]
    assert set(entry) == {
        "messageid",
        "message",
        "status",
        "statustext",
        "sender",
        "receptor",
        "date",
        "cost",
    }


async def test_fake_rejects_a_wrong_key(fake: FakeKavenegar) -> None:
    url = f"{fake.base_url}/v1/nope/account/info.json"
    async with aiohttp.ClientSession() as session, session.post(url) as r:
        assert r.status == 403


async def test_fake_stops_quickly_with_a_hanging_request(fake: FakeKavenegar) -> None:
    fake.hang_next()
    gateway = gateway_for(fake, attempts=1)
    pending = asyncio.create_task(gateway.receive(SENDER))
    await eventually(lambda: fake.hanging == 1, "the request to hang")

    await fake.stop()

    with pytest.raises(SmsRetryable) as caught:
        await pending
    assert caught.value.code == 409  # released with an answer, not cut off at shutdown
