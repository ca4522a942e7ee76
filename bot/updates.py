"""Telegram updates: stored before Telegram is told they arrived, then handled chat by chat.

Telegram sends an update again only while it has not been told the update arrived: a
webhook call answered 200, or a batch of long polling confirmed by asking for the next
offset. So each update is written to the `telegram_update` journal first, and only then
is Telegram told: the webhook answers after the row is committed; the polling loop stores
a whole batch in one transaction before it asks for the next one. An update Telegram sends
again is a row already there, and is dropped.

Updates are then handled from there, in lanes: one chat's updates one at a time in the
order of their ids, different chats side by side, at most CONCURRENCY at once. An update
is marked handled when its handling ends; one stored but not marked (a crash, or a stop
that ran out of time) is handled at the next start. Handling is therefore at least once:
whatever an update changes must be safe to repeat, as purchases are (keyed by receipt or
by the message, handlers/telegram/staff/common.py `request_of`).

One process (SQLite, or PostgreSQL without Redis): the lanes live in memory, and with the
dialog state in the database the "handled" mark is written in the same transaction as the
state the update left (bot/fsm_storage.py), so a crash keeps both or neither: an update
handled again after a crash meets the state it was first handled on.

Several processes (PostgreSQL and Redis, bot/workers.py): any of them may have received a
chat's update. A lane then takes the chat's lock in Redis and handles every update of the
chat still unmarked in the journal, in order, marking each before the next; an update
another process received is handled by whoever holds the lock first, and the other finds
it marked. Rows left unmarked by a process that died are taken up by the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

import aiohttp
import orjson
from aiogram import Bot, Dispatcher
from aiogram.dispatcher.middlewares.user_context import UserContextMiddleware
from aiogram.methods import TelegramMethod
from aiogram.types import Update
from aiogram.utils.backoff import Backoff, BackoffConfig
from aiohttp import web
from pydantic import ValidationError

from loyalty.clock import utcnow
from loyalty.group_commit import run_in_transaction
from models.queries import updates as updates_sql
from models.statements import Statement

log = logging.getLogger("club.updates")

# Updates handled at once. Without a bound, a backlog (after a restart, or a burst) becomes
# thousands of tasks at once: every one of them waits longer, and their memory adds up
# (5,000 updates took club run past 450 MB).
CONCURRENCY = 64
# Long polling asks for no more while this many updates wait in memory: the rest wait in
# Telegram's queue, as they would for a slower bot.
BACKLOG = 4 * CONCURRENCY
POLL_TIMEOUT = 30  # seconds a getUpdates call waits for news
# Several processes: how often rows left unmarked (by a process that died) are looked for,
# and how old they must be, so as not to race the process that received them.
RECOVER_EVERY = 30.0
RECOVER_AFTER = timedelta(seconds=30)
LANE_LOCK_SECONDS = 60  # a lane's Redis lock lapses if its process dies holding it
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
BACKOFF = BackoffConfig(min_delay=1.0, max_delay=5.0, factor=1.3, jitter=0.1)


class GetUpdatesRefused(Exception):
    """Telegram answered getUpdates with an error (409: a webhook is set, or another poller)."""

    def __init__(self, code: int | None) -> None:
        super().__init__(f"getUpdates refused with {code}")


def error_name(error: BaseException) -> str:
    """What went wrong, without the text of a network error (its URL carries the token)."""
    return str(error) if isinstance(error, GetUpdatesRefused) else type(error).__name__


def chat_of(update: Update) -> int:
    """The lane of an update: its chat, else its user (0 for the few that have neither)."""
    context = UserContextMiddleware.resolve_event_context(update)
    if context.chat is not None:
        return context.chat.id
    return context.user.id if context.user is not None else 0


class Marker(Protocol):
    def write_along(self, statement: Statement, params: list[Any]) -> None:
        """Write a row change in the same transaction as the dialog state changed so far."""


class Journal:
    """The `telegram_update` table."""

    def __init__(self, along: Marker | None = None) -> None:
        self.along = along

    async def store(self, updates: list[tuple[Update, str]], now: datetime) -> set[int]:
        """Store updates (with their JSON) in one transaction; the ids that are new."""
        if not updates:
            return set()
        received = updates_sql.db_time(now)
        params = [
            value
            for update, body in updates
            for value in (update.update_id, chat_of(update), body, received)
        ]
        rows = await run_in_transaction(lambda: updates_sql.insert(len(updates)).rows(*params))
        return {row["update_id"] for row in rows}

    async def mark(self, update_id: int, now: datetime) -> None:
        params = [updates_sql.db_time(now), update_id]
        if self.along is not None:
            self.along.write_along(updates_sql.mark, params)
        else:
            await updates_sql.mark.many([params])

    async def pending(self, chat: int | None = None) -> list[tuple[int, str]]:
        """Unmarked updates (of one chat, or all), oldest first: (id, JSON)."""
        rows = await (
            updates_sql.pending.rows() if chat is None else updates_sql.pending_of_chat.rows(chat)
        )
        return [(row["update_id"], row["body"]) for row in rows]

    async def chats_pending(self, received_before: datetime) -> list[int]:
        return [
            row["chat_id"]
            for row in await updates_sql.chats_pending.rows(updates_sql.db_time(received_before))
        ]


LaneLock = Callable[[int], contextlib.AbstractAsyncContextManager[Any]]


class Lanes:
    """Updates handled in order per chat, chats side by side, CONCURRENCY at once."""

    def __init__(
        self,
        handle: Callable[[Update], Awaitable[None]],
        journal: Journal,
        bot: Bot,
        *,
        lock: LaneLock | None = None,
        concurrency: int = CONCURRENCY,
    ) -> None:
        self.handle = handle
        self.journal = journal
        self.bot = bot
        self.lock = lock  # several processes: a chat's lock, shared with them
        self._slots = asyncio.Semaphore(concurrency)
        self._queues: dict[int, dict[int, Update]] = {}
        self._runners: dict[int, asyncio.Task[None]] = {}
        self._waiting = 0  # updates pushed and not yet handled
        self._room = asyncio.Event()
        self._room.set()
        self.closing = False

    def push(self, chat: int, update: Update | None) -> None:
        """Queue an update of `chat` (None: look in the journal for the chat's pending ones)."""
        if self.closing:
            return  # stored: the next start handles it
        queue = self._queues.setdefault(chat, {})
        if update is not None and update.update_id not in queue:
            queue[update.update_id] = update
            self._waiting += 1
            if self._waiting >= BACKLOG:
                self._room.clear()
        if chat not in self._runners:
            self._runners[chat] = asyncio.get_running_loop().create_task(self._run(chat))

    async def room(self) -> None:
        """Wait until fewer than BACKLOG updates wait."""
        await self._room.wait()

    def _done(self, count: int) -> None:
        self._waiting -= count
        if self._waiting < BACKLOG:
            self._room.set()

    async def _run(self, chat: int) -> None:
        try:
            while chat in self._queues:
                queue = self._queues.pop(chat)
                try:
                    if self.lock is None:
                        await self._serve_local(queue)
                    else:
                        await self._serve_shared(chat, queue)
                except Exception:
                    log.exception(
                        "updates of chat %s not handled now: they wait in the journal", chat
                    )
                finally:
                    self._done(len(queue))
        finally:
            self._runners.pop(chat, None)

    async def _serve_local(self, queue: dict[int, Update]) -> None:
        for update_id in sorted(queue):
            async with self._slots:
                await self._handle(queue[update_id])

    async def _serve_shared(self, chat: int, queue: dict[int, Update]) -> None:
        assert self.lock is not None
        async with self._slots, self.lock(chat):
            for update_id, body in await self.journal.pending(chat):
                update = queue.get(update_id)
                if update is None:
                    update = Update.model_validate_json(body, context={"bot": self.bot})
                await self._handle(update)

    async def _handle(self, update: Update) -> None:
        await self.handle(update)
        await self.journal.mark(update.update_id, utcnow())

    async def close(self, timeout: float) -> None:
        """Take no more; let what is queued finish within `timeout`, then stop it."""
        self.closing = True
        runners = list(self._runners.values())
        if runners:
            _, unfinished = await asyncio.wait(runners, timeout=timeout)
            if unfinished:
                log.warning(
                    "%d chats still had updates after %.0f s: they are handled at the next start",
                    len(unfinished),
                    timeout,
                )
                for task in unfinished:
                    task.cancel()
                await asyncio.gather(*unfinished, return_exceptions=True)


async def _keep(lock: Any) -> None:
    while True:
        await asyncio.sleep(LANE_LOCK_SECONDS / 3)
        try:
            await lock.reacquire()
        except Exception:
            log.exception("a chat's lock could not be renewed")
            return


class Updates:
    """The door of Telegram updates: the journal, the lanes, the webhook and the polling loop."""

    def __init__(
        self,
        dp: Dispatcher,
        bot: Bot,
        *,
        redis: Any = None,
        along: Marker | None = None,
        concurrency: int = CONCURRENCY,
    ) -> None:
        self.dp = dp
        self.bot = bot
        self.redis = redis
        self.journal = Journal(None if redis is not None else along)
        lock = self._redis_lock if redis is not None else None
        self.lanes = Lanes(self._feed, self.journal, bot, lock=lock, concurrency=concurrency)
        self._recovering: asyncio.Task[None] | None = None

    @contextlib.asynccontextmanager
    async def _redis_lock(self, chat: int) -> AsyncIterator[None]:
        # Not the key of aiogram's own per-chat lock (taken again inside the handling).
        lock = self.redis.lock(f"club:lane:{self.bot.id}:{chat}", timeout=LANE_LOCK_SECONDS)
        async with lock:
            # Renewed while held, so a long update (an export) keeps it; lapses if we die.
            keeper = asyncio.get_running_loop().create_task(_keep(lock))
            try:
                yield
            finally:
                keeper.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await keeper

    async def _feed(self, update: Update) -> None:
        try:
            response = await self.dp.feed_update(self.bot, update)
            if isinstance(response, TelegramMethod):
                await self.dp.silent_call_request(self.bot, response)
        except Exception:  # the error handlers let it through: it is logged, and not retried
            log.exception("update %s failed", update.update_id)

    async def recover(self) -> None:
        """Queue what an earlier run stored and did not handle; with several processes, keep
        looking for what a process that died left."""
        if self.redis is None:
            for _, body in await self.journal.pending():
                update = Update.model_validate_json(body, context={"bot": self.bot})
                self.lanes.push(chat_of(update), update)
            return
        for chat in await self.journal.chats_pending(utcnow()):
            self.lanes.push(chat, None)
        self._recovering = asyncio.get_running_loop().create_task(self._recover_forever())

    async def _recover_forever(self) -> None:
        while True:
            await asyncio.sleep(RECOVER_EVERY)
            try:
                for chat in await self.journal.chats_pending(utcnow() - RECOVER_AFTER):
                    self.lanes.push(chat, None)
            except Exception:
                log.exception("looking for updates left unhandled failed")

    async def accept(self, updates: list[tuple[Update, str]]) -> None:
        """Store updates (durably) and queue the ones not stored before."""
        new = await self.journal.store(updates, utcnow())
        for update, _ in updates:
            if update.update_id in new:
                self.lanes.push(chat_of(update), update)

    async def _get_updates(self, params: dict[str, Any]) -> list[tuple[Update, str]]:
        """One getUpdates call: each update parsed, and its JSON as Telegram sent it.

        Called on the bot's HTTP session directly: through aiogram, the JSON of each update
        would have to be rebuilt from the parsed one (a quarter of a millisecond each).
        """
        session = self.bot.session
        http = await session.create_session()
        url = session.api.api_url(token=self.bot.token, method="getUpdates")
        timeout = aiohttp.ClientTimeout(total=session.timeout + POLL_TIMEOUT)
        async with http.post(
            url,
            data=orjson.dumps(params),
            timeout=timeout,
            headers={"Content-Type": "application/json"},
        ) as response:
            answer = orjson.loads(await response.read())
        if not answer.get("ok"):
            raise GetUpdatesRefused(answer.get("error_code"))
        return [
            (Update.model_validate(raw, context={"bot": self.bot}), orjson.dumps(raw).decode())
            for raw in answer["result"]
        ]

    async def poll(self, allowed_updates: list[str]) -> None:
        """Long polling until cancelled: a batch is stored before the next is asked for."""
        params: dict[str, Any] = {"timeout": POLL_TIMEOUT, "allowed_updates": allowed_updates}
        backoff = Backoff(config=BACKOFF)
        while True:
            await self.lanes.room()
            try:
                batch = await self._get_updates(params)
                await self.accept(batch)
            except Exception as error:  # noqa: BLE001  (its text may carry the token-bearing URL)
                log.error("updates not fetched or stored (%s); trying again", error_name(error))
                await backoff.asleep()
                continue
            backoff.reset()
            if batch:
                params["offset"] = (
                    batch[-1][0].update_id + 1
                )  # confirms the stored batch to Telegram

    def webhook(self, secret: str) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        """The webhook route: 200 means the update is stored."""
        expected = secret.encode()

        async def receive(request: web.Request) -> web.StreamResponse:
            given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "surrogateescape")
            if not hmac.compare_digest(given, expected):
                return web.json_response({"ok": False, "description": "wrong secret"}, status=401)
            if request.content_type != "application/json":
                return web.json_response({"ok": False, "description": "JSON expected"}, status=415)
            body = await request.read()
            try:
                update = Update.model_validate_json(body, context={"bot": self.bot})
            except ValidationError:
                return web.json_response({"ok": False, "description": "not an update"}, status=400)
            if self.lanes.closing:  # Telegram sends it again later, to whoever serves then
                return web.json_response({"ok": False, "description": "stopping"}, status=503)
            await self.accept([(update, body.decode())])
            return web.json_response({"ok": True})

        return receive

    async def close(self, timeout: float) -> None:
        """Stop taking updates and finish those in hand, within `timeout` seconds."""
        if self._recovering is not None:
            self._recovering.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._recovering
        await self.lanes.close(timeout)
