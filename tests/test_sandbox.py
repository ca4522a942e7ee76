"""`club chat`: who it plays, buttons pressed with #n, files saved, notifications shown."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from bot.sandbox import Sandbox, introduction
from bot.settings import Settings
from loyalty import earning, members
from models import OutboxMessage, OutboxStatus, Reward

OWNER = 1000
MEMBER = 5555


@asynccontextmanager
async def sandbox(
    user: int, language: str, files: Path
) -> AsyncIterator[tuple[Sandbox, list[str]]]:
    lines: list[str] = []
    settings = Settings(_env_file=None, owner_ids=[OWNER], default_locale=language)
    chat = Sandbox(settings, user, write=lines.append, files=files)
    try:
        yield chat, lines
    finally:
        await chat.dp.storage.close()


async def typed(chat: Sandbox, lines: list[str], *inputs: str) -> list[str]:
    """What the chat showed after the inputs."""
    before = len(lines)
    for line in inputs:
        await chat.type(line)
    return lines[before:]


@pytest.mark.parametrize(
    ("language", "stock_prompt"),
    [
        ("en", "~ How many can be given out? Send a number, or choose unlimited."),
        ("fa", None),
    ],
)
async def test_a_number_typed_in_a_text_step_is_text(
    db: str, tmp_path: Path, language: str, stock_prompt: str | None
) -> None:
    async with sandbox(OWNER, language, tmp_path) as (chat, lines):
        # The list, Add, a name, a cost, "a product", then the stock step.
        shown = await typed(chat, lines, "/rewards", "#1", "Coffee", "30", "#1")
        if stock_prompt is not None:
            assert shown[-3:] == [stock_prompt, "  [#1] Unlimited", "  [#2] Cancel"]
        # "2" is the stock, not button 2 (Cancel); then everyone, no end date, save.
        await typed(chat, lines, "2", "#1", "#1", "#1")
    reward = await Reward.get(name="Coffee")
    assert (reward.cost, reward.stock) == (30, 2)


@pytest.mark.parametrize(
    ("language", "told"),
    [
        ("en", "There is no button #9 under the latest message."),
        ("fa", "زیر آخرین پیام دکمه #۹ نیست."),
    ],
)
async def test_a_button_that_is_not_there_is_said(
    db: str, tmp_path: Path, language: str, told: str
) -> None:
    async with sandbox(OWNER, language, tmp_path) as (chat, lines):
        await typed(chat, lines, "/rewards")
        assert await typed(chat, lines, "#9" if language == "en" else "#۹") == [told]


@pytest.mark.parametrize(
    ("language", "saved"), [("en", "  File saved: {path}"), ("fa", "  پرونده ذخیره شد: {path}")]
)
async def test_files_the_bot_sends_are_saved_and_their_path_shown(
    db: str, tmp_path: Path, language: str, saved: str
) -> None:
    await members.register_member("09121234567", first_name="Sara")
    folder = tmp_path / "sandbox-files"
    async with sandbox(OWNER, language, folder) as (chat, lines):
        shown = await typed(chat, lines, "/export")
    [path] = folder.iterdir()
    assert path.name.endswith("-members.xlsx") and path.read_bytes().startswith(b"PK")
    assert shown[-1] == saved.format(path=path)


@pytest.mark.parametrize(
    ("language", "notice"),
    [
        ("en", "> You earned 25 points for your purchase of 250,000. Your balance is 45."),
        ("fa", "> برای خرید ۲۵۰٬۰۰۰ تومانی، ۲۵ امتیاز گرفتید. موجودی شما: ۴۵ امتیاز."),
    ],
)
async def test_the_members_notifications_appear_in_the_chat(
    db: str, tmp_path: Path, language: str, notice: str
) -> None:
    joined = await members.register_member(
        "09121234567", first_name="Sara", telegram_id=MEMBER, locale=language
    )
    other = await members.register_member("09127654321", first_name="Reza", telegram_id=7777)
    await earning.award_purchase(joined.member.id, 250_000, receipt="R1")
    await earning.award_purchase(other.member.id, 250_000, receipt="R2")
    async with sandbox(MEMBER, language, tmp_path) as (chat, lines):
        assert (await typed(chat, lines, "/start"))[-1] == notice
        await typed(chat, lines, "/start")
        assert lines.count(notice) == 1  # shown once
    statuses = dict(await OutboxMessage.all().values_list("member_id", "status"))
    # Someone else's message is left to the real sender.
    assert statuses == {joined.member.id: OutboxStatus.SENT, other.member.id: OutboxStatus.PENDING}


def settings_for(owners: list[int], language: str) -> Settings:
    return Settings(_env_file=None, owner_ids=owners, default_locale=language)


@pytest.mark.parametrize(
    ("owners", "user", "language", "expected"),
    [
        (
            [OWNER],
            OWNER,
            "en",
            ["You are Telegram user 1000.", "This user is an owner (OWNER_IDS)."],
        ),
        (
            [OWNER],
            MEMBER,
            "en",
            ["You are Telegram user 5555.", "To play the owner, start with: club chat --user 1000"],
        ),
        (
            [],
            MEMBER,
            "fa",
            [
                "شما کاربر تلگرام 5555 هستید.",
                "برای نقش مالک، OWNER_IDS=5555 را (در ‎.env یا محیط) بگذارید و دوباره این‌طور "
                "شروع کنید: club chat --user 5555",
            ],
        ),
    ],
)
def test_the_sandbox_says_whom_it_plays(
    owners: list[int], user: int, language: str, expected: list[str]
) -> None:
    assert introduction(settings_for(owners, language), user).split("\n")[:2] == expected


def test_club_chat_starts_with_the_introduction(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "chat", "--user", "1000"],
        env={
            **os.environ,
            "DATABASE_URL": f"sqlite://{tmp_path}/club.sqlite3",
            "DEFAULT_LOCALE": "en",
            "OWNER_IDS": "1000",
            "BOT_TOKEN": "",
        },
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.split("\n")[:3] == [
        "You are Telegram user 1000.",
        "This user is an owner (OWNER_IDS).",
        "Type a message; #2 presses button 2 (a bare number is sent as text). Files the bot "
        "sends are saved in sandbox-files/. Ctrl-D ends.",
    ]
    assert "Traceback" not in result.stderr
