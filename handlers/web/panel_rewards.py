"""The rewards page of the panel, `/club/panel/rewards`: the rewards a manager or the owner
may change (`loyalty.staff.catalogue`, as `/rewards` in the bot), a form to add one, and for
each its name, cost, stock and picture, or withdrawing it.

A refused value is named beside its field and nothing changes; a picture is checked and
re-encoded (loyalty/pictures.py) and stored before the reward names it.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

from aiohttp import web

from handlers.format import number
from handlers.i18n import N_, t
from handlers.web.app import PAGES, PREFIX
from handlers.web.media import media_url
from handlers.web.panel import _page_of, _refused, _staff
from handlers.web.panel_requests import fresh_key, request_key_of
from handlers.web.panel_settings import refusal
from handlers.web.uploads import Posted, checked_upload
from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.pictures import Picture, prepare
from loyalty.staff.catalogue import (
    RewardSpec,
    manageable_rewards,
    reward_spec,
    save_reward,
    withdraw_reward,
)
from loyalty.staff.limits import parse_number
from loyalty.staff.look import set_reward_picture
from loyalty.staff.permissions import Action, allowed
from models import Reward, Staff

MANAGERS_ONLY = N_("This page is for managers and the owner.")
NEW = "new"  # the add form's errors, beside the rewards' own (by id)


def add_rewards_panel_routes(pages: web.Application) -> None:
    pages.router.add_get("/panel/rewards", rewards_page)
    pages.router.add_post("/panel/rewards", add)
    pages.router.add_post("/panel/rewards/{id:[0-9]{1,9}}", edit)
    pages.router.add_post("/panel/rewards/{id:[0-9]{1,9}}/withdraw", withdraw)


async def _manager(request: web.Request) -> Staff | web.Response:
    staff = await _staff(request)
    if not allowed(staff, Action.REWARDS):
        return await _refused(request, 403, MANAGERS_ONLY)
    return staff


def _typed(reward: Reward) -> dict[str, str]:
    return {
        "name": reward.name,
        "cost": str(reward.cost),
        "stock": "" if reward.stock is None else str(reward.stock),
    }


async def rewards_page(
    request: web.Request,
    *,
    form: str = "",
    typed: dict[str, str] | None = None,
    errors: dict[str, LoyaltyError] | None = None,
) -> web.Response:
    """The rewards; `form` (a reward's id or NEW) shown again as typed, with its refusals."""
    staff = await _manager(request)
    if isinstance(staff, web.Response):
        return staff
    locale = request.app[PAGES].default_locale
    errors = errors or {}

    def shown(key: str, values: dict[str, str]) -> dict[str, Any]:
        return {
            "value": values.get(key, ""),
            "error": refusal(errors[key], locale) if key in errors else "",
        }

    def fields(ident: str, current: dict[str, str]) -> dict[str, Any]:
        values = typed if form == ident and typed is not None else current
        own = form == ident
        return {
            key: shown(key, values) if own else {"value": values.get(key, ""), "error": ""}
            for key in ("name", "cost", "stock")
        } | {
            key: {"error": refusal(errors[key], locale) if own and key in errors else ""}
            for key in ("picture", "form")
        }

    rows = [
        {
            "id": r.id,
            "cost": number(r.cost, locale),
            "picture": media_url(r.picture),
            "fields": fields(str(r.id), _typed(r)),
        }
        for r in await manageable_rewards(staff)
    ]
    done = request.query.get("done", "")
    return await _page_of(
        request,
        staff,
        "panel_rewards.html",
        status=400 if errors else 200,
        message=t(N_("Rewards saved."), locale) if done == "1" and not errors else "",
        rows=rows,
        request_key=fresh_key(),
        new=fields(NEW, {"name": "", "cost": "", "stock": ""}),
    )


async def _checked(
    posted: Posted, spec: RewardSpec
) -> tuple[RewardSpec, Picture | None, dict[str, LoyaltyError]]:
    """The form's reward and picture, or its refusals by field."""
    errors = dict(posted.refused)  # a picture over its size
    name = posted.fields.get("name", "")
    cost: int | None = None
    stock: int | None = None
    try:
        cost = int(parse_number(posted.fields.get("cost", ""), "cost"))
    except LoyaltyError as refused:
        errors["cost"] = refused
    stock_text = posted.fields.get("stock", "").strip()
    try:
        stock = int(parse_number(stock_text, "stock")) if stock_text else None
    except LoyaltyError as refused:
        errors["stock"] = refused
    picture = None
    if "picture" in posted.files and "picture" not in errors:
        try:  # decoding a large picture takes a while: not on the event loop
            picture = await asyncio.to_thread(prepare, posted.files["picture"])
        except LoyaltyError as refused:
            errors["picture"] = refused
    spec = replace(spec, name=name, cost=spec.cost if cost is None else cost, stock=stock)
    return spec, picture, errors


async def _saved(
    request: web.Request, staff: Staff, spec: RewardSpec, reward_id: int | None, posted: Posted
) -> web.Response:
    form = NEW if reward_id is None else str(reward_id)
    spec, picture, errors = await _checked(posted, spec)
    if not errors:
        try:
            key = request_key_of(posted.fields) if reward_id is None else None
            reward = await save_reward(
                staff,
                spec,
                reward_id,
                now=request.app[PAGES].clock(),
                request=f"panel:{staff.id}:{key}" if key else None,  # posted twice: one
            )
        except LoyaltyError as refused:
            if refused.code is ErrorCode.NOT_ALLOWED:  # a reward of another branch
                return await _refused(request, 403, MANAGERS_ONLY)
            errors["name" if refused.code is ErrorCode.INVALID_NAME else "form"] = refused
    if errors:
        return await rewards_page(request, form=form, typed=posted.fields, errors=errors)
    name: str | None = reward.picture
    if picture is not None:
        name = await asyncio.to_thread(request.app[PAGES].pictures.save, picture)
    elif posted.fields.get("picture_remove") == "1":
        name = None
    if name != reward.picture:
        await set_reward_picture(staff, reward.id, name, now=request.app[PAGES].clock())
    raise web.HTTPSeeOther(f"{PREFIX}/panel/rewards?done=1#reward-{reward.id}")


async def add(request: web.Request) -> web.Response:
    posted = await checked_upload(request)
    staff = await _manager(request)
    if isinstance(staff, web.Response):
        return staff
    return await _saved(request, staff, RewardSpec(name="", cost=1), None, posted)


async def edit(request: web.Request) -> web.Response:
    posted = await checked_upload(request)
    staff = await _manager(request)
    if isinstance(staff, web.Response):
        return staff
    reward = await Reward.get_or_none(id=int(request.match_info["id"]), active=True)
    if reward is None:
        raise web.HTTPSeeOther(f"{PREFIX}/panel/rewards")
    return await _saved(request, staff, reward_spec(reward), reward.id, posted)


async def withdraw(request: web.Request) -> web.Response:
    await checked_upload(request)
    staff = await _manager(request)
    if isinstance(staff, web.Response):
        return staff
    try:
        await withdraw_reward(staff, int(request.match_info["id"]), now=request.app[PAGES].clock())
    except LoyaltyError as refused:
        if refused.code is ErrorCode.NOT_ALLOWED:
            return await _refused(request, 403, MANAGERS_ONLY)
    raise web.HTTPSeeOther(f"{PREFIX}/panel/rewards?done=1")
