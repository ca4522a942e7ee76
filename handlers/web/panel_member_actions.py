"""On a member's page in the panel: a message to the member by Telegram or SMS, queued in
the outbox as the staff's answers are (`loyalty.staff.inbox.message_member`), and a new
card for a lost one, as `/newcard` issues it (`loyalty.staff.member_settings.new_card`).
Both are keyed by the page's request key: posted twice, they act once.
"""

from __future__ import annotations

from aiohttp import web

from handlers.format import digits
from handlers.i18n import N_, t
from handlers.telegram.staff.texts import staff_error_text
from handlers.web.app import PAGES, checked_form
from handlers.web.panel import _locale, _refused, _staff, member_page
from handlers.web.panel_requests import request_key_of
from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.staff import inbox, panel
from loyalty.staff.member_settings import new_card
from models import Channel

CHANNELS = {"telegram": Channel.TELEGRAM, "sms": Channel.SMS}
OUT_OF_DATE = "This form is out of date: open the page again."


def add_member_action_routes(pages: web.Application) -> None:
    pages.router.add_post("/panel/members/{id:[0-9]{1,9}}/message", message)
    pages.router.add_post("/panel/members/{id:[0-9]{1,9}}/card", replace_card)


async def _refusal(request: web.Request, refused: LoyaltyError) -> web.Response:
    locale = _locale(request)
    if refused.code is ErrorCode.NOT_ALLOWED:
        return await _refused(request, 403, t("Not allowed.", locale))
    return await member_page(request, message=staff_error_text(refused, locale), status=400)


async def message(request: web.Request) -> web.Response:
    pages = request.app[PAGES]
    form = await request.post()
    checked_form(request, form)
    staff = await _staff(request)
    locale = _locale(request)
    key = request_key_of(form)
    channel = CHANNELS.get(str(form.get("channel", "")))
    if key is None or channel is None:
        return await member_page(request, message=t(OUT_OF_DATE, locale), status=400)
    try:
        member = await panel.member_for(staff, int(request.match_info["id"]))
        await inbox.message_member(
            staff,
            member.id,
            str(form.get("text", "")),
            channel,
            request=f"panel:{staff.id}:{key}",
            now=pages.clock(),
        )
    except LoyaltyError as refused:
        return await _refusal(request, refused)
    said = (
        N_("Your message to the member is on its way by Telegram.")
        if channel is Channel.TELEGRAM
        else N_("Your message to the member is on its way by SMS.")
    )
    return await member_page(request, message=t(said, locale))


async def replace_card(request: web.Request) -> web.Response:
    pages = request.app[PAGES]
    form = await request.post()
    checked_form(request, form)
    staff = await _staff(request)
    locale = _locale(request)
    key = request_key_of(form)
    if key is None:
        return await member_page(request, message=t(OUT_OF_DATE, locale), status=400)
    try:
        member = await panel.member_for(staff, int(request.match_info["id"]))
        done = await new_card(
            staff, f"#{member.id}", request=f"panel:{staff.id}:{key}", now=pages.clock()
        )
    except LoyaltyError as refused:
        return await _refusal(request, refused)
    name = f"{member.first_name} {member.last_name}".strip() or "-"
    text = t(
        "New card for {name}: {card}. Card {old} no longer works.",
        locale,
        name=name,
        card=digits(done.card.number, locale),
        old=digits(done.old or "-", locale),
    )
    return await member_page(request, message=text)
