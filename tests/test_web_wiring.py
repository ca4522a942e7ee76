"""`club run` carries the SMS webhook on its web app in both polling and webhook modes."""

from aiohttp.test_utils import TestClient, TestServer

from bot.app import build_bot, build_dispatcher, build_web_app, sms_routes
from bot.settings import Settings
from handlers.sms.web import wait_for_sms_tasks


async def _client(settings: Settings, seen: list, webhook: bool) -> TestClient:
    async def process(sender: str, text: str, message_id: str | None) -> None:
        seen.append((sender, text, message_id))

    dp = build_dispatcher(settings)
    app = build_web_app(settings, dp, build_bot(settings), extra_routes=sms_routes(settings, process), webhook=webhook)
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    return client


async def test_sms_webhook_in_polling_mode(db: str) -> None:
    seen: list = []
    settings = Settings(_env_file=None, sms_webhook_secret="s3cret", bot_token="1:x")
    client = await _client(settings, seen, webhook=False)
    try:
        assert (await client.get("/healthz")).status == 200
        wrong = await client.post("/sms/nope", data={"from": "09121234567", "message": "POINTS", "messageid": "1"})
        assert wrong.status == 404
        good = await client.post("/sms/s3cret", data={"from": "09121234567", "to": "1000", "message": "POINTS", "messageid": "7"})
        assert good.status == 200
        await wait_for_sms_tasks(client.app)
        assert seen == [("09121234567", "POINTS", "7")]
        assert (await client.post("/telegram/webhook", json={})).status == 404  # polling: no webhook
    finally:
        await client.close()


async def test_no_sms_route_without_a_secret(db: str) -> None:
    settings = Settings(_env_file=None, bot_token="1:x")
    client = await _client(settings, [], webhook=True)
    try:
        response = await client.get("/sms/anything", params={"from": "09121234567", "message": "x"})
        assert response.status == 404
    finally:
        await client.close()
