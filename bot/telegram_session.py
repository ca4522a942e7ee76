"""The bot's HTTP session: aiogram's, with a request that carries no file sent as JSON."""

from __future__ import annotations

from typing import Any

import orjson
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.methods import TelegramMethod
from aiohttp import BytesPayload, FormData


def json_text(value: Any) -> str:
    return orjson.dumps(value).decode()


class JsonSession(AiohttpSession):
    """Sends a request without a file as one JSON body, which the Bot API accepts as well.

    aiogram builds every request as a form: each value turned into text, an object such
    as a keyboard JSON-encoded inside its field, then the whole form encoded again. Every
    answer to a member is a request, and a button press makes two; as JSON each is one
    serialisation. A request with a file (a QR card, a chart, an export) goes as aiogram
    sends it, a multipart form. Which values are sent is aiogram's rule either way: an
    empty value (None, False, 0, "") is left out, and Telegram takes its default.
    """

    def build_form_data(self, bot: Bot, method: TelegramMethod[Any]) -> FormData | BytesPayload:  # type: ignore[override]
        files: dict[str, Any] = {}
        values = {}
        for key, value in method.model_dump(warnings=False).items():
            prepared = self.prepare_value(value, bot=bot, files=files, _dumps_json=False)
            if prepared:
                values[key] = prepared
        if files:
            return super().build_form_data(bot, method)
        return BytesPayload(orjson.dumps(values), content_type="application/json")
