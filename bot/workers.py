"""`club run --workers N`: several webhook workers behind one address.

The parent process migrates the database and sets the webhook, once; then it forks N
workers. Each runs the whole bot (`bot.app.run`) and binds WEB_HOST:WEB_PORT with
SO_REUSEPORT, so the kernel spreads Telegram's connections over them. What they share
lives outside them: PostgreSQL (members, the ledger, outbox claims, the jobs lease: one
scheduler runner at a time) and Redis (dialog state, the per-chat dialog lock, the
outbox rate). SQLite, long polling and dialog state kept in the database serve one
process only, so more workers are refused without PostgreSQL, a webhook and Redis.

Forked rather than spawned: the parent has imported the bot already, and a fresh
interpreter per worker would import it again (seconds of CPU each). The parent forks
with no event loop, thread or connection open.

If one worker dies the parent stops the others and exits non-zero, so the service
manager (systemd, docker) restarts the whole club at once rather than running short.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import signal
from multiprocessing.connection import wait
from types import FrameType

from bot import patches
from bot.app import build_bot, build_dispatcher, run, set_menu_button, set_webhook
from bot.db import close_db, open_db
from bot.settings import Settings
from handlers.format import listing, number
from handlers.i18n import N_, t

log = logging.getLogger("club.workers")

POSTGRES_SCHEMES = ("postgres://", "postgresql://", "asyncpg://", "psycopg://")
# How long a worker may take to stop, beyond the time its updates in hand may take
# (SHUTDOWN_SECONDS), before it is killed.
STOP_SECONDS = 10


def refusal(settings: Settings, workers: int) -> str | None:
    """Why these settings cannot serve `workers` processes, in one line; None if they can."""
    if workers <= 1:
        return None
    missing = []
    if settings.bot_token is None:
        missing.append("BOT_TOKEN")
    if not settings.webhook_url:
        missing.append("WEBHOOK_URL")
    if not settings.database_url.startswith(POSTGRES_SCHEMES):
        missing.append("DATABASE_URL=postgres://…")
    if not settings.redis_url:
        missing.append("REDIS_URL")
    if not missing:
        return None
    return t(
        N_(
            "{count} workers need {missing}: SQLite, long polling and dialogs kept in the "
            "database serve one process only."
        ),
        settings.default_locale,
        count=number(workers, settings.default_locale),
        missing=listing(missing, settings.default_locale),
    )


async def _prepare(settings: Settings) -> None:
    await open_db(settings.database_url)  # migrations and the default rules, once
    await close_db()
    bot = build_bot(settings)
    dp = build_dispatcher(settings)
    try:
        await set_webhook(bot, dp, settings)
        await set_menu_button(bot, settings)
    finally:
        await bot.session.close()
        await dp.storage.close()


def _worker(settings: Settings, number: int) -> None:
    # Ctrl-C reaches every process of the terminal.
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run(settings, worker=number))


def serve(settings: Settings, workers: int) -> int:
    """Run `workers` worker processes until a signal or the death of one; the exit status."""
    asyncio.run(_prepare(settings))
    # The imported modules are shared with the workers page by page until written to;
    # frozen, the garbage collector does not write to them (and so copy them) in each one.
    patches.freeze_garbage()
    context = multiprocessing.get_context("fork")
    processes = [
        context.Process(target=_worker, args=(settings, n), name=f"club-worker-{n}")
        for n in range(1, workers + 1)
    ]
    for process in processes:
        process.start()
    stopping = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        for process in processes:
            if process.is_alive():
                process.terminate()

    # Installed after the fork: the workers keep the default handlers until `run` sets its own.
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    wait([process.sentinel for process in processes])
    if not stopping:
        dead = next(p for p in processes if not p.is_alive())
        log.error("worker %s exited with status %s: stopping the others", dead.name, dead.exitcode)
        stop(signal.SIGTERM, None)
    for process in processes:
        process.join(settings.shutdown_seconds + STOP_SECONDS)
        if process.is_alive():
            process.kill()
            process.join()
    return 0 if stopping else 1
