"""`club api demo`: a till's whole flow against `club run`, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import aiohttp
import pytest

from tests.cli_harness import Club as ClubCommand
from tests.cli_harness import club  # noqa: F401 (the fixture)
from tests.club_runner import Club
from tests.fakes.bot_api import FakeBotAPI
from tests.helpers import free_port
from tests.waiting import eventually

PHONE = "09120000000"


async def _answers(url: str) -> bool:
    try:
        async with aiohttp.ClientSession() as session, session.get(url + "/healthz") as answer:
            return answer.status == 200
    except aiohttp.ClientError:
        return False


async def test_the_demo_plays_a_till_against_the_running_club(
    club: Callable[[str], ClubCommand],  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run = club("en")
    port = free_port()
    monkeypatch.setenv("WEB_PORT", str(port))
    # The member already has a voucher (a free coffee), so the demo shows the till using it.
    for args in (
        ("member", "add", PHONE, "--first-name", "Demo"),
        ("reward", "add", "Coffee", "10"),
        ("redeem", PHONE, "1"),
    ):
        assert (await asyncio.to_thread(run, *args))[0] == 0, args
    async with FakeBotAPI() as api:
        bot = Club(api, f"sqlite://{tmp_path}/club.sqlite3", tmp_path)
        bot.env["WEB_PORT"] = str(port)
        await bot.start()
        try:
            url = f"http://127.0.0.1:{port}"
            await bot.until(lambda: True, "start")
            await eventually(lambda: _answers(url), "the club's web app answers")
            exit_code, out, err = await asyncio.to_thread(run, "api", "demo")
        finally:
            await bot.kill()
    assert (exit_code, err) == (0, "")
    with closing(sqlite3.connect(tmp_path / "club.sqlite3")) as database:
        ((balance, ledger),) = database.execute(
            "SELECT balance, (SELECT SUM(amount) FROM ledger_entry WHERE member_id = member.id)"
            " FROM member WHERE phone = '+989120000000'"
        )
        ((code, status),) = database.execute("SELECT code, status FROM voucher")
        ((revoked,),) = database.execute("SELECT revoked_at IS NOT NULL FROM api_key")
    # 20 for joining, 10 for the coffee, 25 for the purchase, 10 back with the refund.
    assert (balance, ledger, status, revoked) == (25, 25, "used", 1)
    receipt = re.search(r'"receipt":"(demo-[0-9a-f]{8})"', out)
    assert receipt, out
    lines = [line for line in out.splitlines() if not line.startswith("   {")]
    assert lines == [
        "Made the demo key #1 for branch 1; it is revoked at the end.",
        "1. Join a member by phone",
        "   POST /api/v1/members → 200",
        "2. Look the member up",
        f"   GET /api/v1/members/{PHONE} → 200",
        f"3. Record a purchase (Idempotency-Key {receipt[1]}-1)",
        "   POST /api/v1/purchases → 201",
        "4. Send the same purchase again, as after a lost answer: the same answer",
        "   POST /api/v1/purchases → 201  Idempotent-Replayed: true",
        "5. Refund part of it",
        f"   POST /api/v1/purchases/{receipt[1]}/refund → 200",
        "6. Check the member's voucher",
        f"   POST /api/v1/vouchers/{code}/validate → 200",
        "7. Use the voucher",
        f"   POST /api/v1/vouchers/{code}/redeem → 200",
        "The member's balance now: 25 points.",
        "The demo key #1 is revoked.",
    ]


def test_without_a_club_to_answer_the_demo_says_so_in_one_line(
    club: Callable[[str], ClubCommand],  # noqa: F811
) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    code, out, err = club("en")("api", "demo", "--url", url, "--key", "club_x")
    assert (code, out, err) == (
        1,
        "Using the key given with --key.\n1. Join a member by phone\n",
        f"No club answered at {url}: start it with `club run` (or give --url).\n",
    )
