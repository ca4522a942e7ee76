"""The owner's settings page, `/club/panel/settings`: the club's name, points' name, colour,
logo and cover, how members reach it, and its rules (the keys of `/settings`), in one form.

`loyalty.staff.look.save_settings` checks every value before any is saved; a refused one
is named beside its field, in the reader's language, and nothing changes. A picture is
checked and re-encoded (loyalty/pictures.py) and stored before the club's row names it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from decimal import Decimal

from aiohttp import web

from handlers.format import number, persian_digits
from handlers.i18n import N_, t
from handlers.settings_text import LOOK, RULES
from handlers.texts import CURRENCIES, error_text
from handlers.web.app import PAGES, PREFIX
from handlers.web.media import media_url
from handlers.web.panel import _page_of, _refused, _staff
from handlers.web.uploads import checked_upload
from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.phones import national
from loyalty.pictures import prepare
from loyalty.rules import get_rules
from loyalty.staff.look import PICTURES, SettingsRefused, check_settings, save_settings
from loyalty.staff.permissions import Action, allowed
from models import ClubRules

# The form's fields by section, in the order shown (the pictures come as files).
CLUB = ("name", "points_name", "colour")
CONTACT = ("phone", "address", "website", "instagram", "about")
NUMBERS = tuple(key for key in RULES if key not in ("name", "points_name", "currency"))
TEXT_FIELDS = (*CLUB, *CONTACT, "currency", *NUMBERS)
OWNER_ONLY = N_("This page is for the owner.")


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    value: str
    error: str


def add_settings_routes(pages: web.Application) -> None:
    pages.router.add_get("/panel/settings", settings_page)
    pages.router.add_post("/panel/settings", save)


def shown(rules: ClubRules, key: str) -> str:
    """A setting as its field holds it: what the owner would type."""
    value = getattr(rules, key)
    if key == "phone" and value:
        return national(value)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return "" if value is None else str(value)


def refusal(error: LoyaltyError, locale: str) -> str:
    """Why a field's value was refused, said beside the field."""
    if error.code is ErrorCode.INVALID_SETTING and "max" in error.values:
        return t(
            N_("Enter a number from {min} to {max}."),
            locale,
            min=_bound(error.values["min"], locale),
            max=_bound(error.values["max"], locale),
        )
    if error.code is ErrorCode.INVALID_SETTING:
        return t(N_("This value is not valid here."), locale)
    return error_text(error, locale)


def _bound(value: int | Decimal, locale: str) -> str:
    if isinstance(value, Decimal) and value != value.to_integral_value():
        text = format(value.normalize(), "f")
        return persian_digits(text).replace(".", "٫") if locale == "fa" else text
    return number(int(value), locale)


async def settings_page(
    request: web.Request,
    *,
    typed: dict[str, str] | None = None,
    errors: dict[str, LoyaltyError] | None = None,
) -> web.Response:
    staff = await _staff(request)
    if not allowed(staff, Action.SETTINGS):
        return await _refused(request, 403, OWNER_ONLY)
    locale = request.app[PAGES].default_locale
    rules = await get_rules()
    typed, errors = typed or {}, errors or {}

    def field(key: str) -> Field:
        label = t(RULES.get(key) or LOOK[key], locale)
        error = refusal(errors[key], locale) if key in errors else ""
        return Field(key, label, typed.get(key, shown(rules, key)), error)

    return await _page_of(
        request,
        staff,
        "panel_settings.html",
        status=400 if errors else 200,
        saved=request.query.get("saved") == "1" and not errors,
        club_fields=[field(key) for key in CLUB],
        contact_fields=[field(key) for key in CONTACT],
        number_fields=[field(key) for key in NUMBERS],
        currency=field("currency"),
        currencies=[(code, t(name, locale)) for code, name in CURRENCIES.items()],
        pictures=[
            {
                "key": key,
                "label": t(LOOK[key], locale),
                "url": media_url(getattr(rules, key)),
                "error": refusal(errors[key], locale) if key in errors else "",
            }
            for key in PICTURES
        ],
    )


async def save(request: web.Request) -> web.Response:
    posted = await checked_upload(request)
    staff = await _staff(request)
    if not allowed(staff, Action.SETTINGS):
        return await _refused(request, 403, OWNER_ONLY)
    rules = await get_rules()
    # The fields the owner changed: one left as shown is not set again (nor audited).
    values = {
        key: posted.fields[key]
        for key in TEXT_FIELDS
        if key in posted.fields and posted.fields[key] != shown(rules, key)
    }
    errors = dict(posted.refused)
    pictures = {}
    for key in PICTURES:
        if key in posted.files and key not in errors:
            try:  # decoding a large picture takes a while: not on the event loop
                pictures[key] = await asyncio.to_thread(prepare, posted.files[key])
            except LoyaltyError as refused:
                errors[key] = refused
        elif posted.fields.get(f"{key}_remove") == "1":
            values[key] = ""
    try:
        check_settings(values)
    except SettingsRefused as refused:
        errors |= refused.errors
    if errors:
        return await settings_page(request, typed=posted.fields, errors=errors)
    folder = request.app[PAGES].pictures
    for key, picture in pictures.items():
        values[key] = await asyncio.to_thread(folder.save, picture)
    await save_settings(staff, values, now=request.app[PAGES].clock())
    raise web.HTTPSeeOther(f"{PREFIX}/panel/settings?saved=1")
