"""The real program and the fakes as child processes, for the benchmarks.

A benchmark starts the fake Bot API and the fake Kavenegar on loopback ports, then
`club run` pointed at them, exactly as an owner would start it, and watches from outside:
the fakes' control endpoints (`/_fake/stats`, ...) and the process's resident memory.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any
from urllib.request import Request, urlopen

from tests.fakes.bot_api import DEFAULT_TOKEN
from tests.helpers import free_port  # noqa: F401  (the benchmarks take it from here)

ROOT = Path(__file__).resolve().parents[1]
KAVENEGAR_KEY = "FAKE-API-KEY"


def wait_until(
    check: Callable[[], bool], what: str, timeout: float = 60.0, every: float = 0.05
) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up waiting for {what} after {timeout:.0f} s")
        time.sleep(every)


def _answers(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), 0.2).close()
    except OSError:
        return False
    return True


class Child:
    """One child process; its output goes to `log` so that a failed run can be read."""

    def __init__(
        self,
        args: list[str],
        *,
        env: dict[str, str] | None = None,
        log: IO[bytes] | None = None,
        port: int | None = None,
    ) -> None:
        self.args = args
        self.process = subprocess.Popen(
            args,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
            stdin=subprocess.DEVNULL,
            stdout=log or subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        if port is not None:
            wait_until(lambda: self._alive() and _answers(port), f"{args[2:4]} on port {port}", 30)

    def _alive(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"{' '.join(self.args)} exited with {self.process.returncode}")
        return True

    @property
    def pid(self) -> int:
        return self.process.pid

    def rss_mb(self) -> float:
        """Resident memory now, in MiB (VmRSS)."""
        status = Path(f"/proc/{self.pid}/status").read_text()
        kib = next(
            int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")
        )
        return kib / 1024

    def cpu_seconds(self) -> float:
        """User plus system CPU time used so far (utime + stime in /proc/PID/stat)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def kill(self) -> None:
        """SIGKILL: the crash, with no chance to clean up."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self, timeout: float = 15.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.process.returncode

    def __enter__(self) -> Child:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def fake_bot_api(
    port: int, *, rate_limit: int | None = None, log: IO[bytes] | None = None
) -> Child:
    args = [sys.executable, "-m", "tests.fakes.bot_api", "--port", str(port)]
    if rate_limit is not None:
        args += ["--rate-limit", str(rate_limit)]
    return Child(args, log=log, port=port)


def fake_kavenegar(
    port: int, *, log: IO[bytes] | None = None, extra: list[str] | None = None
) -> Child:
    """`extra`: more command-line options of the fake, e.g. ["--fail-ratio", "0.05"]."""
    return Child(
        [
            sys.executable,
            "-m",
            "tests.fakes.kavenegar",
            "--port",
            str(port),
            "--api-key",
            KAVENEGAR_KEY,
            *(extra or []),
        ],
        log=log,
        port=port,
    )


def control(port: int, action: str, payload: Any = None) -> Any:
    """A fake's control endpoint, /_fake/<action>: GET, or POST of `payload` as JSON."""
    data = None if payload is None else json.dumps(payload).encode()
    request = Request(
        f"http://127.0.0.1:{port}/_fake/{action}",
        data=data,
        headers={"Content-Type": "application/json"},
    )
    with urlopen(request, timeout=30) as response:
        return json.load(response)


async def fresh_database(database_url: str) -> None:
    """Open (and migrate) the database; a PostgreSQL one is emptied first, never a SQLite file."""
    from tortoise import Tortoise
    from tortoise.transactions import in_transaction

    from bot.db import close_db, open_db

    await open_db(database_url)
    if database_url.startswith("postgres"):
        tables = [m._meta.db_table for m in Tortoise.apps["models"].values()] + ["member_interest"]
        async with in_transaction() as conn:
            await conn.execute_script(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
        await close_db()
        await open_db(database_url)


def club_env(
    database_url: str,
    *,
    bot_api_port: int | None = None,
    kavenegar_port: int | None = None,
    **extra: str,
) -> dict[str, str]:
    """The environment `club run` reads: the database, and the fakes in place of the real
    services."""
    env = {"DATABASE_URL": database_url, **extra}
    if bot_api_port is not None:
        env |= {"BOT_TOKEN": DEFAULT_TOKEN, "TELEGRAM_API_BASE": f"http://127.0.0.1:{bot_api_port}"}
    if kavenegar_port is not None:
        env |= {
            "KAVENEGAR_API_KEY": KAVENEGAR_KEY,
            "KAVENEGAR_SENDER": "10008663",
            "KAVENEGAR_API_BASE": f"http://127.0.0.1:{kavenegar_port}",
        }
    return env


def club_run(env: dict[str, str], *, log: IO[bytes] | None = None) -> Child:
    """`club run` as an owner starts it; readiness is for the caller to watch (e.g. getUpdates)."""
    return Child([sys.executable, "-m", "bot.cli", "run"], env=env, log=log)
