"""Small builders for tests: a member, a reward, the club's rules."""

from __future__ import annotations

import asyncio
import socket
from datetime import datetime
from itertools import count
from typing import TYPE_CHECKING

from loyalty.members import register_member
from models import ClubRules, Member, Reward
from tests.waiting import eventually

if TYPE_CHECKING:
    import asyncpg

_phones = count(1000000)


def next_phone() -> str:
    return f"0912{next(_phones):07d}"


async def member(now: datetime, **kwargs: object) -> Member:
    result = await register_member(kwargs.pop("phone", None) or next_phone(), now=now, **kwargs)  # type: ignore[arg-type]
    return result.member


async def set_rules(**values: object) -> None:
    await ClubRules.filter(id=1).update(**values)


async def reward(cost: int, **kwargs: object) -> Reward:
    return await Reward.create(name=kwargs.pop("name", f"Reward {cost}"), cost=cost, **kwargs)


def free_port() -> int:
    """A loopback port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_for_workers() -> socket.socket:
    """A loopback port held for processes that bind it with SO_REUSEPORT, as the workers of
    `club run --workers N` do: bound here and never listening, so no connection comes here
    and nothing else can take the port between choosing it and the workers binding it.
    Close the socket when the workers have stopped."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


async def waiting_for_lock(holder: asyncpg.Connection, task: asyncio.Task[object]) -> None:
    """Return once `task`'s session waits for a lock that `holder` (another connection, as
    another process) holds; fail if `task` ends first, for then it did not wait.

    Asks PostgreSQL who is blocked by `holder`'s session, not whether anyone waits for a
    lock: other tests' databases share the server.
    """
    pid = holder.get_server_pid()

    async def blocked() -> bool:
        assert not task.done(), task  # it must wait for the other transaction
        return await holder.fetchval(
            "SELECT count(*) > 0 FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))", pid
        )

    await eventually(blocked, "a transaction waiting for the lock held elsewhere")
