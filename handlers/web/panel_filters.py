"""The member list's filters beyond tier and branch (customer type, interest, activity),
and the export of the filtered list as the spreadsheet `/export` sends in the bot."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from aiohttp import web

from handlers.i18n import N_, t
from handlers.web.app import PAGES
from loyalty.errors import LoyaltyError
from loyalty.staff import panel
from models import CustomerType, ProductGroup

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TYPE_NAMES = {CustomerType.INDIVIDUAL: N_("Individual"), CustomerType.COMPANY: N_("Company")}
ACTIVITY_NAMES = {
    "active_30": N_("Bought in the last 30 days"),
    "active_90": N_("Bought in the last 90 days"),
    "inactive_90": N_("No purchase in 90 days"),
}


def add_filter_routes(pages: web.Application) -> None:
    pages.router.add_get("/panel/members/export", export)


async def filter_choices(wanted: panel.MemberFilter, locale: str) -> dict[str, Any]:
    """The options of the list's extra filters, and which are chosen."""
    groups = await ProductGroup.all().order_by("name")
    return {
        "types": [(kind.value, t(name, locale)) for kind, name in TYPE_NAMES.items()],
        "type": wanted.customer_type,
        "interests": [(g.id, g.name) for g in groups],
        "interest_id": wanted.interest_id,
        "activities": [(key, t(name, locale)) for key, name in ACTIVITY_NAMES.items()],
        "activity": wanted.activity,
    }


def filter_address(wanted: panel.MemberFilter, sort: str) -> str:
    """The filters as an address's query, for the pager's and the export's links."""
    shown = {
        "q": wanted.query,
        "tier": wanted.tier_id,
        "branch": wanted.branch_id,
        "type": wanted.customer_type,
        "interest": wanted.interest_id,
        "activity": wanted.activity,
        "sort": sort,
    }
    return urlencode({k: v for k, v in shown.items() if v not in (None, "")})


@dataclass(frozen=True)
class _SheetSettings:
    """What the spreadsheet reads of the bot's settings: the club's time zone."""

    owner_ids: tuple[int, ...]
    default_locale: str
    tz: ZoneInfo


async def export(request: web.Request) -> web.StreamResponse:
    # The bot's spreadsheet code, loaded when an export is asked for (openpyxl is heavy).
    from handlers.telegram.staff.figures import members_xlsx
    from handlers.web.panel import _locale, _refused, _staff, member_filter

    pages = request.app[PAGES]
    staff = await _staff(request)
    locale = _locale(request)
    try:
        rows = panel.export_members(staff, member_filter(request), now=pages.clock())
    except LoyaltyError:
        return await _refused(request, 403, N_("This page is for managers and the owner."))
    settings = _SheetSettings((), locale, pages.tz)
    data, _ = await members_xlsx(rows, locale, settings)
    return web.Response(
        body=data,
        content_type=XLSX,
        headers={"Content-Disposition": 'attachment; filename="members.xlsx"'},
    )
