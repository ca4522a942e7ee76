"""The whole bot, configured as `club run` configures it, long-polling the strict fake Bot API."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest_asyncio

from bot.app import build_bot, build_dispatcher, used_updates
from bot.settings import Settings
from loyalty import earning
from models import FsmRecord, Member, Voucher
from tests import helpers
from tests.fakes.bot_api import FakeBotAPI
from tests.waiting import DEADLINE, eventually

USER = 5151


@pytest_asyncio.fixture
async def api(db: str) -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as fake:
        settings = Settings(
            _env_file=None, bot_token=fake.token, telegram_api_base=fake.base_url, database_url=db
        )
        bot = build_bot(settings)
        dp = build_dispatcher(settings)
        polling = asyncio.create_task(
            dp.start_polling(
                bot, handle_signals=False, polling_timeout=1, allowed_updates=used_updates(dp)
            )
        )
        try:
            yield fake
        finally:
            await dp.stop_polling()
            await asyncio.wait_for(polling, DEADLINE)
            await bot.session.close()
            await dp.storage.close()  # as `club run` stops: the dialog state left is written


def starting(prefix: str):  # type: ignore[no-untyped-def]
    return lambda message: (message.get("text") or "").startswith(prefix)


async def press(api: FakeBotAPI, message: dict, label: str) -> None:
    buttons = [b for row in message["reply_markup"]["inline_keyboard"] for b in row]
    data = next(b["callback_data"] for b in buttons if b["text"] == label)
    api.push_callback(USER, message["message_id"], data)


async def test_sign_up_earn_and_redeem_over_http(api: FakeBotAPI) -> None:
    await helpers.reward(15, name="Coffee")
    api.push_message(USER, "/start", first_name="Sara")
    choose = await api.wait_for_message(USER, lambda m: "Choose your language" in m["text"])
    await press(api, choose, "English")
    ask = await api.wait_for_message(USER, starting("To join, share your phone number"))
    assert ask["reply_markup"]["keyboard"][0][0] == {
        "text": "Share my phone number",
        "request_contact": True,
    }

    api.push_contact(USER, "+989121234567", contact_user_id=99)
    refusal = await api.wait_for_message(USER, starting("That is someone else's number"))
    assert (
        refusal["text"]
        == "That is someone else's number. Please share your own with the button below."
    )
    api.push_contact(USER, "+989121234567")
    await api.wait_for_message(USER, lambda m: m["text"] == "Thank you! What is your first name?")
    api.push_message(USER, "Sara")
    birthday = await api.wait_for_message(USER, starting("When is your birthday?"))
    await press(api, birthday, "Skip")
    gender = await api.wait_for_message(USER, starting("Are you a woman or a man?"))
    await press(api, gender, "Skip")
    kind = await api.wait_for_message(USER, starting("Do you buy for yourself"))
    await press(api, kind, "For myself")
    welcome = await api.wait_for_message(USER, starting("Welcome to the club"))
    assert welcome["text"] == "Welcome to the club, Sara! You received 20 points for joining."

    member = await Member.get(telegram_id=USER)
    earned = await earning.award_purchase(member.id, 300_000, receipt="till-1")
    await press(api, welcome, "Open the menu")
    menu = await api.wait_for_message(USER, starting("Hello Sara!"))
    assert menu["text"].startswith(f"Hello Sara! You have {earned.balance} points.")

    await press(api, menu, "Rewards")
    catalog = await api.wait_for_message(USER, starting("Rewards (page 1 of 1)"))
    await press(api, catalog, "✅ Coffee: 15 points")
    confirm = await api.wait_for_message(USER, starting("Take Coffee"))
    await press(api, confirm, "Yes, redeem")
    shown = await api.wait_for_message(USER, starting("Your voucher for Coffee"))

    voucher = await Voucher.get(member_id=member.id)
    balance = earned.balance - 15
    assert shown["text"].splitlines()[0] == f"Your voucher for Coffee: {voucher.code}"
    assert shown["text"].endswith(f"Your balance is now {balance} points.")
    assert [e["type"] for e in shown["entities"]] == ["code"]
    assert (await Member.get(id=member.id)).balance == balance
    # Dialog state lives in the database, written by itself a moment after each change.
    rows = FsmRecord.filter(key__contains=str(USER))
    await eventually(rows.exists, "the dialog state's rows")
    assert api.rejected == []
