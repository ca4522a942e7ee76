"""What the web app logs, without the secret in the SMS webhook's path (nor gift card codes
in the API's paths).

Nothing but that secret proves that a call comes from Kavenegar, and the webhook's query
carries members' phone numbers and texts. aiohttp's own access log prints each request
line; this one prints the path with the secret replaced and no query. aiohttp also logs a
request line it could not parse (a raw byte that is not allowed in a URL, say) with its
error: `hide_sms_secret` takes the secret out of those records too.
"""

from __future__ import annotations

import logging

from aiohttp.abc import AbstractAccessLogger
from aiohttp.web_request import BaseRequest
from aiohttp.web_response import StreamResponse

from handlers.api.app import without_gift_code
from handlers.sms.web import without_secret

# aiohttp's loggers for the server's errors and the application's
_SERVER_LOGGERS = ("aiohttp.server", "aiohttp.web")


class AccessLogger(AbstractAccessLogger):
    """`remote "METHOD path" status bytes seconds`, at INFO on aiohttp's access logger."""

    @property
    def enabled(self) -> bool:
        return self.logger.isEnabledFor(logging.INFO)

    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        self.logger.info(
            '%s "%s %s" %s %s %.3fs',
            request.remote,
            request.method,
            _cleaned(request.path),
            response.status,
            response.body_length,
            time,
        )


def _cleaned(text: str) -> str:
    """Without the SMS webhook's secret, nor a gift card's code (the key to its money)."""
    return without_gift_code(without_secret(text))


class _HideSmsSecret(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = _cleaned(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            # Formatters use the text kept here rather than format the exception again.
            record.exc_text = _cleaned(logging.Formatter().formatException(record.exc_info))
        return True


_FILTER = _HideSmsSecret()


def hide_sms_secret() -> None:
    """Install the filter on aiohttp's server loggers (once, however often it is called)."""
    for name in _SERVER_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
