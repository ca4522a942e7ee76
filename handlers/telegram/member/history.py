"""The member's ledger, newest first, a page at a time."""

from __future__ import annotations

from typing import Any

from aiogram_dialog import Dialog, DialogManager, Window
from aiogram_dialog.widgets.text import Format

from handlers.format import day, number, signed
from handlers.i18n import N_, t
from handlers.telegram.member.common import current_member
from handlers.telegram.member.states import HistorySG
from handlers.telegram.widgets import (
    PAGE_SIZE,
    Tr,
    buttons_only,
    esc,
    leave,
    locale_of,
    page_of,
    pager,
    settle_page,
)
from handlers.texts import reason_text
from loyalty import ledger


async def history_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    locale = locale_of(dialog_manager)
    tz = dialog_manager.middleware_data.get("tz")
    member = await current_member(dialog_manager)
    shown = ledger.HistoryPage([], 0, 1)
    if member is not None:
        shown = await ledger.history_page(
            member.id, await page_of(dialog_manager, "entries"), PAGE_SIZE
        )
    await settle_page(dialog_manager, "entries", shown.page)
    rows = [
        f"{day(e.created_at, locale, tz)}  {signed(e.amount, locale)}  "
        f"{esc(reason_text(e.reason, e.note, locale))}"
        for e in shown.entries
    ]
    return {
        "rows": "\n".join(rows) if rows else t(N_("No points yet."), locale),
        "page": number(shown.page + 1, locale),
        "pages": number(shown.pages, locale),
        "page_count": shown.pages,
    }


def dialog() -> Dialog:
    """A fresh dialog: a router can belong to one dispatcher only."""
    return Dialog(
        Window(
            Tr(N_("Your history (page {page} of {pages}):")),
            Format("{rows}"),
            *pager("entries", N_("◀ Newer"), N_("Older ▶")),
            leave(),
            buttons_only(),
            getter=history_getter,
            state=HistorySG.page,
        ),
    )
