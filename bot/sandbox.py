"""`club chat`: the real dispatcher and dialogs in a terminal, without Telegram or a network.

A local session stands in for the Bot API: every call the bot makes is answered here and
shown to the operator, buttons numbered. `#2` presses button 2 of the latest message;
anything else, a bare number included (a stock of 2, an amount), is sent as text, since a
step that asks for a number must get it. Photos and documents the bot sends (QR cards,
charts, spreadsheets) are saved under `sandbox-files/` and their path shown, and the
notifications the club queues for the member played (the outbox) appear in the chat.
The session is also what the dialog tests use to see messages the handlers send
themselves (photos, refusals).
"""

from __future__ import annotations

import asyncio
import html
import itertools
import re
import sys
from collections.abc import AsyncGenerator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import (
    CallbackQuery,
    Chat,
    Contact,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    ReplyKeyboardMarkup,
    Update,
    User,
)
from tortoise.expressions import Q

from bot.settings import Settings
from handlers.i18n import N_, t
from handlers.notifications import render
from loyalty.clock import utcnow
from loyalty.text import to_ascii_digits
from models import Channel, OutboxMessage, OutboxStatus

BOT_USER = User(id=1, is_bot=True, first_name="Club", username="club_sandbox_bot")
_TAGS = re.compile(r"<[^>]+>")
FILES = Path("sandbox-files")


class LocalSession(BaseSession):
    """Answers Bot API calls in-process and keeps every message the bot sent or edited."""

    def __init__(
        self,
        on_message: Callable[[Message, bool], None] | None = None,
        *,
        files: Path | None = None,
    ) -> None:
        super().__init__()
        self.on_message = on_message
        self.files = files  # where photos and documents sent are saved; None: not saved
        self.saved: dict[tuple[int, int], Path] = {}
        self.on_alert: Callable[[str], None] | None = None
        self.calls: list[TelegramMethod[Any]] = []
        self.messages: dict[tuple[int, int], Message] = {}
        # Messages sent without a parse mode: their "<" and "&" are text, not HTML.
        self.plain_texts: set[tuple[int, int]] = set()
        self._ids = itertools.count(1_000_000)

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 (aiogram's BaseSession interface)
    ) -> Any:
        self.calls.append(method)
        name = type(method).__name__
        if name == "GetMe":
            return BOT_USER
        if name.startswith("Send") and name != "SendChatAction":
            message_id = next(self._ids)
            await self._save_files(bot, method, message_id)
            return self._store(method, message_id, edited=False)
        if name.startswith("Edit"):
            return self._store(method, method.message_id, edited=True)
        if name == "AnswerCallbackQuery" and method.text and self.on_alert is not None:
            self.on_alert(method.text)
        if name == "DeleteMessage":
            self.messages.pop((int(method.chat_id), method.message_id), None)
        return True

    async def _save_files(self, bot: Bot, method: Any, message_id: int) -> None:
        if self.files is None:
            return
        for kind in ("photo", "document"):
            upload = getattr(method, kind, None)
            if not isinstance(upload, InputFile):
                continue  # a file id or URL: nothing here to save
            data = b"".join([chunk async for chunk in upload.read(bot)])
            # The message id first: two charts with one file name do not overwrite each other.
            path = self.files / f"{message_id}-{Path(upload.filename or kind).name}"
            await asyncio.to_thread(_write, path, data)
            self.saved[(int(method.chat_id), message_id)] = path

    def _store(self, method: Any, message_id: int, *, edited: bool) -> Message:
        chat_id = int(method.chat_id)
        old = self.messages.get((chat_id, message_id))
        text = getattr(method, "text", None)
        caption = getattr(method, "caption", None)
        if old is not None and text is None and caption is None:
            text, caption = old.text, old.caption
        markup = getattr(method, "reply_markup", None)
        message = Message(
            message_id=message_id,
            date=datetime.now(UTC),
            chat=Chat(id=chat_id, type="private"),
            from_user=BOT_USER,
            text=text if caption is None else None,
            caption=caption,
            reply_markup=markup if isinstance(markup, InlineKeyboardMarkup) else None,
        )
        self.messages[(chat_id, message_id)] = message
        if text is not None or caption is not None:
            if getattr(method, "parse_mode", "HTML") is None:
                self.plain_texts.add((chat_id, message_id))
            else:
                self.plain_texts.discard((chat_id, message_id))
        if isinstance(markup, ReplyKeyboardMarkup):
            self.reply_keyboard = markup
        if self.on_message is not None:
            self.on_message(message, edited)
        return message

    def sent(self, name: str = "SendMessage") -> list[Any]:
        return [call for call in self.calls if type(call).__name__ == name]

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,  # noqa: ASYNC109 (aiogram's BaseSession interface)
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        yield b""

    async def close(self) -> None:
        """Nothing to close: no connections."""


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def plain(text: str | None) -> str:
    """What Telegram shows of a text in HTML mode: the tags applied, entities decoded."""
    return html.unescape(_TAGS.sub("", text or ""))


class Sandbox:
    """One member (or staff member) typing to the bot in a terminal."""

    def __init__(
        self,
        settings: Settings,
        user_id: int,
        *,
        write: Callable[[str], None] = print,
        files: Path = FILES,
    ) -> None:
        from bot.app import build_bot, build_dispatcher

        self.write = write
        self.settings = settings
        self.session = LocalSession(self._show, files=files)
        self.session.on_alert = lambda text: self.write("! " + text)
        self.bot = build_bot(settings, session=self.session)
        self.dp = build_dispatcher(settings)
        self.user = User(
            id=user_id, is_bot=False, first_name="Sandbox", language_code=settings.default_locale
        )
        self.chat = Chat(id=user_id, type="private")
        self.buttons: list[tuple[str, Any]] = []
        self.last: Message | None = None
        self.session.reply_keyboard = None
        self._updates = itertools.count(1)
        self._messages = itertools.count(1)

    def _show(self, message: Message, edited: bool) -> None:
        head = "~ " if edited else "> "
        text = message.text or message.caption or t(N_("[picture]"), self.settings.default_locale)
        if (message.chat.id, message.message_id) not in self.session.plain_texts:
            text = plain(text)
        self.write(head + text.replace("\n", "\n  "))
        saved = self.session.saved.get((message.chat.id, message.message_id))
        if saved is not None:
            self.write("  " + t(N_("File saved: {path}"), self.settings.default_locale, path=saved))
        self.buttons = []
        if message.reply_markup:
            self.last = message
            for row in message.reply_markup.inline_keyboard:
                for button in row:
                    self.buttons.append((button.text, button))
        elif self.session.reply_keyboard is not None and not edited:
            for row in self.session.reply_keyboard.keyboard:
                for button in row:
                    self.buttons.append((button.text, button))
        for number, (label, _) in enumerate(self.buttons, 1):
            self.write(f"  [#{number}] {label}")

    def _message(self, **content: Any) -> Message:
        return Message(
            message_id=next(self._messages),
            date=datetime.now(UTC),
            chat=self.chat,
            from_user=self.user,
            **content,
        )

    async def type(self, line: str) -> None:
        """What the operator typed: `#n` presses button n, anything else is a message."""
        line = line.strip()
        number = to_ascii_digits(line[1:])
        if line.startswith("#") and number.isdigit():
            if 1 <= int(number) <= len(self.buttons):
                await self._press(self.buttons[int(number) - 1][1])
            else:
                self.write(t(NO_BUTTON, self.settings.default_locale, button=line))
        else:
            await self._feed(message=self._message(text=line))
        await self.show_notifications()

    async def show_notifications(self) -> None:
        """The member's queued Telegram messages, shown here and marked sent.

        Only this user's rows: `club chat` may run beside the real bot, whose sender
        delivers everyone else's. A row the sender took first is left to it."""
        now = utcnow()
        rows = (
            await OutboxMessage.filter(
                Q(channel=None) | Q(channel=Channel.TELEGRAM),
                member__telegram_id=self.user.id,
                phone=None,
                status=OutboxStatus.PENDING,
                next_attempt_at__lte=now,
            )
            .order_by("id")
            .prefetch_related("member")
        )
        for row in rows:
            taken = await OutboxMessage.filter(id=row.id, status=OutboxStatus.PENDING).update(
                status=OutboxStatus.SENT, sent_at=now
            )
            if taken:
                text = render(
                    row.template, row.params, row.member.locale, sms=False, tz=self.settings.tz
                )
                self.write("> " + text.replace("\n", "\n  "))

    async def _press(self, button: Any) -> None:
        if getattr(button, "request_contact", None):
            self.session.reply_keyboard = None
            phone = f"+98912{self.user.id % 10_000_000:07d}"
            contact = Contact(
                phone_number=phone, first_name=self.user.first_name, user_id=self.user.id
            )
            await self._feed(message=self._message(contact=contact))
        elif getattr(button, "callback_data", None) and self.last is not None:
            query = CallbackQuery(
                id=str(next(self._updates)),
                from_user=self.user,
                chat_instance="sandbox",
                message=self.last,
                data=button.callback_data,
            )
            await self._feed(callback_query=query)
        else:
            await self._feed(message=self._message(text=button.text))

    async def _feed(self, **content: Any) -> None:
        await self.dp.feed_update(self.bot, Update(update_id=next(self._updates), **content))


NO_BUTTON = N_("There is no button {button} under the latest message.")


def introduction(settings: Settings, user_id: int) -> str:
    """Who the sandbox plays, how to play the owner, and how to press a button."""
    locale = settings.default_locale
    lines = [t(N_("You are Telegram user {user}."), locale, user=user_id)]
    if user_id in settings.owner_ids:
        lines.append(t(N_("This user is an owner (OWNER_IDS)."), locale))
    elif settings.owner_ids:
        lines.append(
            t(
                N_("To play the owner, start with: club chat --user {owner}"),
                locale,
                owner=settings.owner_ids[0],
            )
        )
    else:
        lines.append(
            t(
                N_(
                    "To play the owner, set OWNER_IDS={user} (in .env or the environment) and "
                    "start again with: club chat --user {user}"
                ),
                locale,
                user=user_id,
            )
        )
    lines.append(
        t(
            N_(
                "Type a message; #2 presses button 2 (a bare number is sent as text). "
                "Files the bot sends are saved in {folder}. Ctrl-D ends."
            ),
            locale,
            folder=f"{FILES}/",
        )
    )
    return "\n".join(lines)


async def chat(settings: Settings, user_id: int) -> None:
    """The terminal loop of `club chat`; the database is already open."""
    sandbox = Sandbox(settings, user_id)
    print(introduction(settings, user_id), file=sys.stderr)
    await sandbox.type("/start")
    while True:
        try:
            line = await asyncio.to_thread(input, "you: ")
        except EOFError:
            break
        if line.strip():
            await sandbox.type(line)
