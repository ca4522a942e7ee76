"""A fake Kavenegar REST server (aiohttp) on 127.0.0.1, so no test ever calls the real one.

It answers like Kavenegar: the `{"return": ..., "entries": ...}` envelope, the HTTP
status equal to `return.status`, the same validation codes, `localid` deduplication.
Tests can inject faults (error codes, a hanging request, a garbled body, or random 409s
and timeouts at a given ratio), watch what was delivered and how often each method was
called, and queue inbound messages.

A hanging request models a client timeout honestly: the client gives up, and the SMS
may or may not have gone out (`after_processing`); a retry with the same `localid` is
answered from the first send, as Kavenegar does, and sends nothing.

    async with FakeKavenegar() as fake:
        gateway = SmsGateway(fake.api_key, "10008663", fake.base_url)

Standalone: python -m tests.fakes.kavenegar --port 8765 [--fail-ratio 0.02 --timeout-ratio 0.01]
with control endpoints for a program in another process: GET /_fake/stats,
GET /_fake/delivered (every SMS sent, as [receptor, localid]), POST /_fake/faults
(JSON: fail_ratio, timeout_ratio, seed).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import random
import re
import time
from collections import Counter, deque
from dataclasses import dataclass
from typing import Any

from aiohttp import web

OK_MESSAGE = "تایید شد"
MESSAGES = {
    400: "پارامترها ناقص هستند",
    403: "کد شناسائی API-Key معتبر نمی‌باشد",
    409: "سرور قادر به پاسخگوئی نیست بعدا تلاش کنید",
    411: "دریافت کننده نامعتبر است",
    413: "طول پیام بیش از حد مجاز است",
    414: "حجم درخواست بیش از حد مجاز است",
    418: "اعتبار حساب شما کافی نیست",
    419: "طول آرایه‌ها برابر نیست",
    451: "فراخوانی بیش از حد در بازه زمانی مشخص",
}
INJECTABLE = frozenset({409, 411, 418, 451})
MAX_MESSAGE = 900
MAX_RECORDS = 200
MAX_RECEIVE = 100
STATUS_QUEUED = 1
IRANIAN_MOBILE = re.compile(r"(?:0|98)9\d{9}")


class KavenegarFault(Exception):
    """Ends a request with a Kavenegar return code."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


@dataclass
class _Fault:
    kind: str  # "fail", "hang", "malformed"
    code: int = 0
    method: str | None = None
    after_processing: bool = False
    after: int = 0  # matching calls that pass before this fault strikes


class FakeKavenegar:
    """The fake server. `delivered` lists (receptor, message, localid) of every SMS sent;
    `calls` counts requests per "scope/method" (e.g. "sms/send"), faulty ones included."""

    def __init__(
        self,
        api_key: str = "FAKE-API-KEY",
        *,
        credit: int = 1_000_000,
        price: int = 1,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self._api_key = api_key
        self.credit = credit
        self.price = price  # credit one delivered SMS costs
        self._host, self._port = host, port
        self.delivered: list[tuple[str, str, str | None]] = []
        self.calls: Counter[str] = Counter()
        self.requests: list[tuple[str, dict[str, str]]] = []
        self._faults: deque[_Fault] = deque()
        self.hanging = 0  # requests held unanswered now
        self.injected: Counter[str] = (
            Counter()
        )  # random faults that struck: 409, hang, hang_after_send
        self._fail_ratio = self._timeout_ratio = 0.0
        self._random = random.Random(0)
        self._by_localid: dict[str, dict[str, Any]] = {}
        self._inbox: deque[dict[str, Any]] = deque()
        self._ids = itertools.count(100_000_001)
        self._stopping = asyncio.Event()
        self._runner: web.AppRunner | None = None

    # --- lifecycle --------------------------------------------------------------

    @property
    def api_key(self) -> str:
        return self._api_key

    @property
    def base_url(self) -> str:
        return f"http://{self._host}:{self._port}"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/v1/{apikey}/{scope}/{method}.json", self._handle)
        app.router.add_route("*", "/_fake/{action}", self._control)
        # No access log: it would print the key in every request path, and the tests
        # check that no log record in the process carries the key.
        self._runner = web.AppRunner(app, shutdown_timeout=1.0, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self._host, self._port).start()
        # Port 0 asks the OS for a free one; read back which it gave.
        self._port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        self._stopping.set()  # lets hanging handlers finish so shutdown is quick
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeKavenegar:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # --- fault injection and inbound --------------------------------------------

    def fail_next(self, code: int, count: int = 1, method: str | None = None) -> None:
        """Answer the next `count` calls (of `method`, e.g. "sms/send", if given) with `code`."""
        if code not in INJECTABLE:
            raise ValueError(f"can inject only {sorted(INJECTABLE)}")
        self._faults.extend(_Fault("fail", code, method) for _ in range(count))

    def hang_next(
        self,
        count: int = 1,
        *,
        after_processing: bool = False,
        method: str | None = None,
        after: int = 0,
    ) -> None:
        """Never answer the next `count` calls (of `method`, if given; until the server stops).

        With `after_processing` the request is carried out first (the SMS is sent) and
        only the answer is lost, as when a network drops the response. `after`: let that
        many calls through first.
        """
        self._faults.extend(
            _Fault("hang", method=method, after_processing=after_processing, after=after)
            for _ in range(count)
        )

    def faults(self, fail_ratio: float = 0.0, timeout_ratio: float = 0.0, seed: int = 0) -> None:
        """Random faults on sms/send and sms/sendarray calls: `fail_ratio` of them answer 409
        (nothing sent), `timeout_ratio` of them hang, half before and half after sending."""
        self._fail_ratio, self._timeout_ratio = fail_ratio, timeout_ratio
        self._random = random.Random(seed)

    def malformed_next(self, count: int = 1) -> None:
        """Answer the next `count` calls with HTTP 200 and a body that is not JSON."""
        self._faults.extend(_Fault("malformed") for _ in range(count))

    def push_inbound(self, sender: str, message: str, receptor: str = "10008663") -> int:
        """Queue a message for sms/receive; `receptor` is the line number it arrived on."""
        message_id = next(self._ids)
        self._inbox.append(
            {
                "messageid": message_id,
                "message": message,
                "sender": sender,
                "receptor": receptor,
                "date": int(time.time()),
            }
        )
        return message_id

    # --- request handling -------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        name = f"{request.match_info['scope']}/{request.match_info['method']}"
        self.calls[name] += 1
        params = {**request.query, **(await request.post())}
        self.requests.append((name, {k: str(v) for k, v in params.items()}))
        if request.match_info["apikey"] != self._api_key:
            return _answer(403)
        fault = self._take_fault(name)
        if fault is not None and fault.kind == "hang" and not fault.after_processing:
            return await self._hang()
        if fault is not None and fault.kind == "malformed":
            return web.Response(status=200, text="<html>502 Bad Gateway</html>")
        if fault is not None and fault.kind == "fail":
            return _answer(fault.code)
        try:
            entries = self._dispatch(name, {k: str(v) for k, v in params.items()})
        except KavenegarFault as exc:
            return _answer(exc.code)
        if fault is not None:  # hang after processing: the work is done, the answer lost
            return await self._hang()
        return _answer(200, entries)

    def _take_fault(self, name: str) -> _Fault | None:
        for fault in self._faults:
            if fault.method is None or fault.method == name:
                if fault.after > 0:
                    fault.after -= 1
                    return None
                self._faults.remove(fault)
                return fault
        if name in ("sms/send", "sms/sendarray"):
            draw = self._random.random()
            if draw < self._fail_ratio:
                self.injected["409"] += 1
                return _Fault("fail", 409)
            if draw < self._fail_ratio + self._timeout_ratio:
                after = self._random.random() < 0.5
                self.injected["hang_after_send" if after else "hang"] += 1
                return _Fault("hang", after_processing=after)
        return None

    async def _hang(self) -> web.Response:
        self.hanging += 1
        try:
            await self._stopping.wait()
        finally:
            self.hanging -= 1
        return _answer(409)

    async def _control(self, request: web.Request) -> web.Response:
        action = request.match_info["action"]
        if action == "stats":
            return web.json_response(
                {
                    "calls": dict(self.calls),
                    "delivered": len(self.delivered),
                    "credit": self.credit,
                    "hanging": self.hanging,
                    "injected": dict(self.injected),
                }
            )
        if action == "delivered":
            return web.json_response(
                [[receptor, localid] for receptor, _, localid in self.delivered]
            )
        if action == "faults" and request.method == "POST":
            try:
                self.faults(**await request.json())
            except (TypeError, ValueError) as exc:
                return web.json_response({"ok": False, "description": str(exc)}, status=400)
            return web.json_response({"ok": True})
        raise web.HTTPNotFound()

    def _dispatch(self, name: str, params: dict[str, str]) -> Any:
        handlers = {
            "sms/send": self._send,
            "sms/sendarray": self._sendarray,
            "sms/receive": self._receive,
            "account/info": self._account_info,
        }
        if name not in handlers:
            raise KavenegarFault(404)
        return handlers[name](params)

    def _send(self, params: dict[str, str]) -> list[dict[str, Any]]:
        receptors = _required(params, "receptor").split(",")
        message = _required(params, "message")
        if len(receptors) > MAX_RECORDS:
            raise KavenegarFault(414)
        localid = params.get("localid")
        localids = localid.split(",") if localid else [None] * len(receptors)
        if len(localids) != len(receptors):
            raise KavenegarFault(419)
        return self._deliver_all(
            [(r, message, localid) for r, localid in zip(receptors, localids, strict=True)],
            params.get("sender"),
        )

    def _sendarray(self, params: dict[str, str]) -> list[dict[str, Any]]:
        receptors = _json_list(params, "receptor")
        senders = _json_list(params, "sender")
        messages = _json_list(params, "message")
        localids = _json_list(params, "localmessageids") if "localmessageids" in params else None
        if len(receptors) > MAX_RECORDS:
            raise KavenegarFault(414)
        if localids is None:
            localids = [None] * len(receptors)
        if not len(receptors) == len(senders) == len(messages) == len(localids):
            raise KavenegarFault(419)
        items = [
            (str(r), str(m), None if i is None else str(i))
            for r, m, i in zip(receptors, messages, localids, strict=True)
        ]
        return self._deliver_all(items, str(senders[0]) if senders else None)

    def _receive(self, params: dict[str, str]) -> list[dict[str, Any]]:
        line = _required(params, "linenumber")
        if _required(params, "isread") != "0":
            return []  # the fake keeps no read messages
        taken = [m for m in self._inbox if m["receptor"] == line][:MAX_RECEIVE]
        for message in taken:
            self._inbox.remove(message)
        return taken

    def _account_info(self, params: dict[str, str]) -> dict[str, Any]:
        return {"remaincredit": self.credit, "expiredate": 1893456000, "type": "Master"}

    def _deliver_all(
        self, items: list[tuple[str, str, str | None]], sender: str | None
    ) -> list[dict[str, Any]]:
        """Validate the whole call first: Kavenegar sends all of it or none of it."""
        for receptor, message, _ in items:
            if not message or len(message) > MAX_MESSAGE:
                raise KavenegarFault(413)
            if not IRANIAN_MOBILE.fullmatch(receptor):
                raise KavenegarFault(411)
        fresh = [item for item in items if item[2] is None or item[2] not in self._by_localid]
        if self.credit < self.price * len(fresh):
            raise KavenegarFault(418)
        return [self._deliver(item, sender or "10008663") for item in items]

    def _deliver(self, item: tuple[str, str, str | None], sender: str) -> dict[str, Any]:
        receptor, message, localid = item
        if localid is not None and localid in self._by_localid:
            return self._by_localid[localid]  # a repeat: answer as before, send nothing
        entry = {
            "messageid": next(self._ids),
            "message": message,
            "status": STATUS_QUEUED,
            "statustext": "در صف ارسال",
            "sender": sender,
            "receptor": receptor,
            "date": int(time.time()),
            "cost": self.price,
        }
        self.credit -= self.price
        self.delivered.append((receptor, message, localid))
        if localid is not None:
            self._by_localid[localid] = entry
        return entry


def _answer(code: int, entries: Any = None) -> web.Response:
    message = OK_MESSAGE if code == 200 else MESSAGES.get(code, "خطا")
    body = {"return": {"status": code, "message": message}, "entries": entries}
    return web.json_response(body, status=code, dumps=lambda o: json.dumps(o, ensure_ascii=False))


def _required(params: dict[str, str], name: str) -> str:
    value = params.get(name)
    if value is None or value == "":
        if name == "message" and value == "":
            raise KavenegarFault(413)
        raise KavenegarFault(400)
    return value


def _json_list(params: dict[str, str], name: str) -> list[Any]:
    try:
        value = json.loads(_required(params, name))
    except ValueError:
        raise KavenegarFault(400) from None
    if not isinstance(value, list):
        raise KavenegarFault(400)
    return value


async def _serve(
    port: int, api_key: str, fail_ratio: float, timeout_ratio: float, seed: int
) -> None:
    async with FakeKavenegar(api_key, port=port) as fake:
        fake.faults(fail_ratio, timeout_ratio, seed)
        print(f"fake Kavenegar at {fake.base_url}, API key {fake.api_key}", flush=True)
        await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the fake Kavenegar server.")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--api-key", default="FAKE-API-KEY")
    parser.add_argument("--fail-ratio", type=float, default=0.0, help="send calls answered 409")
    parser.add_argument(
        "--timeout-ratio", type=float, default=0.0, help="send calls never answered"
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args.port, args.api_key, args.fail_ratio, args.timeout_ratio, args.seed))


if __name__ == "__main__":
    main()
