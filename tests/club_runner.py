"""`club run` as a child process against the fake Bot API, for the crash tests."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from bot.db import apply_migrations, open_db
from tests.conftest import _open_postgres
from tests.fakes.bot_api import FakeBotAPI
from tests.waiting import eventually


async def open_fresh(backend: str, tmp_path: Path) -> str:
    """A migrated, empty club database, opened in this process; returns its URL."""
    if backend == "sqlite":
        url = f"sqlite://{tmp_path / 'club.sqlite3'}?busy_timeout=10000"
        await apply_migrations(url)
        await open_db(url, run_migrations=False)
        return url
    return await _open_postgres()


class Club:
    """`club run` in long-polling mode against the fake, as a child process group."""

    def __init__(
        self, api: FakeBotAPI, url: str, tmp_path: Path, *, owners: Iterable[int] = ()
    ) -> None:
        self.env = {
            **{
                k: v
                for k, v in os.environ.items()
                if k not in ("WEBHOOK_URL", "WEB_WORKERS", "REDIS_URL")
            },
            "BOT_TOKEN": api.token,
            "TELEGRAM_API_BASE": api.base_url,
            "DATABASE_URL": url,
            "OWNER_IDS": ",".join(map(str, owners)),
            "DEFAULT_LOCALE": "en",
            "KAVENEGAR_API_KEY": "",
            "SMS_POLL_SECONDS": "0",
            # The web app (health, SMS webhook) listens in polling mode too, on a port the
            # system picks as it binds: one chosen here could be taken before the child binds it.
            "WEB_HOST": "127.0.0.1",
            "WEB_PORT": "0",
        }
        self.tmp_path = tmp_path
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with (self.tmp_path / "club.log").open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot.cli",
                "run",
                env=self.env,
                cwd=self.tmp_path,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
            )

    async def kill(self) -> None:
        assert self.process is not None
        if self.process.returncode is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        await self.process.wait()

    def log(self) -> str:
        return (self.tmp_path / "club.log").read_text(errors="replace")

    async def until(self, check: Callable[[], bool], what: str) -> None:
        """Wait for `check` while the club runs; fail at once if it has exited."""
        assert self.process is not None

        def running_and_done() -> bool:
            if self.process.returncode is not None:
                raise AssertionError(
                    f"club run exited ({self.process.returncode}) before {what}:\n{self.log()}"
                )
            return check()

        await eventually(running_and_done, lambda: f"{what}\n{self.log()}")
