"""The inbound SMS webhook: Kavenegar forwards each message to `/sms/<secret>`.

Nothing signs Kavenegar's calls, so the secret in the path is the only proof that a call
comes from Kavenegar; a wrong one gets 404, as if the route did not exist. The route
answers 200 at once and processes the message in the background, so a slow answer
(the reply goes out through Kavenegar too) never makes Kavenegar call again; if it does
call again, the `messageid` is already stored and the message is not processed twice.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

log = logging.getLogger("club.sms.web")

# process(sender, text, messageid): handles one message (answer_inbound, bound to a gateway).
Process = Callable[[str, str, str | None], Awaitable[object]]

SMS_TASKS = web.AppKey("sms_tasks", set)


def add_sms_routes(app: web.Application, *, secret: str, process: Process) -> None:
    """Register GET and POST `/sms/{secret}` (form or query fields from, to, message, messageid)."""
    if not secret:
        raise ValueError("the SMS webhook needs a secret (SMS_WEBHOOK_SECRET)")
    tasks: set[asyncio.Task[object]] = set()
    app[SMS_TASKS] = tasks

    async def receive(request: web.Request) -> web.Response:
        if not hmac.compare_digest(request.match_info["secret"].encode(), secret.encode()):
            raise web.HTTPNotFound()
        fields = dict(request.query)
        if request.method == "POST":
            fields.update(await request.post())  # type: ignore[arg-type]
        sender, text = str(fields.get("from", "")).strip(), str(fields.get("message", ""))
        if not sender:
            return web.Response(status=400, text="missing from")
        message_id = str(fields.get("messageid", "")).strip() or None
        task = asyncio.create_task(_run(process, sender, text, message_id))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        return web.Response(text="ok")

    app.router.add_route("GET", "/sms/{secret}", receive)
    app.router.add_route("POST", "/sms/{secret}", receive)
    app.on_shutdown.append(_drain)


async def _run(process: Process, sender: str, text: str, message_id: str | None) -> None:
    try:
        await process(sender, text, message_id)
    except Exception:  # noqa: BLE001 - a background task has no one else to report to
        log.exception("inbound SMS %s could not be processed", message_id)


async def wait_for_sms_tasks(app: web.Application) -> None:
    """Wait until every message the webhook accepted has been processed."""
    tasks = app.get(SMS_TASKS)
    while tasks:
        await asyncio.gather(*list(tasks), return_exceptions=True)


async def _drain(app: web.Application) -> None:
    await wait_for_sms_tasks(app)
