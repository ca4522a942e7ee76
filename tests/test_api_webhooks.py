"""The club's events reach a shop's webhook: signed, at least once, retried, replayable."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from tortoise.transactions import in_transaction

from jobs import webhooks as sender
from loyalty import api_keys, earning, members, rewards, webhooks
from loyalty.errors import LoyaltyError
from models import Branch, Purchase, Reward, WebhookDelivery
from tests.conftest import NOW
from tests.staff_harness import OWNER, harness


class Receiver:
    """A shop's endpoint on 127.0.0.1 that answers with the statuses it is given, in turn."""

    def __init__(self) -> None:
        self.calls: list[tuple[dict[str, str], bytes]] = []
        self.statuses: list[int] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.calls.append((dict(request.headers), await request.read()))
        return web.Response(status=self.statuses.pop(0) if self.statuses else 204)


@pytest.fixture(autouse=True)
def no_marks() -> None:
    """Each test's database numbers its rows from 1: no process mark of another's ids."""
    webhooks._marks.clear()


@pytest.fixture
async def receiver(any_db: str) -> AsyncIterator[tuple[Receiver, str]]:
    shop = Receiver()
    app = web.Application()
    app.router.add_post("/hook", shop.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield shop, str(server.make_url("/hook"))
    finally:
        await server.close()


async def test_events_are_signed_retried_and_sent_once_each(receiver: tuple[Receiver, str]) -> None:
    shop, url = receiver
    key = (await api_keys.create_key(1, "purchases:write", "shop")).key
    old = await members.register_member("09120000001", now=NOW - timedelta(days=1))
    hooked = await webhooks.set_webhook(key.id, url)
    secret = hooked.webhook_secret
    assert secret and len(secret) == 64
    joined = await members.register_member("09121234567", first_name="Ali", now=NOW)
    await earning.award_purchase(joined.member.id, 250_000, receipt="R1", now=NOW)
    reward = await Reward.create(name="Coffee", cost=30)
    await rewards.redeem_reward(joined.member.id, reward.id, key="k", now=NOW)
    later = NOW + timedelta(seconds=10)
    shop.statuses = [500]
    assert await sender.run(later) == 2
    assert await webhooks.collect(now=later) == 0  # read once
    events = [
        (d.event, d.attempts, d.delivered_at) for d in await WebhookDelivery.all().order_by("id")
    ]
    assert events == [
        ("member.joined", 1, None),
        ("purchase.recorded", 1, later),
        ("points.redeemed", 1, later),
    ]
    # Only what happened since the webhook was set: not the member who joined the day before.
    first_event = (await WebhookDelivery.get(id=1)).payload["data"]
    assert (first_event["member_id"], old.member.id) == (joined.member.id, 1)
    headers, body = shop.calls[1]
    timestamp = int(later.timestamp())
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    assert headers["X-Club-Signature"] == f"t={timestamp},v1={expected.hexdigest()}"
    assert headers["X-Club-Event"] == "purchase.recorded"
    assert json.loads(body) == {
        "id": 2,
        "event": "purchase.recorded",
        "data": {
            "receipt": "R1",
            "branch_id": 1,
            "member_id": 2,
            "amount": 250_000,
            "points": 25,
            "created_at": "2026-03-01T09:00:00+00:00",
        },
    }
    # The refused one waits 30 s, then goes; the delivered ones are not sent again.
    assert await sender.run(later + timedelta(seconds=29)) == 0
    assert await sender.run(later + timedelta(seconds=30)) == 1
    assert [h["X-Club-Delivery"] for h, _ in shop.calls] == ["1", "2", "3", "1"]
    first = await WebhookDelivery.get(id=1)
    assert (first.attempts, first.delivered_at, first.last_error) == (
        2,
        later + timedelta(seconds=30),
        "",
    )
    # The owner may send one again.
    await webhooks.replay(2, now=later + timedelta(minutes=1))
    assert await sender.run(later + timedelta(minutes=1)) == 1
    assert len(shop.calls) == 5
    await webhooks.set_webhook(key.id, None)
    await members.register_member("09121111111", now=later)
    assert await webhooks.collect(now=later + timedelta(minutes=5)) == 0


def test_retries_wait_longer_each_time() -> None:
    assert [webhooks.backoff(n).total_seconds() for n in (1, 2, 3, 10, 12)] == [
        30,
        60,
        120,
        30 * 2**9,
        6 * 3600,
    ]


async def test_a_dead_endpoint_is_given_up_after_the_last_attempt(db: str) -> None:
    key = (await api_keys.create_key(1, "members:read", "shop")).key
    await webhooks.set_webhook(key.id, "http://127.0.0.1:9/nothing-listens")
    await members.register_member("09121234567", branch_id=1, now=NOW)
    when = NOW + timedelta(seconds=10)
    for _ in range(webhooks.MAX_ATTEMPTS):
        assert await sender.run(when) == 0
        delivery = await WebhookDelivery.get(id=1)
        when = delivery.next_attempt_at or when
    assert (delivery.attempts, delivery.next_attempt_at) == (webhooks.MAX_ATTEMPTS, None)
    assert delivery.last_error == "ClientConnectorError"


@pytest.mark.parametrize("url", ["ftp://shop.example/hook", "shop.example/hook", "http://"])
async def test_only_web_addresses_are_taken(db: str, url: str) -> None:
    key = (await api_keys.create_key(1, "members:read", "shop")).key
    with pytest.raises(LoyaltyError):
        await webhooks.set_webhook(key.id, url)


async def test_the_owner_sets_webhooks_and_sees_deliveries_in_the_bot(db: str) -> None:
    await api_keys.create_key(1, "members:read", "shop", now=NOW)
    async with harness() as h:
        answer = await h.send(OWNER, "/apikeys webhook 1 https://shop.example/club")
        secret = (await api_keys.list_keys())[0].webhook_secret
        assert answer == [
            "Events of the club go to https://shop.example/club for API key 1, signed with "
            f"this secret (shown only this once):\n{secret}"
        ]
        assert await h.send(OWNER, "/webhooks") == ["No events sent yet."]
        await members.register_member("09121234567", branch_id=1, now=NOW)
        await webhooks.collect(now=NOW + timedelta(seconds=10))
        await WebhookDelivery.filter(id=1).update(attempts=3, last_error="HTTP 502")
        assert await h.send(OWNER, "/webhooks") == [
            "#1 member.joined → 1: waiting, 3 attempts, last: HTTP 502"
        ]
        assert await h.send(OWNER, "/webhooks replay 1") == ["Event 1 will be sent again now."]
        assert await h.send(OWNER, "/apikeys webhook 1 off") == [
            "API key 1 sends no events any more."
        ]
        assert h.api.rejected == []


async def test_a_transaction_committed_late_with_a_smaller_id_is_delivered(
    receiver: tuple[Receiver, str], any_db: str
) -> None:
    """PostgreSQL takes ids before commit: the purchase that took id 1 commits after the one
    that took id 2, however long after; both are delivered, once each."""
    shop, url = receiver
    key = (await api_keys.create_key(1, "purchases:write", "till")).key
    await webhooks.set_webhook(key.id, url)
    member = (await members.register_member("09121234567", branch_id=1, now=NOW)).member
    # Another member: the first purchase's transaction holds its member's row.
    other = (await members.register_member("09121234568", branch_id=1, now=NOW)).member
    held, release = asyncio.Event(), asyncio.Event()

    async def slow_till() -> None:
        async with in_transaction():
            await earning.award_purchase(member.id, 100_000, receipt="A", now=NOW)
            held.set()
            await release.wait()

    # On SQLite the open write transaction holds the database: the second purchase waits
    # for it, so ids are committed in order there; the test is the one on PostgreSQL.
    slow = asyncio.create_task(slow_till())
    await held.wait()
    if any_db == "postgres":
        await earning.award_purchase(other.id, 200_000, receipt="B", now=NOW)
        for _ in range(3):  # rounds while the first stays open: nothing passes it
            await sender.run(NOW + timedelta(seconds=10))
        assert await Purchase.filter(receipt="B").exists()
        assert [json.loads(body)["event"] for _, body in shop.calls] == []
    release.set()
    await slow
    if any_db == "sqlite":
        await earning.award_purchase(other.id, 200_000, receipt="B", now=NOW)
    assert await sender.run(NOW + timedelta(seconds=20)) == 4
    assert await sender.run(NOW + timedelta(seconds=30)) == 0
    bodies = [json.loads(body) for _, body in shop.calls]
    receipts = [b["data"]["receipt"] for b in bodies if b["event"] == "purchase.recorded"]
    assert sorted(receipts) == ["A", "B"]
    assert [b["event"] for b in bodies].count("member.joined") == 2


async def test_each_key_receives_the_events_of_its_own_branch(
    receiver: tuple[Receiver, str], any_db: str
) -> None:
    shop, url = receiver
    await Branch.create(name="North")
    first = (await api_keys.create_key(1, "purchases:write", "till 1")).key
    second = (await api_keys.create_key(2, "purchases:write", "till 2")).key
    await webhooks.set_webhook(first.id, url + "?branch=1")
    await webhooks.set_webhook(second.id, url + "?branch=2")
    ali = (await members.register_member("09121234567", branch_id=1, now=NOW)).member
    sara = (await members.register_member("09121234568", branch_id=2, now=NOW)).member
    await members.register_member("09121234569", now=NOW)  # no home branch yet: nobody's
    await earning.award_purchase(ali.id, 100_000, receipt="R1", branch_id=1, now=NOW)
    # Enough for silver: the tier change goes to Ali's home branch, not the till's.
    await earning.award_purchase(ali.id, 5_000_000, receipt="R2", branch_id=2, now=NOW)
    north = await Reward.create(name="Tea", cost=0, branch_id=2)
    anywhere = await Reward.create(name="Coffee", cost=0)
    await rewards.redeem_reward(sara.id, north.id, key="tea", now=NOW)
    await rewards.redeem_reward(sara.id, anywhere.id, key="coffee", now=NOW)
    await rewards.redeem_reward(ali.id, anywhere.id, key="coffee-ali", now=NOW)
    await sender.run(NOW + timedelta(seconds=10))
    seen = {
        (d.api_key_id, d.event, d.payload["data"].get("receipt"), d.payload["data"]["member_id"])
        for d in await WebhookDelivery.all()
    }
    assert seen == {
        (first.id, "member.joined", None, ali.id),
        (first.id, "purchase.recorded", "R1", ali.id),
        (first.id, "points.redeemed", None, ali.id),
        (first.id, "tier.changed", None, ali.id),
        (second.id, "member.joined", None, sara.id),
        (second.id, "purchase.recorded", "R2", ali.id),
        (second.id, "points.redeemed", None, sara.id),
        (second.id, "points.redeemed", None, sara.id),
    }
    assert len(await WebhookDelivery.filter(api_key_id=second.id)) == 4
    assert {call[0]["X-Club-Delivery"] for call in shop.calls} == {
        str(d.id) for d in await WebhookDelivery.all()
    }
