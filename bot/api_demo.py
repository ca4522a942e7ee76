"""`club api demo`: a till's whole purchase flow against a running club, over HTTP.

It is what an owner's developer reads first: each request (method and path) and the
club's answer, briefly, in the club's language. Run on the club's own machine without a
key, it makes a key for the first branch and revokes it at the end.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import orjson

from handlers.format import number
from handlers.i18n import N_, t
from loyalty import api_keys
from models import Branch, Member, Voucher, VoucherStatus

TIMEOUT = aiohttp.ClientTimeout(total=15)
BRIEF = 240  # characters of an answer shown; the rest is cut with "…"

MADE_KEY = N_("Made the demo key #{id} for branch {branch}; it is revoked at the end.")
GIVEN_KEY = N_("Using the key given with --key.")
REVOKED_KEY = N_("The demo key #{id} is revoked.")
NO_CLUB = N_("No club answered at {url}: start it with `club run` (or give --url).")
JOIN = N_("Join a member by phone")
LOOK_UP = N_("Look the member up")
PURCHASE = N_("Record a purchase (Idempotency-Key {key})")
AGAIN = N_("Send the same purchase again, as after a lost answer: the same answer")
REFUND = N_("Refund part of it")
VALIDATE = N_("Check the member's voucher")
REDEEM = N_("Use the voucher")
NO_VOUCHER = N_("The member has no voucher to use: that step is left out.")
BALANCE = N_("The member's balance now: {balance} points.")


@dataclass
class Demo:
    url: str
    key: str
    locale: str
    say: Callable[[str], None]
    session: aiohttp.ClientSession
    steps: int = field(default=0)

    async def call(
        self,
        title: str,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        **values: object,
    ) -> dict[str, Any]:
        """One request, printed with its answer; the answer's JSON."""
        self.steps += 1
        self.say(f"{number(self.steps, self.locale)}. {t(title, self.locale, **values)}")
        sent = {
            "Authorization": f"Bearer {self.key}",
            "Accept-Language": self.locale,
            **(headers or {}),
        }
        async with self.session.request(
            method, self.url + path, json=body, headers=sent
        ) as response:
            answer = await response.json(content_type=None)
            replayed = response.headers.get("Idempotent-Replayed")
        extra = f"  Idempotent-Replayed: {replayed}" if replayed else ""
        self.say(f"   {method} {path} → {response.status}{extra}")
        text = orjson.dumps(answer).decode()
        self.say("   " + (text if len(text) <= BRIEF else text[:BRIEF] + "…"))
        if response.status >= 400:
            raise SystemExit(1)  # refused: the answer above says why, in the club's language
        return answer


async def run_demo(
    url: str, key: str, phone: str, voucher: str | None, locale: str, say: Callable[[str], None]
) -> int:
    """The flow against the club at `url`; the member's balance at the end."""
    receipt = f"demo-{secrets.token_hex(4)}"
    async with aiohttp.ClientSession(timeout=TIMEOUT) as session:
        demo = Demo(url.rstrip("/"), key, locale, say, session)
        await demo.call(JOIN, "POST", "/api/v1/members", {"phone": phone, "first_name": "Demo"})
        await demo.call(LOOK_UP, "GET", f"/api/v1/members/{phone}")
        purchase = {"receipt": receipt, "amount": 250_000, "member": phone}
        once = {"Idempotency-Key": f"{receipt}-1"}
        await demo.call(
            PURCHASE, "POST", "/api/v1/purchases", purchase, once, key=once["Idempotency-Key"]
        )
        await demo.call(AGAIN, "POST", "/api/v1/purchases", purchase, once)
        refunded = await demo.call(
            REFUND,
            "POST",
            f"/api/v1/purchases/{receipt}/refund",
            {"amount": 100_000},
            {"Idempotency-Key": f"{receipt}-refund-1"},
        )
        if voucher is None:
            say(t(NO_VOUCHER, locale))
        else:
            await demo.call(VALIDATE, "POST", f"/api/v1/vouchers/{voucher}/validate", {})
            await demo.call(REDEEM, "POST", f"/api/v1/vouchers/{voucher}/redeem", {})
    balance = int(refunded.get("balance", 0))
    say(t(BALANCE, locale, balance=number(balance, locale)))
    return balance


async def demo_key() -> api_keys.NewKey:
    """A key of every scope for the club's first open branch, for the demo alone."""
    branch = await Branch.filter(active=True).order_by("id").first()
    assert branch is not None  # the club always has one (ensure_defaults)
    return await api_keys.create_key(branch.id, [scope.value for scope in api_keys.Scope], "demo")


async def voucher_of(phone: str) -> str | None:
    """An unused voucher of the member with `phone`, read from the club's own database."""
    from loyalty.phones import normalize_mobile

    member = await Member.get_or_none(phone=normalize_mobile(phone))
    if member is None:
        return None
    voucher = await Voucher.filter(member_id=member.id, status=VoucherStatus.ISSUED).first()
    return voucher.code if voucher else None
