"""Who holds a claim, and when the holder is dead so that its claims are free at once.

Every process that claims work (outbox rows, the jobs lease) has an identity, new at each
start (host, pid and a random token, so a reused pid is never mistaken for an older
process), and a row in `club_process` that it renews: its heartbeat. A claim records its
holder's identity, and is free as soon as the holder is known dead:
- its heartbeat lapsed (`expires_at` passed: a process on another machine that stopped), or
- it ran on this machine, in this pid namespace, and its pid no longer runs or now names
  another process (the pid's start time differs). A process marks such rows lapsed when
  it starts and at every beat, so after a kill -9 the restarted process resumes the dead
  one's work at once, without waiting out any timeout.
A live holder's claims still wait, until they lapse as before.

Dead is final: a process never renews a lapsed row (one that stalled past the lapse goes
on under a new identity, since others may have taken its claims), and rows are marked
lapsed rather than deleted. So a claim statement that judges a holder dead by
`dead_holder` is never wrong about it later, and a process that registered after the
statement began is not in its view at all, so it counts as alive: two processes never
both take a row. A missing row is not treated as dead: it could be one not yet visible.

Lapses are judged by the judge's clock, as the jobs lease always was: the time to live
must exceed the clock skew between machines.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from models import ClubProcess

log = logging.getLogger("club.liveness")

TTL = timedelta(seconds=60)  # a heartbeat older than this is dead
EVERY = timedelta(seconds=10)  # `ensure` beats when the last beat is older than this
KEEP = timedelta(days=1)  # dead rows older than this are deleted: every claim lapses sooner


def pid_space() -> str:
    """Where a pid names one process (this boot of the machine, this pid namespace); "" unknown."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        return ""
    return f"{boot}/{namespace}"


def pid_started(pid: int) -> int | None:
    """When process `pid` started, in clock ticks after boot; None if /proc does not show it."""
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None


def running(pid: int, started: int) -> bool:
    """Whether the process that started as `pid` at `started` still runs (in this pid space)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        try:
            os.kill(pid, 0)  # /proc can hide other users' processes: ask the kernel
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    return stat[0] not in ("Z", "X") and int(stat[19]) == started  # a zombie is dead


@dataclass(frozen=True)
class Place:
    """Where a process runs: the host, its pid space, its pid and that pid's start."""

    host: str
    pid_space: str
    pid: int
    pid_started: int

    @classmethod
    def here(cls) -> Place:
        pid = os.getpid()
        return cls(socket.gethostname()[:60], pid_space(), pid, pid_started(pid) or 0)


class Heartbeat:
    """This process's identity and its `club_process` row. Claim nothing before `ensure`."""

    def __init__(
        self, place: Place | None = None, *, ttl: timedelta = TTL, every: timedelta = EVERY
    ) -> None:
        self.place = place or Place.here()
        self.ttl, self.every = ttl, every
        self.id = self._new_id()
        self._until: datetime | None = None  # the expiry this process wrote last

    def _new_id(self) -> str:
        return f"{self.place.host}:{self.place.pid}:{uuid.uuid4().hex[:12]}"

    async def ensure(self, now: datetime) -> None:
        """Beat unless the last beat is recent: one comparison on the way to every claim."""
        if self._until is None or self._until - now < self.ttl - self.every:
            await self.beat(now)

    async def beat(self, now: datetime) -> None:
        """Renew this process's row, then mark lapsed the rows of processes here that are gone."""
        until = now + self.ttl
        renewed = self._until is not None and await ClubProcess.filter(
            id=self.id, expires_at__gt=now
        ).update(expires_at=until)
        if not renewed:
            if self._until is not None:
                log.warning("heartbeat of %s had lapsed: going on under a new identity", self.id)
                self.id = self._new_id()
            await self._register(now, until)
        self._until = until
        await self._mark_gone(now)

    async def _register(self, now: datetime, until: datetime) -> None:
        place = self.place
        await ClubProcess.create(
            id=self.id,
            host=place.host,
            pid_space=place.pid_space,
            pid=place.pid,
            pid_started=place.pid_started,
            started_at=now,
            expires_at=until,
        )
        await ClubProcess.filter(expires_at__lt=now - KEEP).delete()

    async def _mark_gone(self, now: datetime) -> None:
        if not self.place.pid_space:
            return  # no way to tell here whether a pid runs: heartbeats alone decide
        rows = (
            await ClubProcess.filter(pid_space=self.place.pid_space, expires_at__gt=now)
            .exclude(id=self.id)
            .values_list("id", "pid", "pid_started")
        )
        gone = [holder for holder, pid, started in rows if not running(pid, started)]
        if gone:
            await ClubProcess.filter(id__in=gone, expires_at__gt=now).update(expires_at=now)
            log.warning("processes gone, their claims are free: %s", ", ".join(gone))

    async def stop(self, now: datetime) -> None:
        """Mark this process dead: what it still holds is free at once (a clean shutdown)."""
        if self._until is not None:
            await ClubProcess.filter(id=self.id, expires_at__gt=now).update(expires_at=now)
            self._until, self.id = None, self._new_id()  # were it to claim again: as a new process
