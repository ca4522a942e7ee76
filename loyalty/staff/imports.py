"""Members' imports started from the owner's panel: the file's valid rows are written in
the background by `importing.import_records` (as `/import` writes them), its progress and
its bad rows kept in an `ImportJob` row, so the result outlives the page and a restart.

An import stopped by a restart stays `running` in its row with no task behind it: it is
shown as interrupted, and the same file imported again goes on where it stopped (the
members written before are skipped as already in the club).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime

from loyalty import importing
from loyalty.errors import ErrorCode
from loyalty.staff.permissions import Action, require
from models import ImportJob, Staff

log = logging.getLogger("club.imports")

RUNNING, DONE, FAILED, INTERRUPTED = "running", "done", "failed", "interrupted"
# The tasks of this process, by job: a job running with none here was stopped by a restart.
_tasks: dict[int, asyncio.Task[None]] = {}


def _stored(error: importing.RowError) -> dict[str, object]:
    row = asdict(error)
    row["code"] = error.code.value
    row["values"] = {k: str(v) for k, v in error.values.items()}
    return row


def row_errors(job: ImportJob) -> list[importing.RowError]:
    """The job's bad rows, as the parser reported them."""
    return [
        importing.RowError(
            int(e["line"]), e["column"], ErrorCode(e["code"]), e["value"], dict(e["values"])
        )
        for e in job.errors
    ]


async def start(
    staff: Staff,
    records: list[importing.ImportRecord],
    errors: list[importing.RowError],
    *,
    clock: Callable[[], datetime],
) -> ImportJob:
    """A job for a parsed file, its valid `records` written from now on in the background."""
    require(staff, Action.IMPORT)
    now = clock()
    job = await ImportJob.create(
        staff=staff,
        state=RUNNING,
        total=len(records),
        errors=[_stored(e) for e in errors],
        created_at=now,
    )
    task = asyncio.create_task(_run(job.id, records, staff.id, now, clock))
    _tasks[job.id] = task
    task.add_done_callback(lambda _: _tasks.pop(job.id, None))
    return job


async def _run(
    job_id: int,
    records: list[importing.ImportRecord],
    staff_id: int,
    now: datetime,
    clock: Callable[[], datetime],
) -> None:
    async def progress(summary: importing.ImportSummary) -> None:
        await ImportJob.filter(id=job_id).update(created=summary.created, skipped=summary.skipped)

    try:
        summary = await importing.import_records(
            records, staff_id=staff_id, now=now, progress=progress
        )
    except Exception:  # the chunks committed stay; the owner sees the import failed
        log.exception("members' import %s failed", job_id)
        await ImportJob.filter(id=job_id).update(state=FAILED, finished_at=clock())
        return
    await ImportJob.filter(id=job_id).update(
        state=DONE,
        created=summary.created,
        skipped=summary.skipped,
        finished_at=clock(),
    )


async def job_for(staff: Staff, job_id: int) -> ImportJob | None:
    require(staff, Action.IMPORT)
    return await ImportJob.get_or_none(id=job_id)


def state_of(job: ImportJob) -> str:
    """RUNNING, DONE, FAILED, or INTERRUPTED: running with no task in this process."""
    if job.state == RUNNING and job.id not in _tasks:
        return INTERRUPTED
    return job.state
