"""The club's running processes, as the holders of claims and leases."""

from __future__ import annotations

from datetime import datetime

from models.jobs import JobLease
from models.statements import Statement, db_value


def dead_holder(column: str) -> str:
    """SQL: the holder named in `column` is dead; one parameter, the judge's time now."""
    return f"{column} IN (SELECT id FROM club_process WHERE expires_at <= ?)"


# Free: ours already, expired, or held by a dead process.
_take = Statement(
    JobLease,
    "UPDATE job_lease SET holder = ?, expires_at = ? WHERE name = ?"
    f" AND (holder = ? OR expires_at <= ? OR {dead_holder('holder')}) RETURNING name",
)


async def take_lease(name: str, holder: str, now: datetime, until: datetime) -> bool:
    """Hold the lease `name` until `until` if it is free or `holder`'s; False if its row is
    missing or another live holder has it."""
    at_now, at_until = (db_value(JobLease, "expires_at", at) for at in (now, until))
    return bool(await _take.rows(holder, at_until, name, holder, at_now, at_now))
