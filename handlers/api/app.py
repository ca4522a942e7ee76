"""The JSON API under `/api/v1/`, a sub-application of the bot's web app.

Every route but the OpenAPI file needs a key (`Authorization: Bearer <key>`) with the
route's scope; the key's branch is where purchases are recorded and vouchers used.
Writes are answered once per request key (`Idempotency-Key`, or what the route names
in its stead) through `loyalty.api_requests`: a repeat gets the first answer.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any

import orjson
from aiohttp import web

from handlers.api.errors import ApiError, accepted_locale
from handlers.api.limits import KeyLimiter, MemoryKeyLimiter
from loyalty import api_keys, api_requests
from loyalty.api_keys import Scope
from loyalty.clock import utcnow
from loyalty.errors import LoyaltyError
from loyalty.rules import current_config
from models import ApiKey

log = logging.getLogger("club.api")

PREFIX = "/api/v1"
OPENAPI = Path(__file__).with_name("openapi.json")
LIMITER = web.AppKey("api_limiter", KeyLimiter)
CLOCK = web.AppKey("api_clock", Callable[[], datetime])
ZONE = web.AppKey("api_zone", tzinfo)  # the club's CLUB_TIMEZONE: whose day a discount runs on
MAX_REQUEST_KEY = api_requests.MAX_REQUEST_KEY
_GIFT_CODE_IN_PATH = re.compile(r"(/giftcards/)[^/\s?\"]+")
# Default per key: a busy till rings a purchase every few seconds; a shop's site in a sale
# a few a second. A burst of 20 covers a till sending what it queued while offline.
DEFAULT_RATE, DEFAULT_BURST = 10.0, 20


def without_gift_code(text: str) -> str:
    """`text` (a path, a log line) with the code in every gift card path replaced:
    whoever reads a card's code can spend it."""
    return _GIFT_CODE_IN_PATH.sub(r"\1***", text)


@dataclass(frozen=True)
class Call:
    """Who is asking, in what language, and when."""

    key: ApiKey
    locale: str
    now: datetime
    tz: tzinfo = UTC


Endpoint = Callable[[web.Request, Call], Awaitable[web.Response]]


def json_response(body: dict[str, Any], status: int = 200, **headers: str) -> web.Response:
    return web.Response(
        body=orjson.dumps(body), status=status, content_type="application/json", headers=headers
    )


@web.middleware
async def answer_in_json(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Every refusal as the API's JSON error, in the caller's language."""
    locale = accepted_locale(request.headers.get("Accept-Language"))
    try:
        return await handler(request)
    except ApiError as error:
        return error.response(locale)
    except LoyaltyError as error:
        return ApiError.refused(error).response(locale)
    except web.HTTPMethodNotAllowed:
        return ApiError(405, "method_not_allowed").response(locale)
    except web.HTTPNotFound:
        return ApiError(404, "not_found").response(locale)
    except web.HTTPRequestEntityTooLarge:
        return ApiError(413, "body_too_large", max=request.client_max_size).response(locale)
    except Exception:
        log.exception("API request %s %s failed", request.method, without_gift_code(request.path))
        return ApiError(500, "internal").response(locale)


def guarded(scope: Scope, endpoint: Endpoint) -> Callable[[web.Request], Awaitable[web.Response]]:
    """The endpoint behind the key check, the rate limit and the scope check."""

    async def handle(request: web.Request) -> web.Response:
        locale = accepted_locale(request.headers.get("Accept-Language"))
        key = await _key_of(request)
        wait = await request.app[LIMITER].try_take(key.id)
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            raise ApiError(
                429, "rate_limited", headers={"Retry-After": str(seconds)}, seconds=seconds
            )
        if scope not in api_keys.scopes_of(key):
            raise ApiError(403, "forbidden_scope", scope=scope.value)
        if key.branch_id not in (await current_config()).branches:
            raise ApiError(403, "branch_inactive")
        return await endpoint(request, Call(key, locale, request.app[CLOCK](), request.app[ZONE]))

    return handle


async def _key_of(request: web.Request) -> ApiKey:
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    key = None
    if scheme.lower() == "bearer" and secret.strip():
        key = await api_keys.authenticate(secret.strip())
    if key is None:
        raise ApiError(401, "unauthorized", headers={"WWW-Authenticate": "Bearer"})
    return key


async def once(
    request: web.Request,
    call: Call,
    body: bytes,
    work: Callable[[], Awaitable[tuple[int, dict[str, Any]]]],
    *,
    default_key: str | None = None,
    key_field: str = "Idempotency-Key",
) -> web.Response:
    """Do `work` once per request key; a repeat with the same key gets the first answer.

    Only answers that did something (2xx) are kept: a refusal changed nothing, so a
    repeat is decided again, in its own language and against the data as it is then.
    """
    request_key = request.headers.get("Idempotency-Key")
    if request_key is not None:
        key_field = "Idempotency-Key"
        if (
            not 0 < len(request_key) <= MAX_REQUEST_KEY
            or not request_key.isascii()
            or not request_key.isprintable()
        ):
            raise ApiError(
                400, "invalid_idempotency_key", field="Idempotency-Key", max=MAX_REQUEST_KEY
            )
    elif default_key is not None:
        request_key = default_key
    else:
        raise ApiError(400, "idempotency_key_required", field="Idempotency-Key")
    print_ = api_requests.fingerprint(request.method, request.path, body)
    try:
        claim = await api_requests.begin(call.key.id, request_key, print_, now=call.now)
    except api_requests.KeyReused:
        reused = "idempotency_key_reused" if key_field == "Idempotency-Key" else "already_recorded"
        raise ApiError(422, reused, field=key_field) from None
    except api_requests.InProgress:
        raise ApiError(409, "request_in_progress", headers={"Retry-After": "1"}) from None
    if isinstance(claim, api_requests.Stored):
        return json_response(claim.body, claim.status, **{"Idempotent-Replayed": "true"})
    try:
        status, answer = await work()
    except BaseException:
        await api_requests.abandon(claim)
        raise
    await api_requests.finish(claim, status, answer)
    return json_response(answer, status)


async def openapi(request: web.Request) -> web.Response:
    return web.Response(body=OPENAPI.read_bytes(), content_type="application/json")


def build_api_app(
    *,
    limiter: KeyLimiter | None = None,
    clock: Callable[[], datetime] = utcnow,
    tz: tzinfo = UTC,
) -> web.Application:
    from handlers.api.endpoints import ROUTES  # the endpoints import this module's helpers

    api = web.Application(middlewares=[answer_in_json])
    api[LIMITER] = limiter or MemoryKeyLimiter(DEFAULT_RATE, DEFAULT_BURST)
    api[CLOCK] = clock
    api[ZONE] = tz
    api.router.add_get("/openapi.json", openapi)
    for method, path, scope, endpoint in ROUTES:
        api.router.add_route(method, path, guarded(scope, endpoint))
    return api


def add_api_routes(
    app: web.Application,
    *,
    limiter: KeyLimiter | None = None,
    clock: Callable[[], datetime] = utcnow,
    tz: tzinfo = UTC,
) -> None:
    """Mount the API under `/api/v1` on the bot's web app."""
    app.add_subapp(PREFIX, build_api_app(limiter=limiter, clock=clock, tz=tz))
