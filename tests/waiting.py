"""Waiting in tests: for a condition, up to a deadline generous enough for a busy machine.

A test never waits a fixed number of loop turns or a fixed short time for work done
elsewhere (a background task, a batch written every 50 ms, a child process): on a shared
2-core machine either can pass before that work has run. It waits for an event, or asks
again and again until the condition holds, failing only after DEADLINE.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

# A limit, never a measure: starting a child `club run` takes seconds of CPU, many more
# while other work shares the cores. Only a broken test ever waits this long.
DEADLINE = 120.0


async def eventually(
    check: Callable[[], T | Awaitable[T]],
    what: str | Callable[[], str],
    *,
    deadline: float = DEADLINE,
    every: float = 0.01,
) -> T:
    """The first true value of `check()` (a function or a coroutine function), asked every
    `every` seconds; AssertionError naming `what` after `deadline` seconds.

    `what` may be a function, called only on failure (for a log to read at that moment).
    """
    loop = asyncio.get_running_loop()
    end = loop.time() + deadline
    while True:
        value = check()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value  # type: ignore[return-value]
        if loop.time() >= end:
            described = what() if callable(what) else what
            raise AssertionError(f"waited {deadline:.0f} s in vain for {described}")
        await asyncio.sleep(every)
