"""SMS through Kavenegar: a safe wrapper over the `kavenegar` package and an async gateway.

The package (1.1.2) posts with no timeout, fixes the https scheme, raises bytes and lets
the API key (which sits in the URL path) leak into network error messages. `KavenegarClient`
replaces its `_request` to fix all of that; `SmsGateway` runs the blocking calls in a
thread, retries what is safe to retry, and turns answers into small dataclasses.

Retries reuse the caller's `localid`, which Kavenegar uses to recognise a repeated send:
a retry after a lost answer returns the first message instead of sending a second one.
Use numeric localids (an outbox row id, say): Kavenegar documents them as numbers.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import threading
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import quote, urlsplit

import requests
from kavenegar import KavenegarAPI
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential
from urllib3.exceptions import NewConnectionError

log = logging.getLogger("club.sms")

MAX_ARRAY = 200  # Kavenegar's limit for one sms/sendarray call
RETRYABLE_CODES = frozenset({409, 451})  # server busy, too many calls
INVALID_RECEPTOR = 411
NO_CREDIT = 418
# Message statuses that mean Kavenegar will not deliver: failed, undelivered,
# cancelled, blocked (the receiver opted out of advertising).
FAILED_STATUSES = frozenset({6, 11, 13, 14})

Sleep = Callable[[float], Awaitable[None]]
Recorder = Callable[["OutgoingSms"], Awaitable[None]]
ApiMethod = Callable[[dict[str, Any]], Any]  # a blocking KavenegarClient call


# --- results and errors -------------------------------------------------------------


@dataclass(frozen=True)
class OutgoingSms:
    receptor: str
    message: str
    localid: str


@dataclass(frozen=True)
class SendResult:
    """What Kavenegar said about one message.

    `ok` is False when the receptor was rejected (`code` 411) or Kavenegar reported a
    final failure status at once (6, 11, 13, 14); `code` is the API return code.
    """

    receptor: str
    localid: str | None
    message_id: int | None
    status: int | None
    ok: bool
    code: int


@dataclass(frozen=True)
class InboundSms:
    message_id: int
    sender: str
    receptor: str
    message: str
    date: datetime  # UTC


class SmsError(Exception):
    """A Kavenegar call failed. `code` is the API return code, None for transport faults.

    Its text is built from scrubbed parts only, so it never carries the API key.
    """

    def __init__(self, code: int | None, reason: str) -> None:
        super().__init__(code, reason)
        self.code = code
        self.reason = reason

    def __str__(self) -> str:
        return f"Kavenegar {self.code}: {self.reason}" if self.code else f"Kavenegar: {self.reason}"


class SmsInvalidReceptor(SmsError):
    """411: the number is not one Kavenegar will send to."""


class SmsNoCredit(SmsError):
    """418: the account is out of credit; keep the messages and tell the owner."""


class SmsRetryable(SmsError):
    """A fault that may pass: 409, 451, a network error, a timeout, a garbled answer.

    `maybe_sent` is True when the request may have reached Kavenegar (the answer was lost
    or unreadable), so only a call with a localid is safe to repeat.
    """

    def __init__(self, code: int | None, reason: str, *, maybe_sent: bool = False) -> None:
        super().__init__(code, reason)
        self.maybe_sent = maybe_sent


def error_for_code(code: int, reason: str) -> SmsError:
    """Map a Kavenegar return code to the error class the caller acts on."""
    if code == INVALID_RECEPTOR:
        return SmsInvalidReceptor(code, reason)
    if code == NO_CREDIT:
        return SmsNoCredit(code, reason)
    if code in RETRYABLE_CODES or code >= 500:
        return SmsRetryable(code, reason)
    return SmsError(code, reason)


# --- keeping the key out of logs ----------------------------------------------------

_SECRETS: set[str] = set()
_SECRETS_LOCK = threading.Lock()
# urllib3 logs request lines ("POST /v1/<key>/sms/send.json") at DEBUG and retry
# warnings with the URL; these loggers are where a record with the path is created.
_URLLIB3_LOGGERS = ("urllib3.connectionpool", "urllib3.util.retry", "urllib3.poolmanager")


def scrub(text: str) -> str:
    """Replace every registered API key (raw or percent-encoded) with ***."""
    for secret in tuple(_SECRETS):  # a snapshot: another thread may register a key
        text = text.replace(secret, "***").replace(quote(secret, safe=""), "***")
    return text


class _RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = scrub(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


_REDACT_FILTER = _RedactSecrets()


def _register_secret(secret: str) -> None:
    with _SECRETS_LOCK:
        _SECRETS.add(secret)
        for name in _URLLIB3_LOGGERS:
            logger = logging.getLogger(name)
            if _REDACT_FILTER not in logger.filters:
                logger.addFilter(_REDACT_FILTER)


# --- the blocking client ------------------------------------------------------------


class KavenegarClient(KavenegarAPI):
    """`KavenegarAPI` with a timeout, a base URL of choice and errors free of the key.

    Raises `SmsError` subclasses (not the package's bytes-carrying `APIException`).
    """

    def __init__(self, apikey: str, *, api_base: str | None = None, timeout: float = 10.0) -> None:
        if not apikey:
            raise ValueError("an API key is required")
        super().__init__(apikey)
        _register_secret(apikey)
        self.timeout = timeout
        self.base_url = self._base_url(api_base)

    def _base_url(self, api_base: str | None) -> str:
        if not api_base:
            return f"https://{self.host}"
        parts = urlsplit(api_base)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("api_base must look like https://host[:port]")
        self.host = parts.netloc
        return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"

    def __repr__(self) -> str:
        return f"KavenegarClient(apikey='***', base_url={self.base_url!r})"

    __str__ = __repr__

    def _request(self, action: str, method: str, params: dict[str, Any] | None = None) -> Any:
        url = f"{self.base_url}/{self.version}/{quote(self.apikey, safe='')}/{action}/{method}.json"
        try:
            response = requests.post(
                url, headers=self.headers, data=params or {}, timeout=(self.timeout, self.timeout)
            )
        except requests.RequestException as exc:
            error = _network_error(exc)
        else:
            return _entries(response)
        # Raised outside the except block so the original exception, whose text and
        # request carry the URL with the key, is not chained as __context__.
        raise error


def _network_error(exc: requests.RequestException) -> SmsRetryable:
    reason = scrub(f"{type(exc).__name__}: {exc}")
    cause = exc.args[0] if exc.args else None
    never_sent = isinstance(exc, requests.ConnectTimeout) or isinstance(
        getattr(cause, "reason", None), NewConnectionError
    )
    return SmsRetryable(None, reason, maybe_sent=not never_sent)


def _entries(response: requests.Response) -> Any:
    """Return `entries` of a 200 answer or raise the error its return code stands for."""
    envelope = _envelope(response)
    if envelope is None:
        raise SmsRetryable(None, f"malformed answer (HTTP {response.status_code})", maybe_sent=True)
    code, message, entries = envelope
    if code != 200:
        raise error_for_code(code, scrub(message))
    return entries


def _envelope(response: requests.Response) -> tuple[int, str, Any] | None:
    try:
        body = json.loads(response.content.decode("utf-8"))
        status = body["return"]
        return int(status["status"]), str(status.get("message", "")), body.get("entries")
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


# --- the async gateway --------------------------------------------------------------


class SmsSender(Protocol):
    async def send(self, receptor: str, message: str, *, localid: str) -> SendResult: ...

    async def send_array(self, items: Sequence[OutgoingSms]) -> list[SendResult]: ...

    async def receive(self, linenumber: str) -> list[InboundSms]: ...


class SmsGateway:
    """Kavenegar behind an async interface, with retries that never send twice.

    Retryable faults (`SmsRetryable`) are retried `attempts` times in all, with
    exponential backoff starting at `backoff` seconds; then the last one is raised.
    `sleep` is what waits between attempts (tests pass a no-op).
    """

    def __init__(
        self,
        api_key: str,
        sender: str | None,
        api_base: str | None = None,
        *,
        timeout: float = 10.0,
        attempts: int = 3,
        backoff: float = 1.0,
        max_backoff: float = 30.0,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._client = KavenegarClient(api_key, api_base=api_base, timeout=timeout)
        self.sender = sender
        self.attempts = attempts
        self._wait = wait_exponential(multiplier=backoff, max=max_backoff)
        self._sleep = sleep
        # Second guard around the thread: connect + read timeouts plus slack. A read
        # timeout restarts with every byte, so a trickling server could outlast it.
        self._guard = 2 * timeout + 1.0

    def __repr__(self) -> str:
        return f"SmsGateway(sender={self.sender!r}, client={self._client!r})"

    async def send(self, receptor: str, message: str, *, localid: str) -> SendResult:
        """Send one SMS. A rejected number gives ok=False, code=411 instead of raising."""
        params = {"receptor": receptor, "message": message, "localid": localid}
        if self.sender:
            params["sender"] = self.sender
        try:
            entries = await self._call(self._client.sms_send, params)
        except SmsInvalidReceptor as exc:
            return _rejected(receptor, localid, exc)
        return _send_result(_single_entry(entries), receptor, localid)

    async def send_array(self, items: Sequence[OutgoingSms]) -> list[SendResult]:
        """Send up to 200 different messages in one call; results follow `items` order.

        Kavenegar answers 411 for the whole call when one receptor is invalid and sends
        nothing, so this raises `SmsInvalidReceptor`: the caller sends that batch one by
        one with `send` (same localids, so anything already sent is not sent again) to
        find the bad numbers.
        """
        if len(items) > MAX_ARRAY:
            raise ValueError(f"sendarray takes at most {MAX_ARRAY} messages, got {len(items)}")
        if not items:
            return []
        if not self.sender:
            raise ValueError("sendarray needs a sender line number")
        params = {
            "receptor": json.dumps([item.receptor for item in items]),
            "sender": json.dumps([self.sender] * len(items)),
            "message": json.dumps([item.message for item in items], ensure_ascii=False),
            "localmessageids": json.dumps([item.localid for item in items]),
        }
        entries = await self._call(self._client.sms_sendarray, params)
        if not isinstance(entries, list) or len(entries) != len(items):
            raise SmsRetryable(None, "sendarray answer does not match the request", maybe_sent=True)
        return [_send_result(e, i.receptor, i.localid) for e, i in zip(entries, items, strict=True)]

    async def receive(self, linenumber: str) -> list[InboundSms]:
        """Fetch up to 100 unread inbound messages; Kavenegar marks them read."""
        params = {"linenumber": linenumber, "isread": 0}
        entries = await self._call(self._client.sms_receive, params)
        try:
            return [_inbound(entry) for entry in entries or []]
        except (KeyError, TypeError, ValueError):
            raise SmsRetryable(None, "malformed receive entry", maybe_sent=True) from None

    async def _call(
        self, method: ApiMethod, params: dict[str, Any], *, repeatable: bool = True
    ) -> Any:
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.attempts),
            wait=self._wait,
            retry=retry_if_exception(lambda e: _should_retry(e, repeatable)),
            sleep=self._sleep,
            before_sleep=_log_retry,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self._attempt(method, params)
        raise AssertionError("unreachable: tenacity reraises the last error")

    async def _attempt(self, method: ApiMethod, params: dict[str, Any]) -> Any:
        try:
            return await asyncio.wait_for(asyncio.to_thread(method, params), self._guard)
        except TimeoutError:
            pass
        raise SmsRetryable(None, f"no answer within {self._guard:.1f}s", maybe_sent=True)


def _should_retry(exc: BaseException, repeatable: bool) -> bool:
    if not isinstance(exc, SmsRetryable):
        return False
    return repeatable or not exc.maybe_sent


def _log_retry(state: Any) -> None:
    exc = state.outcome.exception() if state.outcome else None
    log.warning("Kavenegar call failed (attempt %d): %s; retrying", state.attempt_number, exc)


def _single_entry(entries: Any) -> dict[str, Any]:
    if isinstance(entries, list) and len(entries) == 1 and isinstance(entries[0], dict):
        return entries[0]
    raise SmsRetryable(None, "expected exactly one entry", maybe_sent=True)


def _send_result(entry: Any, receptor: str, localid: str | None) -> SendResult:
    try:
        message_id, status = int(entry["messageid"]), int(entry["status"])
    except (KeyError, TypeError, ValueError):
        raise SmsRetryable(None, "malformed send entry", maybe_sent=True) from None
    ok = status not in FAILED_STATUSES
    return SendResult(receptor, localid, message_id, status, ok, 200)


def _rejected(receptor: str, localid: str | None, exc: SmsError) -> SendResult:
    log.info("Kavenegar rejected receptor %s: %s", receptor, exc)
    return SendResult(receptor, localid, None, None, False, exc.code or INVALID_RECEPTOR)


def _inbound(entry: dict[str, Any]) -> InboundSms:
    return InboundSms(
        message_id=int(entry["messageid"]),
        sender=str(entry["sender"]),
        receptor=str(entry["receptor"]),
        message=str(entry["message"]),
        date=datetime.fromtimestamp(int(entry["date"]), tz=UTC),
    )


# --- without an API key -------------------------------------------------------------


class DrySmsGateway:
    """Stands in for Kavenegar when no API key is set: logs and records, sends nothing.

    Message ids are negative so they can never be mistaken for Kavenegar's.
    """

    def __init__(self, sender: str | None = None, *, recorder: Recorder | None = None) -> None:
        self.sender = sender
        self._recorder = recorder
        self._ids = itertools.count(-1, -1)

    def __repr__(self) -> str:
        return f"DrySmsGateway(sender={self.sender!r})"

    async def send(self, receptor: str, message: str, *, localid: str) -> SendResult:
        return await self._record(OutgoingSms(receptor, message, localid))

    async def send_array(self, items: Sequence[OutgoingSms]) -> list[SendResult]:
        if len(items) > MAX_ARRAY:
            raise ValueError(f"sendarray takes at most {MAX_ARRAY} messages, got {len(items)}")
        return [await self._record(item) for item in items]

    async def receive(self, linenumber: str) -> list[InboundSms]:
        return []

    async def _record(self, sms: OutgoingSms) -> SendResult:
        log.info(
            "dry run, not sent: SMS to %s (localid %s): %s", sms.receptor, sms.localid, sms.message
        )
        if self._recorder is not None:
            await self._recorder(sms)
        return SendResult(sms.receptor, sms.localid or None, next(self._ids), 1, True, 200)


def build_gateway(
    api_key: str | None,
    sender: str | None,
    api_base: str | None = None,
    *,
    recorder: Recorder | None = None,
    timeout: float = 10.0,
) -> SmsGateway | DrySmsGateway:
    """The real gateway when an API key is configured, the dry one otherwise."""
    if not api_key:
        log.warning("no Kavenegar API key configured: SMS are logged, not sent")
        return DrySmsGateway(sender, recorder=recorder)
    return SmsGateway(api_key, sender, api_base, timeout=timeout)
