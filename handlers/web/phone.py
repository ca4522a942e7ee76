"""Signing in on the open web, for members without Telegram: a code sent to their phone.

`/club/` shows the phone form when it is not opened from Telegram; `/club/phone` asks
`loyalty.web_signin` for a code (sent by SMS through the outbox), `/club/code` checks it
and starts a `member:<member id>` session; `/club/signout` ends any session. The answer to
a phone is the same whether or not it is a member's.
"""

from __future__ import annotations

import ipaddress
import logging

from aiohttp import web

from handlers.i18n import N_
from handlers.web.app import (
    PAGES,
    PREFIX,
    _club,
    checked_form,
    end_session,
    keep_session,
    render,
)
from handlers.web.session import MEMBER, Subject
from loyalty.web_signin import Asked, ask_code, check_code

log = logging.getLogger("club.web")

SENT = N_("If this number is a member's, a code is on its way by SMS. It is good for 5 minutes.")
TOO_MANY = N_("Too many codes were asked for. Try again in a few minutes.")
BAD_PHONE = N_("This is not a mobile number. Write it as 09121234567.")
WRONG = N_("This code is wrong or out of date. Check it, or ask for a new one.")


def add_phone_routes(pages: web.Application) -> None:
    pages.router.add_post("/phone", ask_for_code)
    pages.router.add_post("/code", sign_in_with_code)
    pages.router.add_post("/signout", sign_out)


def _field(form: object, name: str) -> str:
    value = form.get(name) if hasattr(form, "get") else None  # type: ignore[union-attr]
    return value.strip()[:40] if isinstance(value, str) else ""


async def ask_for_code(request: web.Request) -> web.Response:
    pages = request.app[PAGES]
    locale = pages.default_locale
    form = await request.post()
    phone = _field(form, "phone")
    asked = await ask_code(phone, client_address(request), pages.clock())
    log.info("page code asked: %s", asked.value)  # never the phone, never the code
    club = await _club(locale)
    if asked is Asked.BAD_PHONE:
        return render(request, "phone.html", locale, club, 400, message=BAD_PHONE, phone="")
    if asked is Asked.TOO_MANY:
        return render(request, "phone.html", locale, club, 429, message=TOO_MANY, phone="")
    return render(request, "code.html", locale, club, message=SENT, phone=phone)


def client_address(request: web.Request) -> str:
    """Who asked, for the limit per address. Behind the club's HTTPS proxy every request
    comes from the proxy (a loopback or private address): then the last address of
    X-Forwarded-For, the one the proxy added, is the client's (earlier ones are the
    client's own word). From anywhere else, the peer itself."""
    peer = request.remote or ""
    try:
        behind_proxy = ipaddress.ip_address(peer).is_private  # loopback included
    except ValueError:
        behind_proxy = False
    forwarded = request.headers.get("X-Forwarded-For", "").split(",")[-1].strip()
    return forwarded if behind_proxy and forwarded else peer


async def sign_in_with_code(request: web.Request) -> web.Response:
    pages = request.app[PAGES]
    form = await request.post()
    phone, code = _field(form, "phone"), _field(form, "code")
    now = pages.clock()
    member_id = await check_code(phone, code, now)
    if member_id is None:
        log.info("page code refused")
        locale = pages.default_locale
        club = await _club(locale)
        return render(request, "code.html", locale, club, 401, message=WRONG, phone=phone)
    response = web.Response(status=303, headers={"Location": f"{PREFIX}/card"})
    keep_session(request, response, Subject(MEMBER, member_id), now)
    return response


async def sign_out(request: web.Request) -> web.Response:
    form = await request.post()
    checked_form(request, form)
    response = web.Response(status=303, headers={"Location": f"{PREFIX}/"})
    end_session(request, response)
    return response
