"""The panel's campaigns: the latest with their progress, a new one, and cancelling,
pausing, resuming or stopping one, as `/campaign cancel|pause|resume|stop <number>` does.

The same audience filters, channels and text as `/campaign` and its dialog offer, read
into the same audience and created by the same `loyalty.campaigns.create` (keyed by the
form's request key, as the dialog keys it by the button press); the scheduler's campaign
job sends it at its time. Only those the permission table lets run campaigns see it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from handlers.format import moment, number
from handlers.i18n import N_, t
from handlers.sms.text import sms_parts
from handlers.telegram.staff.campaign_dialog import GENDER_NAMES, TYPE_NAMES
from handlers.telegram.staff.campaigns import (
    ACTIONS,
    CHANNEL_NAMES,
    REFUSALS,
    STATUS,
    filter_refusal,
)
from handlers.texts import SEGMENT_NAMES, tier_name
from handlers.web.app import PAGES, PREFIX, checked_form
from handlers.web.panel import _locale, _page_of, _refused, _staff
from handlers.web.panel_requests import fresh_key, request_key_of
from loyalty import campaigns
from loyalty.audiences import check, scoped
from loyalty.dates import read_local_time
from loyalty.errors import LoyaltyError
from loyalty.rfm import SEGMENTS
from loyalty.staff.access import own_branch
from loyalty.staff.permissions import Action, allowed
from loyalty.text import to_ascii_digits
from models import Branch, Campaign, ProductGroup, Staff, Tier

SHOWN = 20  # campaigns listed
SHORT = 60  # characters of a campaign's text in the list
NUMBER_DIGITS = 5  # ages, days without a purchase: anything longer is no such number
CAMPAIGNS_ONLY = N_("Only the owner and managers can do this.")
NOT_UNDERSTOOD = N_("I did not understand «{part}».")
REACH = N_("It reaches {total} members: {telegram} on Telegram, {sms} by SMS ({parts} SMS parts).")
# The form's fields, shown again as they were typed when it is refused or previewed.
FIELDS = (
    "tier",
    "branch_id",
    "gender",
    "customer_type",
    "rfm",
    "age_min",
    "age_max",
    "birthday_month",
    "inactive_days",
    "channel",
    "text",
    "when",
)
# What may be done to a campaign in each state (loyalty/campaigns.py), as the buttons offer.
CONTROLS = {
    "draft": ("cancel",),
    "scheduled": ("cancel",),
    "running": ("pause", "stop"),
    "done": ("pause", "stop"),
    "paused": ("resume", "stop"),
}
CONTROL_NAMES = {
    "cancel": N_("Cancel"),
    "pause": N_("Pause"),
    "resume": N_("Resume"),
    "stop": N_("Stop"),
}


class Unreadable(ValueError):
    """A field of the form that is not what it should be: what was typed in it."""


def add_campaign_routes(pages: web.Application) -> None:
    pages.router.add_get("/panel/campaigns", campaigns_page)
    pages.router.add_post("/panel/campaigns", create)
    pages.router.add_post(
        "/panel/campaigns/{id:[0-9]{1,9}}/{action:cancel|pause|resume|stop}", control
    )


async def _campaign_staff(request: web.Request) -> Staff | web.Response:
    staff = await _staff(request)
    if not allowed(staff, Action.CAMPAIGN):
        return await _refused(request, 403, CAMPAIGNS_ONLY)
    return staff


def _short(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= SHORT else line[: SHORT - 1] + "…"


async def _choices(staff: Staff, locale: str) -> dict[str, list[tuple[str, str]]]:
    """The filters' options as the dialog's buttons offer them: (value, label)."""
    branch = own_branch(staff)
    branches = Branch.filter(active=True).order_by("id")
    if branch is not None:  # a manager of one branch reaches its members only
        branches = branches.filter(id=branch)
    return {
        "tiers": [
            (x.code, tier_name(x.code, x.name, locale))
            for x in await Tier.all().order_by("threshold")
        ],
        "branches": [(str(x.id), x.name) for x in await branches],
        "genders": [(value.value, t(label, locale)) for value, label in GENDER_NAMES.items()],
        "types": [(value.value, t(label, locale)) for value, label in TYPE_NAMES.items()],
        "groups": [
            (str(x.id), x.name) for x in await ProductGroup.filter(active=True).order_by("id")
        ],
        "segments": [(name, t(SEGMENT_NAMES[name], locale)) for name in SEGMENTS],
        "months": [(str(m), number(m, locale)) for m in range(1, 13)],
        "channels": [(c, t(CHANNEL_NAMES[c], locale)) for c in campaigns.CHANNELS],
    }


async def campaigns_page(
    request: web.Request,
    *,
    message: str = "",
    status: int = 200,
    chosen: dict[str, Any] | None = None,
) -> web.Response:
    pages = request.app[PAGES]
    staff = await _campaign_staff(request)
    if isinstance(staff, web.Response):
        return staff
    locale, now = _locale(request), pages.clock()
    await campaigns.expire_drafts(now)
    if not message:
        message = _done_message(request, locale)
    rows = []
    for c in await campaigns.recent(SHOWN, staff_id=staff.id):
        progress = await campaigns.progress(c.id)
        rows.append(
            {
                "id": c.id,
                "ident": number(c.id, locale),
                "status": t(STATUS.get(c.status, c.status), locale),
                "channel": t(CHANNEL_NAMES.get(c.channel, c.channel), locale),
                "when": moment(c.send_at, locale, pages.tz),
                "text": _short(c.text),
                "sent": t(
                    "{sent} of {total}",
                    locale,
                    sent=number(progress["sent"], locale),
                    total=number(await campaigns.reach(c, now, pages.tz), locale),
                ),
                "controls": [
                    (action, t(CONTROL_NAMES[action], locale))
                    for action in CONTROLS.get(c.status, ())
                ],
            }
        )
    return await _page_of(
        request,
        staff,
        "panel_campaigns.html",
        status=status,
        message=message,
        rows=rows,
        request_key=fresh_key(),
        chosen=chosen or {**dict.fromkeys(FIELDS, ""), "channel": "telegram", "interests": []},
        max_text=campaigns.MAX_TEXT,
        max_text_shown=number(campaigns.MAX_TEXT, locale),
        **await _choices(staff, locale),
    )


def _done_message(request: web.Request, locale: str) -> str:
    """What the last post did, after its redirect: ?created=<id>, or ?<action>=<id>."""
    value = request.query.get("created", "")
    if value.isascii() and value.isdigit() and len(value) < 10:
        return t("Campaign #{id} is scheduled.", locale, id=number(int(value), locale))
    for action, (_, said) in ACTIONS.items():
        value = request.query.get(action, "")
        if value.isascii() and value.isdigit() and len(value) < 10:
            return t(said, locale, id=number(int(value), locale))
    return ""


def _number(form: MultiDictProxy[Any], name: str) -> int | None:
    """A whole number typed in any digits; None when left empty."""
    typed = str(form.get(name, "")).strip()
    if not typed:
        return None
    plain = to_ascii_digits(typed)
    if not (plain.isascii() and plain.isdigit() and len(plain) <= NUMBER_DIGITS):
        raise Unreadable(typed)
    return int(plain)


def read_audience(form: MultiDictProxy[Any]) -> dict[str, Any]:
    """The form's filters as the audience `/campaign` builds (its keys and value types);
    whether the values exist is the domain's to check (`loyalty.audiences.check`)."""
    audience: dict[str, Any] = {}
    for key in ("tier", "gender", "customer_type", "rfm"):
        value = str(form.get(key, "")).strip()
        if value:
            audience[key] = value
    for key in ("branch_id", "birthday_month", "inactive_days"):
        value = _number(form, key)
        if value is not None:
            audience[key] = value
    interests = [str(v) for v in form.getall("interests", [])]
    if interests:
        if not all(v.isascii() and v.isdigit() and len(v) < 10 for v in interests):
            raise Unreadable(", ".join(interests))
        audience["interests"] = sorted({int(v) for v in interests})
    low, high = _number(form, "age_min"), _number(form, "age_max")
    if (low is None) != (high is None) or (low is not None and high is not None and low > high):
        raise Unreadable(f"{form.get('age_min', '')}-{form.get('age_max', '')}")
    if low is not None:
        audience["age_min"], audience["age_max"] = low, high
    if audience.get("birthday_month") is not None and not 1 <= audience["birthday_month"] <= 12:
        raise Unreadable(str(form.get("birthday_month")))
    return audience


def _send_at(typed: str, now: datetime, tz: Any) -> datetime | None:
    """The time the form names, in the club's zone (the dialog's forms); None: now."""
    if not typed.strip():
        return None
    try:
        return read_local_time(typed).at(now, tz)
    except ValueError:
        raise Unreadable(typed) from None


async def create(request: web.Request) -> web.Response:
    pages = request.app[PAGES]
    form = await request.post()
    checked_form(request, form)
    staff = await _campaign_staff(request)
    if isinstance(staff, web.Response):
        return staff
    locale, now = _locale(request), pages.clock()
    chosen: dict[str, Any] = {field: str(form.get(field, "")) for field in FIELDS}
    chosen["interests"] = [str(v) for v in form.getall("interests", [])]

    async def again(text: str, status: int = 400) -> web.Response:
        return await campaigns_page(request, message=text, status=status, chosen=chosen)

    key = request_key_of(form)
    if key is None:
        return await again(t("This form is out of date: open the page again.", locale))
    if chosen["channel"] not in campaigns.CHANNELS:
        return await again(t(NOT_UNDERSTOOD, locale, part=chosen["channel"]))
    try:
        audience = read_audience(form)
        send_at = _send_at(chosen["when"], now, pages.tz)
    except Unreadable as typed:
        return await again(t(NOT_UNDERSTOOD, locale, part=str(typed)))
    if send_at is not None and send_at <= now:
        return await again(t("That time has already passed.", locale))
    if form.get("preview"):
        try:
            return await again(await _reach(staff, audience, chosen, now, pages, locale), 200)
        except LoyaltyError as refused:
            return await again(filter_refusal(refused, locale))
    try:
        campaign = await campaigns.create(
            audience,
            chosen["channel"],
            chosen["text"],
            send_at=send_at or now,
            staff_id=staff.id,
            now=now,
            key=f"panel:{staff.id}:{key}",
        )
    except LoyaltyError as refused:
        return await again(filter_refusal(refused, locale))
    raise web.HTTPSeeOther(f"{PREFIX}/panel/campaigns?created={campaign.id}")


async def _reach(
    staff: Staff,
    audience: dict[str, Any],
    chosen: dict[str, Any],
    now: datetime,
    pages: Any,
    locale: str,
) -> str:
    """Whom the campaign would reach, by channel, counted as the dialog's preview counts."""
    audience = await scoped(audience, staff.id)
    await check(audience)
    p = await campaigns.preview(
        audience, chosen["channel"], chosen["text"], now=now, tz=pages.tz, sms_parts=sms_parts
    )
    return t(
        REACH,
        locale,
        total=number(p.total, locale),
        telegram=number(p.telegram, locale),
        sms=number(p.sms, locale),
        parts=number(p.sms_parts, locale),
    )


async def control(request: web.Request) -> web.Response:
    """Cancel, pause, resume or stop a campaign: the bot's `/campaign <action> <number>`."""
    pages = request.app[PAGES]
    form = await request.post()
    checked_form(request, form)
    staff = await _campaign_staff(request)
    if isinstance(staff, web.Response):
        return staff
    locale, action = _locale(request), request.match_info["action"]
    campaign = await Campaign.get_or_none(id=int(request.match_info["id"]))
    if campaign is None or not await campaigns.in_reach(campaign.audience, staff.id):
        return await campaigns_page(request, message=t("No such campaign.", locale), status=404)
    act, _ = ACTIONS[action]
    if not await act(campaign.id, staff_id=staff.id, now=pages.clock()):
        text = t(REFUSALS[action], locale, id=number(campaign.id, locale))
        return await campaigns_page(request, message=text, status=409)
    raise web.HTTPSeeOther(f"{PREFIX}/panel/campaigns?{action}={campaign.id}")
