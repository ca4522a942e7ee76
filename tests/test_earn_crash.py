"""kill -9 of `club run` during a burst of /earn commands costs nothing acknowledged.

The real command long-polls the fake Bot API while 200 owners each record one purchase.
After a number of "Purchase recorded" replies (the cashier's acknowledgement) it is
killed with SIGKILL and started again; every owner whose command got no answer sends it
again, as a cashier would, and a few who did get an answer send it again too. In the end
every purchase is recorded exactly once, every acknowledged one among them, and every
balance equals its member's ledger.

Telegram's long polling confirms a batch of updates when the next batch is asked for, so
commands fetched but not yet handled at the kill are not delivered again: their
cashiers saw no answer and send them again, which is what this test does.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tortoise import Tortoise

from bot.db import close_db, open_db
from loyalty import ledger
from loyalty.members import register_member
from models import Member, Purchase
from tests.club_runner import Club, open_fresh
from tests.conftest import NOW, _backends
from tests.fakes.bot_api import FakeBotAPI

OWNERS = tuple(range(5001, 5201))  # enough that the kill lands in the middle of the burst
AMOUNT = 100_000  # 10 points at the default rules
KILL_AFTER = 15  # acknowledgements before the kill
RETRIED_ANYWAY = 3  # acknowledged commands a cashier sends again all the same
RECORDED = "Purchase recorded: 10 points earned."
ALREADY = "This receipt was already recorded: 10 points were earned then."
# A new member's purchase of AMOUNT, as the cashier reads it (with the offer after it).
ANSWER = f"{RECORDED} Balance: 30. Tier: Bronze.\nNext tier: Silver, 490 points away."


def phone(n: int) -> str:
    return f"0912{n:07d}"


def command(n: int) -> str:
    return f"/earn {phone(n)} {AMOUNT} crash-{n}"


async def prepare(backend: str, tmp_path: Path) -> str:
    url = await open_fresh(backend, tmp_path)
    for n in range(len(OWNERS)):
        await register_member(phone(n), now=NOW)
    await close_db()
    return url


def answers(api: FakeBotAPI) -> dict[int, list[str]]:
    """The texts each owner received, in order."""
    texts: dict[int, list[str]] = {owner: [] for owner in OWNERS}
    for method, params in list(api.calls):
        if method == "sendMessage" and params["chat_id"] in texts:
            texts[params["chat_id"]].append(params["text"])
    return texts


@pytest.mark.parametrize("backend", _backends())
async def test_kill_9_during_a_burst_of_earn_commands(backend: str, tmp_path: Path) -> None:
    url = await prepare(backend, tmp_path)
    async with FakeBotAPI() as api:
        for owner in OWNERS:
            api.add_user(owner, language_code="en")
        club = Club(api, url, tmp_path, owners=OWNERS)
        try:
            for n, owner in enumerate(OWNERS):
                api.push_message(owner, command(n), language_code="en")
            await club.start()

            def acknowledged() -> set[int]:
                return {owner for owner, texts in answers(api).items() if texts}

            await club.until(
                lambda: len(acknowledged()) >= KILL_AFTER, f"{KILL_AFTER} acknowledgements"
            )
            await club.kill()
            acked = acknowledged()
            assert all(texts in ([], [ANSWER]) for texts in answers(api).values())
            assert len(acked) < len(OWNERS), "the kill came after the burst: nothing was tested"

            await club.start()
            unanswered = [n for n, owner in enumerate(OWNERS) if owner not in acked]
            again = (
                unanswered
                + [n for n, owner in enumerate(OWNERS) if owner in acked][:RETRIED_ANYWAY]
            )
            for n in again:
                api.push_message(OWNERS[n], command(n), language_code="en")
            await club.until(
                lambda: all(
                    len(answers(api)[OWNERS[n]]) >= (2 if OWNERS[n] in acked else 1) for n in again
                ),
                "answers after the restart",
            )
        finally:
            await club.kill()

    texts = answers(api)
    for n in again:
        last = texts[OWNERS[n]][-1]
        # Recorded before the kill without an answer, or a second send: the same result.
        assert last in (ANSWER, f"{ALREADY} Balance: 30. Tier: Bronze."), last

    await open_db(url, run_migrations=False)
    try:
        purchases = await Purchase.all().values_list("receipt", flat=True)
        assert sorted(purchases) == sorted(
            f"crash-{n}" for n in range(len(OWNERS))
        )  # each exactly once
        for member in await Member.all():
            assert member.balance == 30 == await ledger.ledger_sum(member.id)
    finally:
        await close_db()
        if backend == "postgres":
            await Tortoise.close_connections()
