"""Small builders for tests: a member, a reward, the club's rules."""

from __future__ import annotations

import socket
from datetime import datetime
from itertools import count

from loyalty.members import register_member
from models import ClubRules, Member, Reward

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
