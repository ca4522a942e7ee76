"""Members imported from a CSV file uploaded in the owner's panel: the file is read and
checked as `/import` reads it, its valid rows written in the background
(`loyalty.staff.imports`), and a page that reloads itself shows how far it has gone."""

from __future__ import annotations

from aiohttp import BodyPartReader, web

from handlers.format import digits, number
from handlers.i18n import N_, t
from handlers.telegram.staff.importing import MAX_FILE
from handlers.telegram.staff.texts import row_error_text
from handlers.texts import error_text, tier_names
from handlers.web.app import PAGES, PREFIX, checked_form
from loyalty import importing
from loyalty.errors import LoyaltyError
from loyalty.staff import imports
from loyalty.staff.permissions import Action, allowed
from models import Staff, Tier

MAX_ERRORS_SHOWN = 100
MAX_FIELD = 256
REFRESH_SECONDS = 2
OWNER_ONLY = N_("Only the owner can import members.")


def add_import_routes(pages: web.Application) -> None:
    pages.router.add_get("/panel/import", import_page)
    pages.router.add_post("/panel/import", upload)
    pages.router.add_get("/panel/import/{id:[0-9]{1,9}}", progress_page)


async def _owner(request: web.Request) -> tuple[Staff, web.Response | None]:
    from handlers.web.panel import _refused, _staff  # it registers these routes

    staff = await _staff(request)
    if not allowed(staff, Action.IMPORT):
        return staff, await _refused(request, 403, OWNER_ONLY)
    return staff, None


async def import_page(
    request: web.Request, *, message: str = "", status: int = 200
) -> web.Response:
    from handlers.web.panel import _page_of

    staff, refused = await _owner(request)
    if refused is not None:
        return refused
    return await _page_of(request, staff, "panel_import.html", status=status, message=message)


async def _read_upload(request: web.Request) -> tuple[dict[str, str], bytes | None]:
    """The form's text fields, and the file (None when larger than MAX_FILE): read part by
    part, so a file is held once and never beyond the limit."""
    fields: dict[str, str] = {}
    data = b""
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            continue
        if part.name == "file":
            read = await _bounded(part, MAX_FILE)
            if read is None:
                return fields, None
            data = read
        elif part.name:  # the form's only other field is the CSRF token
            value = await _bounded(part, MAX_FIELD)
            fields[part.name] = value.decode("utf-8", "replace") if value is not None else ""
    return fields, data


async def _bounded(part: BodyPartReader, limit: int) -> bytes | None:
    """A part's bytes, or None when it has more than `limit`."""
    chunks, size = [], 0
    while chunk := await part.read_chunk():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def upload(request: web.Request) -> web.Response:
    from handlers.web.panel import _locale

    pages = request.app[PAGES]
    if not (request.content_type or "").startswith("multipart/"):
        checked_form(request, {})  # not our form: refused as any form without its token
    fields, data = await _read_upload(request)
    checked_form(request, fields)
    staff, refused = await _owner(request)
    if refused is not None:
        return refused
    locale = _locale(request)  # the staff member's, now they are known
    if data is None:
        return await import_page(
            request, message=t(N_("The file is too large."), locale), status=413
        )
    if not data:
        text = t(N_("Choose the CSV file to import."), locale)
        return await import_page(request, message=text, status=400)
    now = pages.clock()
    try:
        text = importing.decode_csv(data)
    except LoyaltyError as bad:
        return await import_page(request, message=error_text(bad, locale), status=400)
    tiers = await Tier.all().values_list("code", "name")
    records, errors = importing.parse_csv(
        text,
        [code for code, _ in tiers],
        today=now.astimezone(pages.tz).date(),
        tier_names=tier_names(tiers),
    )
    job = await imports.start(staff, records, errors, clock=pages.clock)
    raise web.HTTPSeeOther(f"{PREFIX}/panel/import/{job.id}")


STATES = {
    imports.RUNNING: N_("Importing…"),
    imports.DONE: N_("The import is done."),
    imports.FAILED: N_("The import stopped with an error. Import the same file again to go on."),
    imports.INTERRUPTED: N_(
        "The import was interrupted by a restart. Import the same file again to go on."
    ),
}


async def progress_page(request: web.Request) -> web.Response:
    from handlers.web.panel import _locale, _page_of, _refused

    pages = request.app[PAGES]
    locale = _locale(request)
    staff, refused = await _owner(request)
    if refused is not None:
        return refused
    job = await imports.job_for(staff, int(request.match_info["id"]))
    if job is None:
        return await _refused(request, 404, N_("There is no such import."))
    state = imports.state_of(job, pages.clock())
    errors = imports.row_errors(job)
    done = job.created + job.skipped
    return await _page_of(
        request,
        staff,
        "panel_import_progress.html",
        refresh=REFRESH_SECONDS if state == imports.RUNNING else None,
        state=state,
        state_text=t(STATES[state], locale),
        done=done,
        total=job.total,
        rows_text=t(
            "Rows written: {done} of {total}",
            locale,
            done=number(done, locale),
            total=number(job.total, locale),
        ),
        created=number(job.created, locale),
        skipped=number(job.skipped, locale),
        bad=number(len({e.line for e in errors}), locale),
        # The line numbers in the reader's digits, as every number on the page.
        errors=[digits(row_error_text(e, locale), locale) for e in errors[:MAX_ERRORS_SHOWN]],
    )
