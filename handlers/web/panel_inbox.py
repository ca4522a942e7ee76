"""The panel's inbox: the members' open messages and feedback as `/inbox` lists them, one
of them opened, and the answer, which reaches the member as `/reply` sends it
(`loyalty.staff.inbox.answer`: by Telegram when they can be reached there, else by SMS).
"""

from __future__ import annotations

from aiohttp import web

from handlers.format import digits, moment, number
from handlers.i18n import N_, t
from handlers.telegram.staff.texts import staff_error_text
from handlers.web.app import PAGES, PREFIX, checked_form
from handlers.web.panel import _locale, _page_of, _refused, _staff
from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.inbox import MAX_TEXT
from loyalty.staff import inbox
from loyalty.staff.permissions import Action, allowed
from models import InboxItem, InboxKind, Staff

SHOWN = 50  # open messages listed, the oldest first
SHORT = 80  # characters of a message in the list
INBOX_ONLY = N_("Not allowed.")


def add_inbox_routes(pages: web.Application) -> None:
    pages.router.add_get("/panel/inbox", inbox_page)
    pages.router.add_get("/panel/inbox/{id:[0-9]{1,9}}", item_page)
    pages.router.add_post("/panel/inbox/{id:[0-9]{1,9}}/reply", reply)


async def _inbox_staff(request: web.Request) -> Staff | web.Response:
    staff = await _staff(request)
    if not allowed(staff, Action.INBOX):
        return await _refused(request, 403, INBOX_ONLY)
    return staff


def _who(item: InboxItem) -> str:
    member = item.member
    return f"{member.first_name} {member.last_name}".strip() or member.phone or "-"


def _rating(item: InboxItem, locale: str) -> str:
    if item.kind is InboxKind.FEEDBACK and item.rating is not None:
        return t("rating {rating} of 5", locale, rating=number(item.rating, locale))
    return ""


def _short(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= SHORT else line[: SHORT - 1] + "…"


async def inbox_page(request: web.Request) -> web.Response:
    pages = request.app[PAGES]
    staff = await _inbox_staff(request)
    if isinstance(staff, web.Response):
        return staff
    locale = _locale(request)
    answered = request.query.get("answered", "")
    message = ""
    if answered.isascii() and answered.isdigit() and len(answered) < 10:
        message = t("Answer to #{id} sent to the member.", locale, id=digits(answered, locale))
    items = await inbox.inbox(staff, SHOWN)
    return await _page_of(
        request,
        staff,
        "panel_inbox.html",
        message=message,
        rows=[
            {
                "id": item.id,
                "ident": digits(str(item.id), locale),
                "when": moment(item.created_at, locale, pages.tz),
                "who": _who(item),
                "rating": _rating(item, locale),
                "text": _short(item.text),
            }
            for item in items
        ],
    )


async def item_page(
    request: web.Request, *, message: str = "", status: int = 200, typed: str = ""
) -> web.Response:
    pages = request.app[PAGES]
    staff = await _inbox_staff(request)
    if isinstance(staff, web.Response):
        return staff
    locale = _locale(request)
    try:
        item = await inbox.item(staff, int(request.match_info["id"]))
    except LoyaltyError as refused:
        return await _refused(request, 404, staff_error_text(refused, locale))
    return await _page_of(
        request,
        staff,
        "panel_inbox_item.html",
        status=status,
        message=message,
        item_id=item.id,
        ident=digits(str(item.id), locale),
        when=moment(item.created_at, locale, pages.tz),
        who=_who(item),
        phone=digits(item.member.phone or "-", locale),
        rating=_rating(item, locale),
        text=item.text,
        answer=item.answer,
        answered=moment(item.answered_at, locale, pages.tz) if item.answered_at else "",
        may_member=allowed(staff, Action.PANEL_MEMBERS),
        member_id=item.member_id,
        typed=typed,
        max_text=MAX_TEXT,
    )


async def reply(request: web.Request) -> web.Response:
    pages = request.app[PAGES]
    form = await request.post()
    checked_form(request, form)
    staff = await _inbox_staff(request)
    if isinstance(staff, web.Response):
        return staff
    locale = _locale(request)
    item_id = int(request.match_info["id"])
    text = str(form.get("text", ""))
    try:
        await inbox.answer(staff, item_id, text, now=pages.clock())
    except LoyaltyError as refused:
        if refused.code is ErrorCode.INBOX_NOT_FOUND:
            return await _refused(request, 404, staff_error_text(refused, locale))
        if refused.code is ErrorCode.ALREADY_ANSWERED and await _same_answer(staff, item_id, text):
            pass  # the same answer posted twice (a double click): sent once, say so again
        else:
            return await item_page(
                request, message=staff_error_text(refused, locale), status=400, typed=text
            )
    raise web.HTTPSeeOther(f"{PREFIX}/panel/inbox?answered={item_id}")


async def _same_answer(staff: Staff, item_id: int, text: str) -> bool:
    return await InboxItem.exists(id=item_id, answered_by_id=staff.id, answer=text.strip())
