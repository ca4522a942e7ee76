"""Posting the club's events to the shops' webhooks (queued by `loyalty.webhooks`).

Each post is JSON with `X-Club-Event`, `X-Club-Delivery` (the same on every retry of one
event, so the receiver can drop repeats) and `X-Club-Signature: t=<unix time>,v1=<hex>`,
the HMAC-SHA256 of "<t>." followed by the body, under the webhook's secret. Any answer
but 2xx, a timeout or a refused connection is tried again later (`loyalty.webhooks.backoff`).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from datetime import datetime

import aiohttp
import orjson

from loyalty import webhooks
from models import WebhookDelivery

log = logging.getLogger("club.webhooks")
TIMEOUT = aiohttp.ClientTimeout(total=10)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


async def run(now: datetime) -> int:
    """Queue new events, then post those due; the number delivered."""
    await webhooks.collect(now=now)
    due = await webhooks.due(now=now)
    if not due:
        return 0
    sent = 0
    async with aiohttp.ClientSession(timeout=TIMEOUT) as session:
        for delivery in due:
            sent += await _post(session, delivery, now)
    return sent


async def _post(session: aiohttp.ClientSession, delivery: WebhookDelivery, now: datetime) -> int:
    key = delivery.api_key
    if key.webhook_url is None or key.webhook_secret is None or key.revoked_at is not None:
        await webhooks.failed(delivery, "no webhook", now=now)
        return 0
    body = orjson.dumps({"id": delivery.id, **delivery.payload})
    headers = {
        "Content-Type": "application/json",
        "X-Club-Event": delivery.event,
        "X-Club-Delivery": str(delivery.id),
        "X-Club-Signature": signature(key.webhook_secret, int(now.timestamp()), body),
    }
    try:
        async with session.post(key.webhook_url, data=body, headers=headers) as response:
            if 200 <= response.status < 300:
                await webhooks.delivered(delivery, now=now)
                return 1
            error = f"HTTP {response.status}"
    except (aiohttp.ClientError, TimeoutError) as exc:
        error = type(exc).__name__
    log.info("webhook delivery %s failed: %s", delivery.id, error)
    await webhooks.failed(delivery, error, now=now)
    return 0
