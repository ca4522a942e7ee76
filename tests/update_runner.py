"""`club run` in webhook mode against the fake Bot API, as a child process group."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import aiohttp

from tests.club_runner import Club
from tests.fakes.bot_api import FakeBotAPI
from tests.helpers import free_port
from tests.waiting import DEADLINE as WAIT

SECRET = "crash-suite-secret"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class WebhookClub(Club):
    """The same child as `Club`, serving the Telegram webhook on its web port."""

    def __init__(self, api: FakeBotAPI, url: str, tmp_path: Path, **kwargs: object) -> None:
        super().__init__(api, url, tmp_path, **kwargs)  # type: ignore[arg-type]
        # Telegram calls one address: a restarted club must listen on the same port.
        self.env.update(
            {
                "WEBHOOK_URL": "https://club.example",
                "WEBHOOK_SECRET": SECRET,
                "WEB_PORT": str(free_port()),
            }
        )
        self.http: aiohttp.ClientSession | None = None

    @property
    def address(self) -> str:
        return f"http://127.0.0.1:{self.env['WEB_PORT']}"

    async def start(self) -> None:
        await super().start()
        if self.http is None:
            self.http = aiohttp.ClientSession()
        deadline = asyncio.get_running_loop().time() + WAIT
        while asyncio.get_running_loop().time() < deadline:
            assert self.process is not None
            if self.process.returncode is not None:
                break
            try:
                async with self.http.get(f"{self.address}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                pass  # not listening yet
            await asyncio.sleep(0.05)
        raise AssertionError(f"club run did not start; log:\n{self.log()}")

    async def post(self, update: dict) -> int:
        assert self.http is not None
        async with self.http.post(
            f"{self.address}/telegram/webhook", json=update, headers={SECRET_HEADER: SECRET}
        ) as response:
            return response.status

    async def terminate(self) -> int:
        """SIGTERM, and the exit status once the process has stopped by itself."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(self.process.wait(), WAIT)

    async def close(self) -> None:
        await self.kill()
        if self.http is not None:
            await self.http.close()
            self.http = None

    async def kill(self) -> None:
        if self.process is None:
            return
        if self.process.returncode is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        await self.process.wait()
