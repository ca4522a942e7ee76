"""The inbound SMS webhook: Kavenegar forwards each message to `/sms/<secret>`.

Nothing signs Kavenegar's calls, so the secret in the path is the only proof that a call
comes from Kavenegar; a wrong one gets 404, as if the route did not exist. The path is
never logged (`without_secret`).

The route stores the message and commits before it answers 200: until then Kavenegar
still holds the message and calls again. The message is decided and answered after the
answer, in the background; if the process stops first, the stored message is decided at
the next start. A call Kavenegar repeats finds its `messageid` stored and is answered 200
without being decided twice.

A malformed call (bytes that are not UTF-8, a body that is not a form, an unusable
field) is answered 4xx and stores nothing.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import re
from typing import Protocol
from urllib.parse import parse_qsl

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_protocol import RequestPayloadError
from aiohttp.web_request import FileField
from multidict import MultiDictProxy

from handlers.sms.inbound import CONTROL, MAX_MESSAGE_ID, Accepted

log = logging.getLogger("club.sms.web")

SMS_TASKS = web.AppKey("sms_tasks", set)
FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"
MAX_FIELDS = 20  # Kavenegar sends four
_SECRET_PART = re.compile(r"/sms/[^/\s?#'\"]+")


class Door(Protocol):
    """What the route needs of the SMS door (bot/sms_door.py)."""

    async def accept(
        self, sender: str, text: str, message_id: str | None, receptor: str
    ) -> Accepted: ...

    async def process(self, row_id: int) -> object: ...


class Malformed(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


def without_secret(text: str) -> str:
    """`text` (a path, a log line) with the secret of every SMS webhook path replaced."""
    return _SECRET_PART.sub("/sms/***", text)


def add_sms_routes(app: web.Application, *, secret: str, door: Door) -> None:
    """Register GET and POST `/sms/{secret}` (form or query fields from, to, message, messageid)."""
    if not secret:
        raise ValueError("the SMS webhook needs a secret (SMS_WEBHOOK_SECRET)")
    tasks: set[asyncio.Task[object]] = set()
    app[SMS_TASKS] = tasks

    async def receive(request: web.Request) -> web.Response:
        if not hmac.compare_digest(request.match_info["secret"].encode(), secret.encode()):
            raise web.HTTPNotFound()
        try:
            fields = await _fields(request)
            sender = _plain(fields, "from")
            receptor = _plain(fields, "to")
            message_id = _plain(fields, "messageid") or None
        except Malformed as exc:
            return web.Response(status=exc.status, text=exc.reason)
        if not sender:
            return web.Response(status=400, text="missing from")
        if message_id is not None and len(message_id) > MAX_MESSAGE_ID:
            return web.Response(status=400, text="messageid too long")
        accepted = await door.accept(sender, fields.get("message", ""), message_id, receptor)
        if accepted.pending:
            task = asyncio.create_task(_run(door, accepted.row_id))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        return web.Response(text="ok")

    app.router.add_route("GET", "/sms/{secret}", receive)
    app.router.add_route("POST", "/sms/{secret}", receive)
    app.on_shutdown.append(_drain)


async def _fields(request: web.Request) -> dict[str, str]:
    """The query's fields, then the body's over them; the first value of a repeated name."""
    fields = _parse(request.rel_url.raw_query_string.encode())  # ASCII: aiohttp refuses the rest
    if request.method == "POST" and request.body_exists:
        fields.update(await _body(request))
    return fields


async def _body(request: web.Request) -> dict[str, str]:
    charset = (request.charset or "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        raise Malformed(415, "only UTF-8 is accepted")
    try:
        if request.content_type == FORM:
            return _parse(await request.read())
        if request.content_type == MULTIPART:
            return _multipart(await request.post())
    except (ValueError, LookupError, HttpProcessingError, RequestPayloadError) as exc:
        # UnicodeDecodeError is a ValueError; aiohttp's are a bad body or encoding.
        raise Malformed(400, "malformed body") from exc
    raise Malformed(415, "send a form (application/x-www-form-urlencoded)")


def _parse(raw: bytes) -> dict[str, str]:
    try:
        pairs = parse_qsl(
            raw.decode("utf-8"), keep_blank_values=True, errors="strict", max_num_fields=MAX_FIELDS
        )
    except ValueError as exc:  # not UTF-8, before or after the percent-decoding; too many fields
        raise Malformed(400, "malformed form") from exc
    fields: dict[str, str] = {}
    for name, value in pairs:
        fields.setdefault(name, value)
    return fields


def _multipart(form: MultiDictProxy[str | bytes | FileField]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for name, value in form.items():
        if not isinstance(value, str):
            raise Malformed(400, f"{name} is a file")
        fields.setdefault(name, value)
    return fields


def _plain(fields: dict[str, str], name: str) -> str:
    value = fields.get(name, "").strip()
    if CONTROL.search(value):
        raise Malformed(400, f"control characters in {name}")
    return value


async def _run(door: Door, row_id: int) -> None:
    try:
        await door.process(row_id)
    except Exception:  # the row stays undecided; the sweep decides it later
        log.exception("inbound SMS %s could not be processed", row_id)


async def wait_for_sms_tasks(app: web.Application) -> None:
    """Wait until every message the webhook accepted has been decided."""
    tasks = app.get(SMS_TASKS)
    while tasks:
        await asyncio.gather(*list(tasks), return_exceptions=True)


async def _drain(app: web.Application) -> None:
    await wait_for_sms_tasks(app)
