"""Branches and product groups in the owner's panel, through what the bot's /branches and
/groups call (`loyalty.staff.places`): add, rename, close and reopen a branch and set what
members read of it (address, phone, opening hours, map link); add a product group, change
its multiplier, close it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from handlers.telegram.staff.texts import amount, staff_error_text
from handlers.texts import branch_name
from handlers.web.app import PAGES, PREFIX, checked_form
from handlers.web.panel import _locale, _page_of, _refused, _staff
from handlers.web.panel_showcase import ID, OWNER_ONLY, field, message_of
from loyalty.errors import LoyaltyError
from loyalty.staff import places
from loyalty.staff.limits import parse_number
from loyalty.staff.permissions import Action, allowed
from models import Branch, ProductGroup, Staff

Change = Callable[[Staff, web.Request, dict[str, str]], Awaitable[object]]


def add_places_routes(pages: web.Application) -> None:
    pages.router.add_get("/panel/branches", branches_page)
    pages.router.add_post("/panel/branches", add_branch)
    pages.router.add_post(f"/panel/branches/{ID}/rename", rename_branch)
    pages.router.add_post(f"/panel/branches/{ID}/open", open_branch)
    pages.router.add_post(f"/panel/branches/{ID}/details", branch_details)
    pages.router.add_get("/panel/groups", groups_page)
    pages.router.add_post("/panel/groups", set_group)
    pages.router.add_post(f"/panel/groups/{ID}/close", close_group)


# ---- branches ----------------------------------------------------------------------------------


async def branches_page(
    request: web.Request, *, message: str = "", status: int = 200
) -> web.Response:
    staff = await _staff(request)
    if not allowed(staff, Action.BRANCHES):
        return await _refused(request, 403, OWNER_ONLY)
    locale = _locale(request)
    return await _page_of(
        request,
        staff,
        "panel_branches.html",
        status=status,
        message=message_of(request, message),
        branches=[
            {
                "id": b.id,
                "name": branch_name(b.name, locale),
                "typed_name": b.name,
                "active": b.active,
                "address": b.address,
                "phone": b.phone,
                "hours": b.hours,
                "map_link": b.map_link,
            }
            for b in await Branch.all().order_by("-active", "id")
        ],
    )


async def add_branch(request: web.Request) -> web.Response:
    async def change(staff: Staff, request: web.Request, form: dict[str, str]) -> object:
        return await places.add_branch(staff, form["name"], now=request.app[PAGES].clock())

    return await _posted(request, "branches", change)


async def rename_branch(request: web.Request) -> web.Response:
    async def change(staff: Staff, request: web.Request, form: dict[str, str]) -> object:
        return await places.rename_branch(
            staff, _id(request), form["name"], now=request.app[PAGES].clock()
        )

    return await _posted(request, "branches", change)


async def open_branch(request: web.Request) -> web.Response:
    async def change(staff: Staff, request: web.Request, form: dict[str, str]) -> object:
        return await places.set_branch_open(
            staff, _id(request), form["open"] == "1", now=request.app[PAGES].clock()
        )

    return await _posted(request, "branches", change)


async def branch_details(request: web.Request) -> web.Response:
    async def change(staff: Staff, request: web.Request, form: dict[str, str]) -> object:
        return await places.set_branch_details(
            staff,
            _id(request),
            address=form["address"],
            phone=form["phone"],
            hours=form["hours"],
            map_link=form["map_link"],
            now=request.app[PAGES].clock(),
        )

    return await _posted(request, "branches", change)


# ---- product groups ----------------------------------------------------------------------------


async def groups_page(
    request: web.Request, *, message: str = "", status: int = 200
) -> web.Response:
    staff = await _staff(request)
    if not allowed(staff, Action.GROUPS):
        return await _refused(request, 403, OWNER_ONLY)
    locale = _locale(request)
    return await _page_of(
        request,
        staff,
        "panel_groups.html",
        status=status,
        message=message_of(request, message),
        groups=[
            {
                "id": g.id,
                "name": g.name,
                "multiplier": amount(g.multiplier, locale),
                "typed": amount(g.multiplier, locale),  # as the page reads it back
            }
            for g in await ProductGroup.filter(active=True).order_by("id")
        ],
    )


async def set_group(request: web.Request) -> web.Response:
    """A new group, or a group's new multiplier (the bot's `/groups set <multiplier> <name>`)."""

    async def change(staff: Staff, request: web.Request, form: dict[str, str]) -> object:
        multiplier = parse_number(form["multiplier"], "multiplier", decimal=True)
        return await places.set_group(
            staff, form["name"], multiplier, now=request.app[PAGES].clock()
        )

    return await _posted(request, "groups", change)


async def close_group(request: web.Request) -> web.Response:
    async def change(staff: Staff, request: web.Request, form: dict[str, str]) -> object:
        return await places.close_group(staff, _id(request), now=request.app[PAGES].clock())

    return await _posted(request, "groups", change)


# ---- one way to post -----------------------------------------------------------------------------

FIELDS = ("name", "open", "address", "phone", "hours", "map_link", "multiplier")
PAGE_OF = {"branches": (Action.BRANCHES, branches_page), "groups": (Action.GROUPS, groups_page)}


def _id(request: web.Request) -> int:
    return int(request.match_info["id"])


async def _posted(request: web.Request, page: str, change: Change) -> web.Response:
    """A form of the branches or groups page: checked, done through `loyalty`, then back
    to the page saying so, or the page again with the refusal in words."""
    form = await request.post()
    checked_form(request, form)
    staff = await _staff(request)
    action, shown = PAGE_OF[page]
    if not allowed(staff, action):
        return await _refused(request, 403, OWNER_ONLY)
    try:
        await change(staff, request, {name: field(form, name) for name in FIELDS})
    except LoyaltyError as refused:
        text = staff_error_text(refused, _locale(request))
        return await shown(request, message=text, status=400)
    raise web.HTTPSeeOther(f"{PREFIX}/panel/{page}?done=1")
