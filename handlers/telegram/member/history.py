"""The member's ledger, newest first, a page at a time."""

from __future__ import annotations

from typing import Any

from aiogram_dialog import Dialog, DialogManager, Window
from aiogram_dialog.widgets.kbd import Button, Cancel, Row
from aiogram_dialog.widgets.text import Format

from handlers.format import day, number, signed
from handlers.i18n import N_, t
from handlers.telegram.member.common import PAGE_SIZE, on_next, on_prev, Tr, buttons_only, current_member, esc, locale_of
from handlers.telegram.member.states import HistorySG
from handlers.texts import reason_text
from loyalty import ledger


async def history_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    locale = locale_of(dialog_manager)
    tz = dialog_manager.middleware_data.get("tz")
    member = await current_member(dialog_manager)
    page = dialog_manager.dialog_data.get("page", 0)
    total = await ledger.count_entries(member.id) if member else 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(page, pages - 1)
    entries = await ledger.history(member.id, offset=page * PAGE_SIZE, limit=PAGE_SIZE) if member else []
    rows = [
        f"{day(e.created_at, locale, tz)}  {signed(e.amount, locale)}  {esc(reason_text(e.reason, e.note, locale))}"
        for e in entries
    ]
    return {
        "rows": "\n".join(rows) if rows else t(N_("No points yet."), locale),
        "page": number(page + 1, locale),
        "pages": number(pages, locale),
        "has_prev": page > 0,
        "has_next": page < pages - 1,
    }


def dialog() -> Dialog:
    """A fresh dialog: a router can belong to one dispatcher only."""
    return Dialog(
        Window(
            Tr(N_("Your history (page {page} of {pages}):")),
            Format("{rows}"),
            Row(Button(Tr(N_("◀ Newer")), id="prev", on_click=on_prev, when="has_prev"),
                Button(Tr(N_("Older ▶")), id="next", on_click=on_next, when="has_next")),
            Cancel(Tr(N_("Back"))),
            buttons_only(),
            getter=history_getter,
            state=HistorySG.page,
        ),
    )
