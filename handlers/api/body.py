"""Reading a request's JSON body and its fields, refusing anything malformed with a 4xx."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from handlers.api.errors import ApiError

MAX_BODY = 16 * 1024  # a purchase is a few hundred bytes; more is a mistake or an attack
JSON = "application/json"


async def read_json(request: web.Request) -> dict[str, Any]:
    """The body as a JSON object; an empty body is an empty object."""
    if not request.body_exists:
        return {}
    if request.content_type != JSON:
        raise ApiError(415, "unsupported_media_type")
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise ApiError(413, "body_too_large", max=MAX_BODY)
    # A body without a length (chunked) is read only up to the limit.
    raw = await request.content.read(MAX_BODY + 1)
    if len(raw) > MAX_BODY:
        raise ApiError(413, "body_too_large", max=MAX_BODY)
    try:
        body = orjson.loads(raw) if raw.strip() else {}
    except orjson.JSONDecodeError:
        raise ApiError(400, "invalid_json") from None
    if not isinstance(body, dict):
        raise ApiError(400, "not_an_object")
    return body


def canonical(body: dict[str, Any]) -> bytes:
    """The body as one fixed text, so a till that orders its keys otherwise is the same request."""
    return orjson.dumps(body, option=orjson.OPT_SORT_KEYS)


def text_field(
    body: dict[str, Any], name: str, *, required: bool = True, max_length: int = 64
) -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            raise ApiError(422, "missing_field", field=name)
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > max_length:
        raise ApiError(422, "invalid_field", field=name)
    if any(ord(char) < 32 or ord(char) == 127 for char in value):
        raise ApiError(422, "invalid_field", field=name)
    return value.strip()


def int_field(
    body: dict[str, Any], name: str, *, required: bool = True, maximum: int = 10**15
) -> int | None:
    """A positive whole number: true/false, 2.5, "100" and numbers past `maximum` are refused."""
    value = body.get(name)
    if value is None:
        if required:
            raise ApiError(422, "missing_field", field=name)
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= maximum:
        raise ApiError(422, "invalid_field", field=name)
    return value


def no_other_fields(body: dict[str, Any], allowed: set[str]) -> None:
    """A field the API does not know is refused: a misspelt `amont` must not pass silently."""
    for name in sorted(set(body) - allowed):
        raise ApiError(422, "invalid_field", field=name)
