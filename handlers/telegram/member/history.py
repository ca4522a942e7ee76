"""The member's ledger, newest first, a page at a time."""

from __future__ import annotations

from typing import Any

from aiogram_dialog import Dialog, DialogManager, Window
from aiogram_dialog.widgets.kbd import Button, Cancel, Row
from aiogram_dialog.widgets.text import Format

from handlers.format import day, number, signed
from handlers.i18n import N_, t
from handlers.telegram.member.common import (
    PAGE_SIZE,
    Tr,
    buttons_only,
    current_member,
    esc,
    locale_of,
    on_next,
    on_prev,
)
from handlers.telegram.member.states import HistorySG
from handlers.texts import reason_text
from loyalty import ledger


async def history_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    locale = locale_of(dialog_manager)
    tz = dialog_manager.middleware_data.get("tz")
    member = await current_member(dialog_manager)
    shown = ledger.HistoryPage([], 0, 1)
    if member is not None:
        shown = await ledger.history_page(
            member.id, dialog_manager.dialog_data.get("page", 0), PAGE_SIZE
        )
    rows = [
        f"{day(e.created_at, locale, tz)}  {signed(e.amount, locale)}  "
        f"{esc(reason_text(e.reason, e.note, locale))}"
        for e in shown.entries
    ]
    return {
        "rows": "\n".join(rows) if rows else t(N_("No points yet."), locale),
        "page": number(shown.page + 1, locale),
        "pages": number(shown.pages, locale),
        "has_prev": shown.page > 0,
        "has_next": shown.page < shown.pages - 1,
    }


def dialog() -> Dialog:
    """A fresh dialog: a router can belong to one dispatcher only."""
    return Dialog(
        Window(
            Tr(N_("Your history (page {page} of {pages}):")),
            Format("{rows}"),
            Row(
                Button(Tr(N_("◀ Newer")), id="prev", on_click=on_prev, when="has_prev"),
                Button(Tr(N_("Older ▶")), id="next", on_click=on_next, when="has_next"),
            ),
            Cancel(Tr(N_("Back"))),
            buttons_only(),
            getter=history_getter,
            state=HistorySG.page,
        ),
    )
