"""`club run` carries the SMS webhook on its web app in both polling and webhook modes."""

from aiohttp.test_utils import TestClient, TestServer

from bot.app import build_bot, build_dispatcher, build_web_app, sms_routes
from bot.settings import Settings
from bot.sms_door import SmsDoor, sms_config
from handlers.sms.inbound import Accepted
from handlers.sms.web import wait_for_sms_tasks


class Recording(SmsDoor):
    def __init__(self, settings: Settings, seen: list) -> None:
        super().__init__(sms_config(settings))
        self.seen = seen

    async def accept(
        self, sender: str, text: str, message_id: str | None, receptor: str = ""
    ) -> Accepted:
        self.seen.append((sender, text, message_id))
        return Accepted(len(self.seen), True)

    async def process(self, row_id: int) -> None:
        self.seen.append(row_id)


async def _client(settings: Settings, seen: list, webhook: bool) -> TestClient:
    dp = build_dispatcher(settings)
    door = Recording(settings, seen)
    app = build_web_app(
        settings, dp, build_bot(settings), extra_routes=sms_routes(settings, door), webhook=webhook
    )
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    return client


async def test_sms_webhook_in_polling_mode(db: str) -> None:
    seen: list = []
    settings = Settings(_env_file=None, sms_webhook_secret="s3cret", bot_token="1:x")
    client = await _client(settings, seen, webhook=False)
    try:
        assert (await client.get("/healthz")).status == 200
        wrong = await client.post(
            "/sms/nope", data={"from": "09121234567", "message": "POINTS", "messageid": "1"}
        )
        assert wrong.status == 404
        good = await client.post(
            "/sms/s3cret",
            data={"from": "09121234567", "to": "1000", "message": "POINTS", "messageid": "7"},
        )
        assert good.status == 200
        await wait_for_sms_tasks(client.app)
        assert seen == [("09121234567", "POINTS", "7"), 1]
        assert (
            await client.post("/telegram/webhook", json={})
        ).status == 404  # polling: no webhook
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
