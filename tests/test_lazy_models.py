"""aiogram's models, built on first use (bot/lazy_models.py), are each complete when used."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHECK = textwrap.dedent("""
    import gc

    from bot import patches
    from bot.settings import Settings

    # Before aiogram is imported, as `club` does, whatever PATCHES says.
    patches.apply(Settings(_env_file=None, patches="lazy_models,responses"))
    import aiogram.methods
    import aiogram.types
    from aiogram.methods.base import Response, TelegramMethod
    from pydantic import BaseModel

    models = [
        getattr(module, name)
        for module in (aiogram.types, aiogram.methods)
        for name in module.__all__
    ]
    models = [m for m in models if isinstance(m, type) and issubclass(m, BaseModel)]
    waiting = [m for m in models if not m.__pydantic_complete__]
    methods = [m for m in models if issubclass(m, TelegramMethod) and m is not TelegramMethod]
    responses = [Response[m.__returning__] for m in methods]
    for model in waiting + responses:
        # As pydantic does on first use: the model's own module, nothing from this frame.
        model.model_rebuild(_parent_namespace_depth=0)
    gc.collect()
    kept = all(Response[m.__returning__] is response for m, response in zip(methods, responses))
    incomplete = sum(not m.__pydantic_complete__ for m in models + responses)
    print(len(models), len(waiting), len(responses), incomplete, kept)
""")


def test_every_aiogram_model_and_response_builds_on_first_use() -> None:
    done = subprocess.run(
        [sys.executable, "-c", CHECK], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    *counts, kept = done.stdout.split()
    models, waiting, responses, incomplete = map(int, counts)
    assert models > 400
    assert waiting >= 444  # deferred at import: the lazy build is in effect
    assert responses > 100  # what aiogram reads each method's answer with
    assert incomplete == 0
    assert kept == "True"  # built once each, not again for every request


def test_the_bot_validates_updates_and_builds_requests_with_lazy_models() -> None:
    from aiogram.methods import SendMessage
    from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Update

    update = Update.model_validate(
        {
            "update_id": 7,
            "callback_query": {
                "id": "1",
                "chat_instance": "c",
                "data": "x",
                "from": {"id": 5, "is_bot": False, "first_name": "Sara"},
                "message": {
                    "message_id": 3,
                    "date": 0,
                    "chat": {"id": 5, "type": "private"},
                    "text": "menu",
                },
            },
        }
    )
    assert update.callback_query.message.text == "menu"
    assert update.callback_query.from_user.first_name == "Sara"
    markup = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="a", callback_data="b")]]
    )
    request = SendMessage(chat_id=5, text="hi", reply_markup=markup)
    assert request.model_dump(exclude_none=True)["reply_markup"] == {
        "inline_keyboard": [[{"text": "a", "callback_data": "b"}]]
    }
