"""The framework's floor for benchmark 1: a bare aiogram bot, no club, the same fake.

    python -m bench.floor                 # 3,000 members press a button at once

The bot long-polls the fake Bot API like `club run`; /start answers with a menu of ten
buttons (Persian labels, as the club's), and every press edits the message (the same
menu) and answers the callback: the two requests a member's press costs the club too,
with nothing else. What it handles per second, and its CPU per press, is what aiogram and
aiohttp take on this machine before any work of the club's: the most benchmark 1 could
reach in one process.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from typing import Any

import aiohttp

from bench.chat import Fake
from bench.club_process import Child, club_env, fake_bot_api, free_port

LABELS = [
    "امتیاز من",
    "تاریخچه",
    "جوایز",
    "کارت من",
    "کوپن‌ها",
    "دعوت",
    "نظر",
    "پیام‌ها",
    "نمایه",
    "زبان",
]
FIRST_USER = 500_000


def serve() -> None:
    """The bare bot, in the child process."""
    # `bot` first: it has aiogram build its models on first use, as in club run.
    import bot  # noqa: F401, I001
    from aiogram import Bot, Dispatcher
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.filters import CommandStart
    from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

    menu = InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=label, callback_data=f"menu:{n}")]
            for n, label in enumerate(LABELS)
        ]
    )
    dp = Dispatcher()

    @dp.message(CommandStart())
    async def start(message: Message) -> None:
        await message.answer("منو", reply_markup=menu)

    @dp.callback_query()
    async def press(callback: CallbackQuery) -> None:
        assert callback.message is not None
        await callback.message.edit_text(f"منو {callback.data}", reply_markup=menu)  # type: ignore[union-attr]
        await callback.answer()

    async def main() -> None:
        api = TelegramAPIServer.from_base(os.environ["TELEGRAM_API_BASE"])
        bot_ = Bot(os.environ["BOT_TOKEN"], session=AiohttpSession(api=api))
        await dp.start_polling(bot_, tasks_concurrency_limit=64)

    asyncio.run(main())


async def drive(port: int, child: Child, members: int) -> dict[str, Any]:
    async with aiohttp.ClientSession() as session:
        fake = Fake(session, port)
        users = list(range(FIRST_USER, FIRST_USER + members))
        await fake.push(
            [{"action": "push_message", "kwargs": {"user_id": u, "text": "/start"}} for u in users]
        )
        await fake.wait_handled(1, members, timeout=300)
        cpu = child.cpu_seconds()
        await fake.push(
            [{"action": "press", "kwargs": {"user_id": u, "text": LABELS[1]}} for u in users]
        )
        records = await fake.wait_handled(members + 1, members, timeout=300)
        cpu = child.cpu_seconds() - cpu
    seconds = max(r["handled_at"] for r in records) - min(r["pushed_at"] for r in records)
    return {
        "benchmark": "floor",
        "presses": members,
        "seconds": round(seconds, 2),
        "per_second": round(members / seconds, 1),
        "cpu_ms_per_press": round(cpu / members * 1000, 2),
        "loadavg": os.getloadavg()[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("role", nargs="?", default="drive", choices=["drive", "bot"])
    parser.add_argument("--members", type=int, default=3_000)
    args = parser.parse_args()
    if args.role == "bot":
        serve()
        return
    port = free_port()
    with (
        fake_bot_api(port),
        Child(
            [sys.executable, "-m", "bench.floor", "bot"],
            env=club_env("sqlite://:memory:", bot_api_port=port),
        ) as child,
    ):
        result = asyncio.run(drive(port, child, args.members))
    for key, value in result.items():
        print(f"{key:>18}  {value}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
