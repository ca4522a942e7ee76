"""One chat's updates are handled in the order they came, one at a time.

`club run` (long polling, then webhook) against the fake Bot API; a member signing up
sends two things back to back without waiting for the answer in between: the name and
then the birthday, and later a double tap on a button. Each must act on the state the
one before it left.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from tortoise import Tortoise

from models import CustomerType, Gender, Member
from tests.club_runner import Club, open_fresh
from tests.fakes.bot_api import FakeBotAPI
from tests.update_runner import WebhookClub
from tests.waiting import DEADLINE as WAIT

USER = 6161


def starting(prefix: str):  # type: ignore[no-untyped-def]
    return lambda message: (message.get("text") or "").startswith(prefix)


def button(message: dict, label: str) -> str:
    rows = message["reply_markup"]["inline_keyboard"]
    return next(b["callback_data"] for row in rows for b in row if b["text"] == label)


async def sign_up_in_a_hurry(api: FakeBotAPI, send) -> None:  # type: ignore[no-untyped-def]
    """Up to the name question waiting for each answer; then never waiting for the bot."""
    await send(api.push_message(USER, "/start", first_name="Sara"))
    choose = await api.wait_for_message(
        USER, lambda m: "Choose your language" in m["text"], timeout=WAIT
    )
    await send(_callback(api, choose, "English"))
    await api.wait_for_message(USER, starting("To join, share your phone number"), timeout=WAIT)
    await send(api.push_contact(USER, "+989121234567"))
    await api.wait_for_message(USER, starting("Thank you! What is your first name?"), timeout=WAIT)

    await send(api.push_message(USER, "Sara"))  # the name, and at once the birthday
    await send(api.push_message(USER, "1991-08-03"))
    # Each next button pressed the moment it shows, before the bot has finished the step
    # that showed it; the first one twice, back to back, as members double-tap.
    gender = await api.wait_for_message(USER, starting("Are you a woman or a man?"), timeout=WAIT)
    woman = button(gender, "Woman")
    await send(_press(api, gender, woman))
    await send(_press(api, gender, woman))
    kind = await api.wait_for_message(USER, starting("Do you buy for yourself"), timeout=WAIT)
    await send(_callback(api, kind, "For myself"))  # no product groups: no interests step
    await api.wait_for_message(USER, starting("Welcome to the club, Sara!"), timeout=WAIT)


def _press(api: FakeBotAPI, message: dict, data: str) -> dict:
    api.push_callback(USER, message["message_id"], data)
    return api._updates[-1] if api._updates else {}


def _callback(api: FakeBotAPI, message: dict, label: str) -> dict:
    return _press(api, message, button(message, label))


async def check_member() -> None:
    member = await Member.get(telegram_id=USER)
    assert (member.first_name, member.birth_date, member.gender, member.customer_type) == (
        "Sara",
        date(1991, 8, 3),
        Gender.FEMALE,
        CustomerType.INDIVIDUAL,
    )


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_two_updates_back_to_back_act_in_order(mode: str, tmp_path: Path) -> None:
    url = await open_fresh("sqlite", tmp_path)
    await Tortoise.close_connections()
    async with FakeBotAPI() as api:
        api.add_user(USER, language_code="en")
        club = (WebhookClub if mode == "webhook" else Club)(api, url, tmp_path)
        sent: list[dict] = []

        async def send(update: dict) -> None:
            sent.append(update)
            if mode == "webhook":
                assert await club.post(update) == 200  # type: ignore[attr-defined]

        try:
            await club.start()
            await sign_up_in_a_hurry(api, send)
        finally:
            if isinstance(club, WebhookClub):
                await club.close()
            else:
                await club.kill()
        # The second tap re-shows the step it met: Telegram refuses an edit that changes nothing.
        assert all("message is not modified" in reason for _, _, reason in api.rejected), (
            api.rejected
        )
        assert "Traceback" not in club.log(), club.log()
    await open_fresh_again(url)
    try:
        await check_member()
    finally:
        await Tortoise.close_connections()


async def open_fresh_again(url: str) -> None:
    from bot.db import open_db

    await open_db(url, run_migrations=False)
