"""The club's pages for tests: Telegram's sign-in data signed as Telegram signs it, the
pages on a test server, and what a page shows read by element id."""

from __future__ import annotations

import hashlib
import hmac
import json
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import lxml.html
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from handlers.web import add_web_routes
from handlers.web.session import session_secret
from tests.conftest import NOW

TOKEN = "123456:TEST-token-of-the-club-bot"
TEHRAN = ZoneInfo("Asia/Tehran")


def init_data(
    user_id: int,
    *,
    auth_date: datetime = NOW,
    token: str = TOKEN,
    language_code: str = "en",
    **overrides: str,
) -> str:
    """`initData` as a Telegram client hands it to the Mini App, signed with `token`
    (https://core.telegram.org/bots/webapps#validating-data-received-via-the-web-app)."""
    user = {"id": user_id, "first_name": "Sara", "language_code": language_code}
    fields = {
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": json.dumps(user, separators=(",", ":")),
        "auth_date": str(int(auth_date.timestamp())),
    }
    check = "\n".join(f"{key}={value}" for key, value in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    fields["hash"] = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    fields.update(overrides)  # after signing: a forger's change
    return urlencode(fields)


@dataclass
class Clock:
    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


async def bot_username() -> str:
    return "club_test_bot"


def pages_app(
    clock: Clock,
    *,
    secure: bool = False,
    default_locale: str = "fa",
    owner_ids: tuple[int, ...] = (),
    media_dir: Path | None = None,
) -> web.Application:
    """The pages on a web app; uploaded pictures go to `media_dir` (a fresh folder if none)."""
    app = web.Application()
    add_web_routes(
        app,
        token=TOKEN,
        secret=session_secret(TOKEN),
        secure=secure,
        default_locale=default_locale,
        tz=TEHRAN,
        clock=clock,
        owner_ids=owner_ids,
        bot_username=bot_username,
        media_dir=media_dir or Path(tempfile.mkdtemp(prefix="club-media-")),
    )
    return app


@asynccontextmanager
async def pages_client(clock: Clock, **options: object) -> AsyncIterator[TestClient]:
    client = TestClient(TestServer(pages_app(clock, **options), host="127.0.0.1"))  # type: ignore[arg-type]
    await client.start_server()
    try:
        yield client
    finally:
        await client.close()


def page(html: str) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(html)


def text_of(html: str, element_id: str) -> str:
    found = page(html).get_element_by_id(element_id)
    return " ".join(found.text_content().split())
