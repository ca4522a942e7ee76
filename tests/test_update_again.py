"""An update handled again after a crash (its "handled" mark and dialog state lost) changes
nothing twice: the campaign dialog's Confirm schedules one campaign."""

from __future__ import annotations

import copy

import pytest
from aiogram.types import CallbackQuery, Update

from models import Campaign
from tests.test_campaign_dialog import OWNER, open_chat


async def test_confirm_handled_twice_schedules_one_campaign(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    chat = open_chat(monkeypatch, OWNER)
    await chat.send("/campaign")
    await chat.click("Next")
    await chat.click("Telegram")
    await chat.send("Spring sale")
    await chat.click("Send now")
    shown = chat.mm.last_message()
    data = next(
        b.callback_data
        for row in shown.reply_markup.inline_keyboard
        for b in row
        if b.text == "Confirm"
    )
    press = Update(
        update_id=900_001,
        callback_query=CallbackQuery(
            id="press-1", from_user=chat.client.user, chat_instance="1", message=shown, data=data
        ),
    )
    storage = chat.client.dp.storage
    before = copy.deepcopy(storage.storage)  # the dialog state a crash would have kept

    chat.mm.reset_history()
    await chat.client.dp.feed_update(chat.client.bot, press)
    assert chat.answers()[-1] == "Campaign #1 is scheduled. Follow it with /campaigns."
    storage.storage = before  # the crash: the state the press left was never written
    chat.mm.reset_history()
    await chat.client.dp.feed_update(chat.client.bot, press)  # the same update, at the next start

    assert chat.answers()[-1] == "Campaign #1 is scheduled. Follow it with /campaigns."
    assert await Campaign.all().count() == 1
