"""Members' imports started from the owner's panel: the file's valid rows are written in
the background by `importing.import_records` (as `/import` writes them), its progress and
its bad rows kept in an `ImportJob` row, so the result outlives the page and a restart.

An import stopped by a restart stays `running` in its row, and its heartbeat (`beat_at`,
written with every chunk) stops: after SILENT it is shown as interrupted, whichever
process or worker serves the page, and the same file imported again goes on where it
stopped (the members written before are skipped as already in the club).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime, timedelta

from loyalty import importing
from loyalty.errors import ErrorCode
from loyalty.staff.permissions import Action, require
from models import ImportJob, Staff

log = logging.getLogger("club.imports")

RUNNING, DONE, FAILED, INTERRUPTED = "running", "done", "failed", "interrupted"
# A chunk of rows takes milliseconds; a running import silent this long is not running.
SILENT = timedelta(seconds=60)
# The running imports' tasks: the event loop keeps only a weak reference to a task.
_tasks: set[asyncio.Task[None]] = set()


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
        beat_at=now,
    )
    task = asyncio.create_task(_run(job.id, records, staff.id, now, clock))
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)
    return job


async def _run(
    job_id: int,
    records: list[importing.ImportRecord],
    staff_id: int,
    now: datetime,
    clock: Callable[[], datetime],
) -> None:
    async def progress(summary: importing.ImportSummary) -> None:
        await ImportJob.filter(id=job_id).update(
            created=summary.created, skipped=summary.skipped, beat_at=clock()
        )

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


def state_of(job: ImportJob, now: datetime) -> str:
    """RUNNING, DONE, FAILED, or INTERRUPTED: running, and silent for SILENT."""
    if job.state == RUNNING and job.beat_at + SILENT < now:
        return INTERRUPTED
    return job.state
