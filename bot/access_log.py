"""The web app's access log, without the secret in the SMS webhook's path.

aiohttp's own access log prints each request line, and the SMS webhook's secret is a part
of its path (nothing else proves that a call comes from Kavenegar); its query also carries
members' phone numbers and texts. This one prints the path with the secret replaced and
no query.
"""

from __future__ import annotations

import logging

from aiohttp.abc import AbstractAccessLogger
from aiohttp.web_request import BaseRequest
from aiohttp.web_response import StreamResponse

from handlers.sms.web import public_path


class AccessLogger(AbstractAccessLogger):
    """`remote "METHOD path" status bytes seconds`, at INFO on aiohttp's access logger."""

    @property
    def enabled(self) -> bool:
        return self.logger.isEnabledFor(logging.INFO)

    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        self.logger.info(
            '%s "%s %s" %s %s %.3fs', request.remote, request.method, public_path(request.path),
            response.status, response.body_length, time,
        )
