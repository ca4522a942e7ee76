"""Forms that carry pictures (multipart): read part by part, within limits, CSRF first.

The pages are a sub-application: aiohttp makes every request with the bot's web app's
`client_max_size` (1 MiB), which `request.post()` enforces. A picture may be up to
loyalty.pictures.MAX_BYTES, so these forms are read here chunk by chunk instead: a body
announced larger than the limit is refused before anything is read, a picture over its
limit is not kept (its field gets BAD_PICTURE), and no file is read before the form's
CSRF token has been checked (the token comes first in each form).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aiohttp import BodyPartReader, web

from handlers.i18n import N_, t
from handlers.web.app import PAGES, checked_form
from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.pictures import MAX_BYTES

MAX_FIELD = 8 * 1024  # of a text field
MAX_BODY = 2 * MAX_BYTES + 256 * 1024  # two pictures (a logo and a cover) and the text
CHUNK = 64 * 1024


@dataclass
class Posted:
    """A form's text fields, its files' bytes (those chosen), and the files refused."""

    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    refused: dict[str, LoyaltyError] = field(default_factory=dict)


async def checked_upload(request: web.Request) -> Posted:
    """The form posted, CSRF checked (403 otherwise); 413 when the body is too large."""
    if request.content_type != "multipart/form-data":
        form = await request.post()
        checked_form(request, form)
        return Posted({k: v for k, v in form.items() if isinstance(v, str)})
    if (request.content_length or 0) > MAX_BODY:
        _too_large(request)
    try:
        return await _parts(request)
    except (ValueError, RuntimeError, AssertionError):  # aiohttp's word for a broken body
        text = t(N_("This form is out of date: open the page again."), _locale(request))
        raise web.HTTPBadRequest(text=text) from None


async def _parts(request: web.Request) -> Posted:
    posted, total, checked = Posted(), 0, False
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader) or not part.name:
            continue
        if part.filename is None:
            data, total = await _read(part, MAX_FIELD, total, request)
            if data is not None:
                posted.fields.setdefault(part.name, data.decode("utf-8", "replace"))
            continue
        if not checked:
            checked_form(request, posted.fields)  # before any file is read
            checked = True
        data, total = await _read(part, MAX_BYTES, total, request)
        if data is None:
            posted.refused[part.name] = LoyaltyError(ErrorCode.BAD_PICTURE)
        elif data:  # an empty part: no file chosen
            posted.files[part.name] = data
    if not checked:
        checked_form(request, posted.fields)
    return posted


async def _read(
    part: BodyPartReader, limit: int, total: int, request: web.Request
) -> tuple[bytes | None, int]:
    """The part's bytes, or None when more than `limit` (the rest read and dropped)."""
    data: bytearray | None = bytearray()
    while chunk := await part.read_chunk(CHUNK):
        total += len(chunk)
        if total > MAX_BODY:
            _too_large(request)
        if data is not None:
            data.extend(chunk)
            if len(data) > limit:
                data = None
    return (bytes(data) if data is not None else None), total


def _locale(request: web.Request) -> str:
    return request.app[PAGES].default_locale


def _too_large(request: web.Request) -> None:
    text = t(N_("This form is too large: send pictures under 5 MB."), _locale(request))
    raise web.HTTPRequestEntityTooLarge(
        max_size=MAX_BODY, actual_size=request.content_length or 0, text=text
    )
