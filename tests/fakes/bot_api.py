# Validates against api.json from PaulSonOfLars/telegram-bot-api-spec
# (MIT, see LICENSE-telegram-bot-api-spec).
"""A strict local fake of the Telegram Bot API, for tests and benchmarks.

A real aiogram `Bot` talks to it over HTTP on 127.0.0.1:

    async with FakeBotAPI() as api:
        bot = Bot(api.token, session=AiohttpSession(api=TelegramAPIServer.from_base(api.base_url)))
        api.push_message(42, "/start")
        reply = await api.wait_for_message(42)

Requests are checked against the published spec (unknown methods, missing or
mistyped parameters, unknown fields, HTML markup, text and callback_data limits), so
a request the real server would refuse fails here too. Accepted requests are in
`calls`; refused ones in `rejected` (a test can assert it stays empty); failures
the test asked for (block, fail_next, rate_limit) are in `faults`.

Run standalone for benchmarks: `python -m tests.fakes.bot_api --port 8081`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import re
import socket
import time
from collections import Counter, defaultdict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.fakes.telegram_html import EntityParseError, parse_html
from tests.fakes.telegram_spec import Spec, SpecError, UploadedFile
from tests.waiting import DEADLINE

BOT_ID = 123456
BOT_USERNAME = "club_test_bot"
BOT_FIRST_NAME = "Club"
DEFAULT_TOKEN = f"{BOT_ID}:AAFakeClubTestToken-0123456789abcdefghij"

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_UPDATES_PER_CALL = 100
MAX_CALLBACK_ANSWER_LENGTH = 200
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
# what getUpdates leaves out when allowed_updates is [] or was never set
NOT_DELIVERED_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply "
    "markup are exactly the same as a current content and reply markup of the message"
)
# the smallest valid JPEG-ish payload a pushed photo carries
FAKE_JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00fake-photo\xff\xd9"

Handler = Callable[["_Call"], Awaitable[Any]]


class ApiError(Exception):
    """An error answer: HTTP status = error_code, as the real server does."""

    def __init__(
        self, code: int, description: str, *, retry_after: int | None = None, fault: bool = False
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after
        self.fault = fault  # asked for by the test (block, fail_next, rate_limit)

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def _bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


@dataclass
class _Call:
    method: str
    params: dict[str, Any]
    files: dict[str, UploadedFile]


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes
    file_name: str | None = None
    mime_type: str | None = None


@dataclass
class UpdateTiming:
    """When an update became available to getUpdates and when the bot's reply reached the fake.

    The reply to an update is the first message sent or edited in its chat after it (a
    chat's updates are answered in order); a callback query is also answered by
    answerCallbackQuery. `handled_at` is when both arrived. Times are the fake's clock.
    """

    update_id: int
    chat_id: int | None
    kind: str
    pushed_at: float
    replied_at: float | None = None
    answered_at: float | None = None

    @property
    def handled_at(self) -> float | None:
        if self.replied_at is None or (self.kind == "callback_query" and self.answered_at is None):
            return None
        return max(self.replied_at, self.answered_at or 0.0)

    def as_json(self) -> dict[str, Any]:
        return {
            "update_id": self.update_id,
            "chat_id": self.chat_id,
            "kind": self.kind,
            "pushed_at": self.pushed_at,
            "replied_at": self.replied_at,
            "answered_at": self.answered_at,
            "handled_at": self.handled_at,
        }


@dataclass
class _Failure:
    error_code: int
    description: str
    retry_after: int | None
    remaining: int


class _Signal:
    """Wakes coroutines waiting for a condition; fire() may be called from sync code."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def fire(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait_for(self, check: Callable[[], bool], timeout: float) -> bool:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not check():
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            event = self._event  # taken before awaiting: a fire() in between is not lost
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except TimeoutError:
                return check()
        return True


class FakeBotAPI:
    """The fake server and its test controls. Use from the event loop's thread."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], float] = time.monotonic,
        spec: Spec | None = None,
    ) -> None:
        self.token = token
        self.host = host
        self.port = port
        self.clock = clock
        self.spec = spec or Spec()
        self.bot_user = {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": BOT_FIRST_NAME,
            "username": BOT_USERNAME,
        }
        # observation
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.rejected: list[tuple[str, dict[str, Any], str]] = []
        self.faults: list[tuple[str, dict[str, Any], str]] = []
        self.hung: list[tuple[str, dict[str, Any]]] = []  # received, never answered (hang_call)
        self.deliveries: list[tuple[float, int]] = []  # (clock, chat_id) of accepted send* calls
        self.stats: Counter[str] = Counter()
        self.callback_answers: dict[str, dict[str, Any]] = {}
        self.webhook: dict[str, Any] = {"url": ""}
        self.commands: dict[str, list[dict]] = {}
        self.menu_buttons: dict[int | None, dict] = {}
        self.timings: dict[int, UpdateTiming] = {}
        self.batch_errors: list[str] = []  # actions of push_batch that could not be pushed
        self.polls_waiting = 0  # getUpdates calls holding their connection for an update now
        # state
        self.users: dict[int, dict[str, Any]] = {}
        self._messages: dict[int, dict[int, dict]] = defaultdict(dict)
        self._message_ids: dict[int, itertools.count] = defaultdict(lambda: itertools.count(1))
        self._events: dict[int, list[dict]] = defaultdict(list)  # bot messages sent/edited
        self._marks: dict[int, int] = {}  # len(_events[chat]) at the last push to that chat
        self._updates: list[dict] = []
        self._update_ids = itertools.count(1)
        self._allowed_updates: set[str] | None = None  # None: Telegram's default set
        self._callbacks: dict[str, dict] = {}
        self._callback_updates: dict[str, int] = {}  # query id -> update id
        self._awaiting_reply: dict[int, deque[int]] = defaultdict(deque)  # chat -> update ids
        self._pacing: set[asyncio.Task[None]] = set()
        self._callback_ids = itertools.count(1)
        self._files: dict[str, StoredFile] = {}
        self._file_ids = itertools.count(1)
        self._blocked: set[int] = set()
        self._failures: dict[str, deque[_Failure]] = defaultdict(deque)
        self._hangs: dict[str, int] = {}  # method -> how many more calls pass before one hangs
        self._per_second: int | None = None
        self._per_chat_per_second: int | None = None
        self._send_times: deque[float] = deque()
        self._chat_send_times: dict[int, deque[float]] = defaultdict(deque)
        self._new_update = _Signal()
        self._new_message = _Signal()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._handlers: dict[str, Handler] = self._method_handlers()

    # ---- lifecycle --------------------------------------------------------------------

    async def start(self) -> FakeBotAPI:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        app.router.add_route("*", "/_fake/{action}", self._handle_control)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()
        self._closing = False
        return self

    async def stop(self) -> None:
        self._closing = True
        for task in list(self._pacing):
            task.cancel()
        self._new_update.fire()  # long polls answer at once instead of holding shutdown
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeBotAPI:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # ---- test controls: users and updates ---------------------------------------------

    def add_user(
        self,
        user_id: int,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> dict[str, Any]:
        """Make a user known (as if they had opened the bot); update their profile fields."""
        user = self.users.setdefault(
            user_id, {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"}
        )
        for key, value in (
            ("first_name", first_name),
            ("last_name", last_name),
            ("username", username),
            ("language_code", language_code),
        ):
            if value is not None:
                user[key] = value
        return user

    def add_users(self, user_ids: list[int]) -> None:
        """Many users at once (a benchmark's thousands of members), with default profiles."""
        for user_id in user_ids:
            self.add_user(user_id)

    def push_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue a raw update (update_id is assigned when missing) for getUpdates."""
        update = {"update_id": next(self._update_ids), **update}
        kind = next((key for key in update if key != "update_id"), "")
        chat_id = _chat_of(update)
        if self._allowed(kind):
            self._updates.append(update)
            self._time(update, kind, chat_id)
        if chat_id is not None:
            self._marks[chat_id] = len(self._events[chat_id])
        self._new_update.fire()
        return update

    def _time(self, update: dict[str, Any], kind: str, chat_id: int | None) -> None:
        """Start the clock of an update the bot answers: a message or a button press."""
        if kind not in ("message", "callback_query") or chat_id is None:
            return
        update_id = update["update_id"]
        self.timings[update_id] = UpdateTiming(update_id, chat_id, kind, self.clock())
        self._awaiting_reply[chat_id].append(update_id)
        if kind == "callback_query":
            self._callback_updates[update["callback_query"]["id"]] = update_id

    def push_message(
        self,
        user_id: int,
        text: str,
        *,
        first_name: str | None = None,
        language_code: str | None = None,
    ) -> dict[str, Any]:
        """The user sends a text message; returns the update."""
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return self._push_user_message(user_id, content, first_name, language_code)

    def push_contact(
        self,
        user_id: int,
        phone_number: str,
        contact_user_id: int | None = None,
        *,
        first_name: str | None = None,
        without_user_id: bool = False,
    ) -> dict[str, Any]:
        """The user shares a contact: their own by default, anyone's with contact_user_id."""
        user = self.add_user(user_id, first_name=first_name)
        contact: dict[str, Any] = {"phone_number": phone_number, "first_name": user["first_name"]}
        if not without_user_id:
            contact["user_id"] = user_id if contact_user_id is None else contact_user_id
        return self._push_user_message(user_id, {"contact": contact}, first_name, None)

    def push_photo(
        self, user_id: int, *, caption: str | None = None, data: bytes = FAKE_JPEG
    ) -> dict[str, Any]:
        """The user sends a photo (its bytes are downloadable through getFile)."""
        stored = self._store_file(data, "photos", "photo.jpg", "image/jpeg")
        content: dict[str, Any] = {"photo": [_photo_size(stored)]}
        if caption is not None:
            content["caption"] = caption
        return self._push_user_message(user_id, content, None, None)

    def push_callback(
        self, user_id: int, message_id: int, data: str, *, check_button: bool = True
    ) -> str:
        """The user presses an inline button of a bot message; returns the callback query id.

        With check_button, `data` must be on a button of that message, since a real client
        can only send what a button carries.
        """
        user = self.add_user(user_id)
        message = self._messages[user_id].get(message_id)
        if message is None:
            raise ValueError(f"no message {message_id} in chat {user_id}")
        if check_button and data not in _callback_datas(message):
            raise ValueError(f"message {message_id} has no button with callback_data {data!r}")
        query_id = str(next(self._callback_ids) * 1_000_003)
        query = {
            "id": query_id,
            "from": user,
            "message": _public(message),
            "chat_instance": str(-user_id),
            "data": data,
        }
        self._callbacks[query_id] = query
        self.push_update({"callback_query": query})
        return query_id

    def press(self, user_id: int, text: str) -> str:
        """The user presses the button labelled `text` on the latest bot message that has one."""
        for message in reversed(self.sent_to(user_id)):
            rows = message.get("reply_markup", {}).get("inline_keyboard", [])
            data = next(
                (b.get("callback_data") for row in rows for b in row if b["text"] == text), None
            )
            if data is not None:
                return self.push_callback(user_id, message["message_id"], data)
        raise ValueError(f"no button {text!r} in chat {user_id}")

    def push_batch(self, actions: list[dict[str, Any]], per_second: float | None = None) -> int:
        """Run control actions ({"action": "press", "kwargs": {...}}) now, or paced at a rate.

        Paced actions run from this server's own event loop, so the offered rate does not
        depend on how fast a client can make requests. An action that fails (no such
        button yet) is recorded in `batch_errors`; the others go on.
        """
        for action in actions:
            if action.get("action") not in self.BATCH_ACTIONS:
                raise ValueError(f"not a batch action: {action.get('action')!r}")
        if per_second is None:
            for action in actions:
                self._run_action(action)
            return len(actions)
        task = asyncio.get_running_loop().create_task(self._pace(actions, per_second))
        self._pacing.add(task)
        task.add_done_callback(self._pacing.discard)
        return len(actions)

    async def _pace(self, actions: list[dict[str, Any]], per_second: float) -> None:
        loop = asyncio.get_running_loop()
        start = loop.time()
        for i, action in enumerate(actions):
            delay = start + i / per_second - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            self._run_action(action)

    def _run_action(self, action: dict[str, Any]) -> None:
        try:
            getattr(self, action["action"])(**action.get("kwargs", {}))
        except (TypeError, ValueError) as exc:
            self.batch_errors.append(f"{action['action']}: {exc}")

    def push_my_chat_member(self, user_id: int, new_status: str) -> dict[str, Any]:
        """The user blocks ("kicked") or unblocks ("member") the bot; sends follow suit."""
        old_status = "member" if new_status == "kicked" else "kicked"
        user = self.add_user(user_id)
        (self._blocked.add if new_status == "kicked" else self._blocked.discard)(user_id)
        return self.push_update(
            {
                "my_chat_member": {
                    "chat": self._chat(user_id),
                    "from": user,
                    "date": int(time.time()),
                    "old_chat_member": _member(self.bot_user, old_status),
                    "new_chat_member": _member(self.bot_user, new_status),
                }
            }
        )

    def _push_user_message(
        self,
        user_id: int,
        content: dict[str, Any],
        first_name: str | None,
        language_code: str | None,
    ) -> dict[str, Any]:
        user = self.add_user(user_id, first_name=first_name, language_code=language_code)
        message = self._store_message(user_id, user, content)
        return self.push_update({"message": dict(message)})

    # ---- test controls: observing ------------------------------------------------------

    def sent_to(self, chat_id: int) -> list[dict[str, Any]]:
        """The bot's messages now in the chat (edits applied, deleted ones gone).

        Unlike Telegram's Message, a reply keyboard the bot sent is kept in reply_markup.
        """
        return [dict(m) for m in self._messages[chat_id].values() if m["from"]["id"] == BOT_ID]

    def last_message(self, chat_id: int) -> dict[str, Any] | None:
        sent = self.sent_to(chat_id)
        return sent[-1] if sent else None

    async def wait_for_message(
        self,
        chat_id: int,
        predicate: Callable[[dict], bool] | None = None,
        timeout: float = DEADLINE,
    ) -> dict[str, Any]:
        """The next bot message sent or edited in the chat, as it was then.

        It looks from the last push to that chat (or from the last message this returned),
        so a reply the bot sent before this call is found: no race with a fast bot.
        Messages skipped by `predicate` are passed over. Raises TimeoutError.
        """
        start = self._marks.get(chat_id, 0)

        def find() -> int | None:
            events = self._events[chat_id]
            return next(
                (i for i in range(start, len(events)) if predicate is None or predicate(events[i])),
                None,
            )

        if not await self._new_message.wait_for(lambda: find() is not None, timeout):
            seen = [m.get("text") or m.get("caption") for m in self._events[chat_id][start:]]
            raise TimeoutError(
                f"no matching message in chat {chat_id} within {timeout}s; seen: {seen}"
            )
        index = find()
        self._marks[chat_id] = index + 1  # the next call waits for a later message
        return dict(self._events[chat_id][index])

    def delivery_summary(self) -> dict[str, Any]:
        """Accepted send* calls: how many each chat got, and the clock of the first and last."""
        per_chat = Counter(chat_id for _, chat_id in self.deliveries)
        times = [t for t, _ in self.deliveries]
        return {
            "per_chat": {str(chat): n for chat, n in per_chat.items()},
            "first": min(times, default=None),
            "last": max(times, default=None),
        }

    def file_bytes(self, file_id: str) -> bytes:
        return self._files[file_id].data

    # ---- test controls: faults ---------------------------------------------------------

    def block(self, chat_id: int) -> None:
        """Sends and edits to the chat answer 403 (no update is pushed: see push_my_chat_member)."""
        self._blocked.add(chat_id)

    def unblock(self, chat_id: int) -> None:
        self._blocked.discard(chat_id)

    def fail_next(
        self,
        method: str,
        error_code: int = 429,
        retry_after: int = 3,
        count: int = 1,
        description: str | None = None,
    ) -> None:
        """The next `count` calls of `method` answer error_code (429 carries retry_after)."""
        canonical = self.spec.method_name(method)
        if canonical is None:
            raise ValueError(f"unknown method {method!r}")
        default = {
            429: f"Too Many Requests: retry after {retry_after}",
            403: "Forbidden: bot was blocked by the user",
            400: "Bad Request: injected failure",
        }.get(error_code, "Internal Server Error")
        self._failures[canonical].append(
            _Failure(
                error_code,
                description or default,
                retry_after if error_code == 429 else None,
                count,
            )
        )

    def hang_call(self, method: str, number: int = 1) -> None:
        """The `number`-th call of `method` from now is received but never answered (until
        the server stops) and not carried out: a process killed while it waits for it has
        not had its message delivered. The call is listed in `hung`."""
        canonical = self.spec.method_name(method)
        if canonical is None or number < 1:
            raise ValueError(f"unknown method {method!r} or number {number}")
        self._hangs[canonical] = number

    def rate_limit(self, per_second: int | None, *, per_chat_per_second: int | None = None) -> None:
        """Answer 429 (retry_after=1) to send* calls above N in any 1-second window; None = off."""
        self._per_second = per_second
        self._per_chat_per_second = per_chat_per_second
        self._send_times.clear()
        self._chat_send_times.clear()

    # ---- HTTP: the Bot API -------------------------------------------------------------

    async def _handle_api(self, request: web.Request) -> web.Response:
        self.stats["requests"] += 1
        name = request.match_info["method"]
        params: dict[str, Any] = {}
        try:
            if request.match_info["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            method = self.spec.method_name(name)
            if method is None:
                raise ApiError(404, "Not Found")
            name = method
            params, files = await _read_params(request)
            try:
                checked = self.spec.validate_call(method, params, files)
            except SpecError as exc:
                raise _bad(str(exc)) from None
            params = checked
            call = _Call(method, checked, files)
            if self._hang_now(method):
                self.hung.append((method, checked))
                await self._new_update.wait_for(lambda: self._closing, 24 * 3600)
                raise ApiError(500, "Internal Server Error: the fake is stopping", fault=True)
            self._inject_faults(call)
            result = await self._handlers.get(method, self._generic)(call)
        except ApiError as exc:
            (self.faults if exc.fault else self.rejected).append((name, params, exc.description))
            self.stats[str(exc.code)] += 1
            return web.json_response(exc.body(), status=exc.code)
        self.calls.append((name, params))
        self.stats["ok"] += 1
        if name.startswith("send") and name != "sendChatAction":
            self.deliveries.append((self.clock(), _int_chat_id(params.get("chat_id")) or 0))
        return web.json_response({"ok": True, "result": result})

    async def _handle_file(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        stored = next((f for f in self._files.values() if f.file_path == path), None)
        if request.match_info["token"] != self.token or stored is None:
            return web.json_response(
                {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
            )
        return web.Response(
            body=stored.data, content_type=stored.mime_type or "application/octet-stream"
        )

    def _hang_now(self, method: str) -> bool:
        if method not in self._hangs:
            return False
        self._hangs[method] -= 1
        if self._hangs[method] > 0:
            return False
        del self._hangs[method]
        return True

    def _inject_faults(self, call: _Call) -> None:
        failures = self._failures.get(call.method)
        if failures:
            failure = failures[0]
            failure.remaining -= 1
            if failure.remaining <= 0:
                failures.popleft()
            raise ApiError(
                failure.error_code, failure.description, retry_after=failure.retry_after, fault=True
            )
        chat_id = _int_chat_id(call.params.get("chat_id"))
        if chat_id in self._blocked and call.method.startswith(("send", "edit", "copy", "forward")):
            raise ApiError(403, "Forbidden: bot was blocked by the user", fault=True)
        if call.method.startswith("send") and call.method != "sendChatAction":
            self._check_rate(chat_id)

    def _check_rate(self, chat_id: int | None) -> None:
        now = self.clock()
        windows = [(self._send_times, self._per_second)]
        if chat_id is not None:
            windows.append((self._chat_send_times[chat_id], self._per_chat_per_second))
        for times, limit in windows:
            while times and now - times[0] >= 1.0:
                times.popleft()
            if limit is not None and len(times) >= limit:
                raise ApiError(429, "Too Many Requests: retry after 1", retry_after=1, fault=True)
        for times, _ in windows:
            times.append(now)

    # ---- HTTP: test controls for a bot in another process (standalone mode) -----------

    CONTROL_ACTIONS = frozenset(
        {
            "add_user",
            "add_users",
            "push_update",
            "push_message",
            "push_contact",
            "push_photo",
            "push_callback",
            "press",
            "push_batch",
            "push_my_chat_member",
            "block",
            "unblock",
            "fail_next",
            "rate_limit",
            "hang_call",
        }
    )
    BATCH_ACTIONS = frozenset({"add_user", "push_message", "press", "push_callback"})

    async def _handle_control(self, request: web.Request) -> web.Response:
        """POST /_fake/<action> with JSON kwargs; GET /_fake/stats, /_fake/deliveries;
        GET /_fake/sent?chat_id=; GET /_fake/timings?since=<update id>."""
        action = request.match_info["action"]
        if action == "stats":
            return web.json_response(
                {
                    "stats": dict(self.stats),
                    "calls": len(self.calls),
                    "rejected": self.rejected,
                    "faults": len(self.faults),
                    "batch_errors": self.batch_errors,
                    "hung": len(self.hung),
                }
            )
        if action == "deliveries":
            return web.json_response(self.delivery_summary())
        if action == "timings":
            since = int(request.query.get("since", 0))
            return web.json_response([t.as_json() for i, t in self.timings.items() if i >= since])
        if action == "sent":
            return web.json_response(self.sent_to(int(request.query["chat_id"])))
        if action not in self.CONTROL_ACTIONS:
            raise web.HTTPNotFound()
        kwargs = await request.json() if request.can_read_body else {}
        try:
            result = getattr(self, action)(**kwargs)
        except (TypeError, ValueError) as exc:
            return web.json_response({"ok": False, "description": str(exc)}, status=400)
        return web.json_response({"ok": True, "result": result})

    # ---- methods -----------------------------------------------------------------------

    def _method_handlers(self) -> dict[str, Handler]:
        return {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "setMyCommands": self._set_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "getMyCommands": self._get_my_commands,
            "setChatMenuButton": self._set_chat_menu_button,
            "sendMessage": self._send_message,
            "sendPhoto": self._send_photo,
            "sendDocument": self._send_document,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "editMessageCaption": self._edit_message_caption,
            "editMessageMedia": self._edit_message_media,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "sendChatAction": self._send_chat_action,
            "getChat": self._get_chat,
            "getChatMember": self._get_chat_member,
            "getFile": self._get_file,
        }

    async def _generic(self, call: _Call) -> Any:
        # methods this fake does not model: true is the honest answer only where the spec
        # says a method returns Boolean; anything else would hand the bot a wrong type
        if self.spec.methods[call.method]["returns"] == ["Boolean"]:
            return True
        raise ApiError(501, f"Not Implemented: the fake Bot API does not model {call.method}")

    async def _get_me(self, call: _Call) -> dict:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _get_updates(self, call: _Call) -> list[dict]:
        if self.webhook["url"]:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        params = call.params
        if "allowed_updates" in params:
            self._allowed_updates = set(params["allowed_updates"]) or None
        self._confirm(params.get("offset"))
        # Telegram clamps limit to 1-100 rather than refusing it
        limit = min(max(params.get("limit", MAX_UPDATES_PER_CALL), 1), MAX_UPDATES_PER_CALL)
        timeout = max(params.get("timeout", 0), 0)
        if timeout:
            self.polls_waiting += 1
            try:
                await self._new_update.wait_for(
                    lambda: bool(self._updates) or self._closing, timeout
                )
            finally:
                self.polls_waiting -= 1
        return self._updates[:limit]

    def _confirm(self, offset: int | None) -> None:
        """Forget updates confirmed by offset (a negative offset keeps only the last -offset)."""
        if offset is None:
            return
        if offset < 0:
            del self._updates[:offset]
        else:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]

    def _allowed(self, kind: str) -> bool:
        if self._allowed_updates is None:
            return kind not in NOT_DELIVERED_BY_DEFAULT
        return kind in self._allowed_updates

    async def _set_webhook(self, call: _Call) -> bool:
        if not call.params["url"].startswith("https://") and call.params["url"]:
            raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
        self.webhook = {"url": call.params["url"]}
        if call.params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _delete_webhook(self, call: _Call) -> bool:
        self.webhook = {"url": ""}
        if call.params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _get_webhook_info(self, call: _Call) -> dict:
        return {
            **self.webhook,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    async def _set_my_commands(self, call: _Call) -> bool:
        commands = call.params["commands"]
        if len(commands) > 100:
            raise _bad("too many commands")
        for command in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", command["command"]):
                raise _bad("BOT_COMMAND_INVALID")
            if not 1 <= len(command["description"]) <= 256:
                raise _bad("command description must be 1-256 characters")
        self.commands[_commands_key(call.params)] = commands
        return True

    async def _delete_my_commands(self, call: _Call) -> bool:
        self.commands.pop(_commands_key(call.params), None)
        return True

    async def _get_my_commands(self, call: _Call) -> list[dict]:
        return self.commands.get(_commands_key(call.params), [])

    async def _set_chat_menu_button(self, call: _Call) -> bool:
        chat_id = call.params.get("chat_id")
        if chat_id is not None:
            self._known_chat(chat_id)
        self.menu_buttons[chat_id] = call.params.get("menu_button", {"type": "default"})
        return True

    async def _send_message(self, call: _Call) -> dict:
        params = call.params
        chat_id = self._known_chat(params["chat_id"])
        text, entities = _formatted(
            params["text"],
            params.get("parse_mode"),
            params.get("entities"),
            MAX_TEXT_LENGTH,
            "message text",
        )
        content = _with_entities({"text": text}, "entities", entities)
        return self._send(chat_id, content, params)

    async def _send_photo(self, call: _Call) -> dict:
        chat_id = self._known_chat(call.params["chat_id"])
        stored = self._file_from(call.params["photo"], "photos", "image/jpeg")
        content = {"photo": [_photo_size(stored)], **self._caption(call.params)}
        return self._send(chat_id, content, call.params)

    async def _send_document(self, call: _Call) -> dict:
        chat_id = self._known_chat(call.params["chat_id"])
        stored = self._file_from(call.params["document"], "documents", "application/octet-stream")
        content = {"document": _document(stored), **self._caption(call.params)}
        return self._send(chat_id, content, call.params)

    async def _edit_message_text(self, call: _Call) -> dict | bool:
        message = self._editable(call.params)
        if message is None:
            return True
        if "text" not in message:
            raise _bad("there is no text in the message to edit")
        text, entities = _formatted(
            call.params["text"],
            call.params.get("parse_mode"),
            call.params.get("entities"),
            MAX_TEXT_LENGTH,
            "message text",
        )
        new = _with_entities({"text": text}, "entities", entities)
        return self._edit(message, new, ("text", "entities"), call.params.get("reply_markup"))

    async def _edit_message_caption(self, call: _Call) -> dict | bool:
        message = self._editable(call.params)
        if message is None:
            return True
        if not {"photo", "document"} & set(message):
            raise _bad("there is no caption in the message to edit")
        return self._edit(
            message,
            self._caption(call.params),
            ("caption", "caption_entities"),
            call.params.get("reply_markup"),
        )

    async def _edit_message_reply_markup(self, call: _Call) -> dict | bool:
        message = self._editable(call.params)
        if message is None:
            return True
        return self._edit(message, {}, (), call.params.get("reply_markup"))

    async def _edit_message_media(self, call: _Call) -> dict | bool:
        message = self._editable(call.params)
        if message is None:
            return True
        media = call.params["media"]
        kind = media["type"]
        source = media["media"]
        if source.startswith("attach://"):
            source = call.files[source.removeprefix("attach://")]
        stored = self._file_from(source, f"{kind}s", "image/jpeg" if kind == "photo" else None)
        new: dict[str, Any] = (
            {"photo": [_photo_size(stored)]} if kind == "photo" else {kind: _document(stored)}
        )
        new.update(self._caption(media))
        media_keys = ("photo", "document", "video", "animation", "audio", "live_photo")
        return self._edit(
            message,
            new,
            (*media_keys, "caption", "caption_entities"),
            call.params.get("reply_markup"),
        )

    async def _delete_message(self, call: _Call) -> bool:
        chat_id = self._known_chat(call.params["chat_id"])
        if self._messages[chat_id].pop(call.params["message_id"], None) is None:
            raise _bad("message to delete not found")
        return True

    async def _answer_callback_query(self, call: _Call) -> bool:
        query_id = call.params["callback_query_id"]
        if query_id not in self._callbacks or query_id in self.callback_answers:
            raise _bad("query is too old and response timeout expired or query ID is invalid")
        if len(call.params.get("text", "")) > MAX_CALLBACK_ANSWER_LENGTH:
            raise _bad("MESSAGE_TOO_LONG")
        self.callback_answers[query_id] = call.params
        update_id = self._callback_updates.get(query_id)
        if update_id is not None:
            self.timings[update_id].answered_at = self.clock()
        return True

    async def _send_chat_action(self, call: _Call) -> bool:
        self._known_chat(call.params["chat_id"])
        if call.params["action"] not in CHAT_ACTIONS:
            raise _bad("wrong parameter action in request")
        return True

    async def _get_chat(self, call: _Call) -> dict:
        chat_id = self._known_chat(call.params["chat_id"])
        return {
            **self._chat(chat_id),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    async def _get_chat_member(self, call: _Call) -> dict:
        chat_id = self._known_chat(call.params["chat_id"])
        user_id = call.params["user_id"]
        if user_id == BOT_ID:
            return _member(self.bot_user, "kicked" if chat_id in self._blocked else "member")
        if user_id != chat_id:  # a private chat has two members: the user and the bot
            raise _bad("user not found")
        return _member(self.users[user_id], "member")

    async def _get_file(self, call: _Call) -> dict:
        stored = self._files.get(call.params["file_id"])
        if stored is None:
            raise _bad("invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }

    # ---- helpers: chats and messages ---------------------------------------------------

    def _known_chat(self, chat_id: int | str) -> int:
        """The private chat of a user who has written to the bot, or 400 chat not found."""
        number = _int_chat_id(chat_id)
        if number is None or number not in self.users:
            raise _bad("chat not found")
        return number

    def _chat(self, user_id: int) -> dict[str, Any]:
        user = self.users[user_id]
        chat = {"id": user_id, "type": "private", "first_name": user["first_name"]}
        for key in ("last_name", "username"):
            if key in user:
                chat[key] = user[key]
        return chat

    def _store_message(self, chat_id: int, sender: dict, content: dict[str, Any]) -> dict[str, Any]:
        message = {
            "message_id": next(self._message_ids[chat_id]),
            "from": sender,
            "chat": self._chat(chat_id),
            "date": int(time.time()),
            **content,
        }
        self._messages[chat_id][message["message_id"]] = message
        return message

    def _send(self, chat_id: int, content: dict[str, Any], params: dict[str, Any]) -> dict:
        reply = params.get("reply_parameters")
        if reply is not None:
            original = self._messages[chat_id].get(reply["message_id"])
            if original is None and not reply.get("allow_sending_without_reply"):
                raise _bad("message to be replied not found")
            if original is not None:
                content["reply_to_message"] = _public(original)
        if "reply_markup" in params:
            content["reply_markup"] = params["reply_markup"]
        message = self._store_message(chat_id, self.bot_user, content)
        self._record_event(chat_id, message)
        return _public(message)

    def _editable(self, params: dict[str, Any]) -> dict | None:
        """The stored message an edit targets; None for inline messages (not modelled)."""
        if "inline_message_id" in params:
            return None
        if "chat_id" not in params:
            raise _bad("chat_id is empty")
        if "message_id" not in params:
            raise _bad("message identifier is not specified")
        chat_id = self._known_chat(params["chat_id"])
        message = self._messages[chat_id].get(params["message_id"])
        if message is None:
            raise _bad("message to edit not found")
        if message["from"]["id"] != BOT_ID:
            raise _bad("message can't be edited")
        return message

    def _edit(
        self,
        message: dict,
        new: dict[str, Any],
        replaced: tuple[str, ...],
        reply_markup: dict | None,
    ) -> dict:
        """Apply an edit; like Telegram, refuse one that changes nothing.

        An edit without reply_markup removes the inline keyboard, as in Telegram.
        """
        before = {key: message.get(key) for key in (*replaced, "reply_markup")}
        after = {key: new.get(key) for key in replaced} | {"reply_markup": reply_markup}
        if before == after:
            raise ApiError(400, NOT_MODIFIED)
        for key, value in after.items():
            if value is None:
                message.pop(key, None)
            else:
                message[key] = value
        message["edit_date"] = int(time.time())
        self._record_event(message["chat"]["id"], message)
        return _public(message)

    def _record_event(self, chat_id: int, message: dict) -> None:
        self._events[chat_id].append(dict(message))
        awaiting = self._awaiting_reply.get(chat_id)
        if awaiting:
            self.timings[awaiting.popleft()].replied_at = self.clock()
        self._new_message.fire()

    def _caption(self, params: dict[str, Any]) -> dict[str, Any]:
        if "caption" not in params:
            return {}
        caption, entities = _formatted(
            params["caption"],
            params.get("parse_mode"),
            params.get("caption_entities"),
            MAX_CAPTION_LENGTH,
            "message caption",
        )
        return _with_entities({"caption": caption} if caption else {}, "caption_entities", entities)

    # ---- helpers: files ----------------------------------------------------------------

    def _store_file(
        self, data: bytes, folder: str, file_name: str | None, mime_type: str | None
    ) -> StoredFile:
        number = next(self._file_ids)
        suffix = f".{file_name.rsplit('.', 1)[1]}" if file_name and "." in file_name else ""
        stored = StoredFile(
            file_id=f"FAKEFILE{number:08d}",
            file_unique_id=f"U{number:08d}",
            file_path=f"{folder}/file_{number}{suffix}",
            data=data,
            file_name=file_name,
            mime_type=mime_type,
        )
        self._files[stored.file_id] = stored
        return stored

    def _file_from(
        self, value: UploadedFile | str, folder: str, mime_type: str | None
    ) -> StoredFile:
        """An upload, a file_id this server issued, or a URL (recorded, never fetched)."""
        if isinstance(value, UploadedFile):
            return self._store_file(
                value.data, folder, value.filename, value.content_type or mime_type
            )
        if value in self._files:
            return self._files[value]
        if re.match(r"https?://\S+$", value):
            return self._store_file(b"", folder, value.rsplit("/", 1)[-1], mime_type)
        raise _bad("wrong file identifier/HTTP URL specified")


# ---- pure helpers ------------------------------------------------------------------------


def _formatted(
    text: str, parse_mode: str | None, entities: list[dict] | None, limit: int, what: str
) -> tuple[str, list[dict]]:
    """Text and entities after parse_mode, with Telegram's length rules ("what" names it)."""
    if parse_mode is None or parse_mode == "":
        plain, parsed = text, entities or []
    elif parse_mode.lower() == "html":
        try:
            plain, parsed = parse_html(text)
        except EntityParseError as exc:
            raise _bad(f"can't parse entities: {exc}") from None
    elif parse_mode.lower() in ("markdown", "markdownv2"):
        plain, parsed = text, []  # Markdown is not parsed by this fake: length is approximate
    else:
        raise _bad(f"unsupported parse_mode {parse_mode!r}")
    if what == "message text" and not plain.strip():
        raise _bad("message text is empty")
    if len(plain) > limit:
        raise _bad(
            "message is too long" if what == "message text" else "message caption is too long"
        )
    return plain, parsed


def _with_entities(content: dict[str, Any], key: str, entities: list[dict]) -> dict[str, Any]:
    if entities:
        content[key] = entities
    return content


def _public(message: dict) -> dict:
    """The Message as the Bot API returns it: reply_markup only when it is inline."""
    public = dict(message)
    markup = public.get("reply_markup")
    if markup is not None and "inline_keyboard" not in markup:
        del public["reply_markup"]
    return public


def _callback_datas(message: dict) -> set[str]:
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return {button["callback_data"] for row in rows for button in row if "callback_data" in button}


def _photo_size(stored: StoredFile) -> dict[str, Any]:
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "width": 800,
        "height": 600,
        "file_size": len(stored.data),
    }


def _document(stored: StoredFile) -> dict[str, Any]:
    document: dict[str, Any] = {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": len(stored.data),
    }
    if stored.file_name:
        document["file_name"] = stored.file_name
    if stored.mime_type:
        document["mime_type"] = stored.mime_type
    return document


def _member(user: dict, status: str) -> dict[str, Any]:
    member: dict[str, Any] = {"status": status, "user": user}
    if status == "kicked":
        member["until_date"] = 0
    return member


def _chat_of(update: dict) -> int | None:
    for value in update.values():
        if isinstance(value, dict):
            chat = value.get("chat") or value.get("message", {}).get("chat")
            if chat:
                return chat["id"]
    return None


def _int_chat_id(chat_id: Any) -> int | None:
    if isinstance(chat_id, int):
        return chat_id
    if isinstance(chat_id, str) and re.fullmatch(r"-?[0-9]+", chat_id):
        return int(chat_id)
    return None  # "@channelusername": no channels in this fake


def _commands_key(params: dict[str, Any]) -> str:
    scope = params.get("scope", {"type": "default"})
    return json.dumps([scope, params.get("language_code", "")], sort_keys=True)


async def _read_params(request: web.Request) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
    """Query string plus the body: form, multipart (with file parts) or JSON."""
    params: dict[str, Any] = dict(request.query)
    files: dict[str, UploadedFile] = {}
    if not request.can_read_body:
        return params, files
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise _bad("can't parse JSON body") from None
        if not isinstance(body, dict):
            raise _bad("JSON body must be an object")
        params.update({key: value for key, value in body.items() if value is not None})
    elif request.content_type == "multipart/form-data":
        async for part in await request.multipart():
            if part.filename is not None:
                files[part.name] = UploadedFile(
                    part.filename,
                    part.headers.get("Content-Type", "application/octet-stream"),
                    bytes(await part.read()),
                )
            else:
                params[part.name] = await part.text()
    else:
        params.update(await request.post())
    return params, files


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the fake Telegram Bot API until Ctrl-C.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--rate-limit", type=int, default=None, help="send* calls per second")
    args = parser.parse_args()

    async def serve() -> None:
        api = FakeBotAPI(args.token, host=args.host, port=args.port)
        api.rate_limit(args.rate_limit)
        await api.start()
        print(
            f"fake Bot API at {api.base_url} (token {api.token}); controls at "
            f"{api.base_url}/_fake/",
            flush=True,
        )
        try:
            await asyncio.Event().wait()
        finally:
            await api.stop()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())


if __name__ == "__main__":
    main()
