"""The fake Bot API, driven by a real aiogram Bot over HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import orjson
import pytest
import pytest_asyncio
from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNotFound,
    TelegramRetryAfter,
)
from aiogram.filters import CommandStart
from aiogram.methods import SendDocument, SendMessage
from aiogram.methods.base import TelegramMethod
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
)

from bot.telegram_session import JsonSession
from tests.fakes.bot_api import BOT_ID, FakeBotAPI
from tests.waiting import DEADLINE, eventually

pytestmark = pytest.mark.asyncio

USER = 42


@pytest_asyncio.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as fake:
        yield fake


@pytest_asyncio.fixture(params=[AiohttpSession, JsonSession])
async def bot(api: FakeBotAPI, request: pytest.FixtureRequest) -> AsyncIterator[Bot]:
    """aiogram's own session, and the club's, which sends a request without a file as JSON."""
    session = request.param(api=TelegramAPIServer.from_base(api.base_url))
    bot = Bot(api.token, session=session)
    yield bot
    await bot.session.close()


async def raw_call(api: FakeBotAPI, method: str, **kwargs: Any) -> tuple[int, dict]:
    """A request without aiogram, to check status codes and bodies exactly."""
    url = f"{api.base_url}/bot{api.token}/{method}"
    async with aiohttp.ClientSession() as session, session.post(url, **kwargs) as resp:
        return resp.status, await resp.json()


def inline(data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Go", callback_data=data)]]
    )


# ---- identity, routing ------------------------------------------------------------------


async def test_get_me(bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.first_name, me.is_bot) == (BOT_ID, "club_test_bot", "Club", True)


async def test_unknown_method_is_404(api: FakeBotAPI, bot: Bot) -> None:
    class GetBogusThing(TelegramMethod[bool]):
        __returning__ = bool
        __api_method__ = "getBogusThing"

    with pytest.raises(TelegramNotFound):
        await bot(GetBogusThing())
    status, body = await raw_call(api, "getBogusThing")
    assert (status, body) == (404, {"ok": False, "error_code": 404, "description": "Not Found"})


async def test_method_names_are_case_insensitive_and_json_bodies_work(api: FakeBotAPI) -> None:
    api.add_user(USER)
    status, body = await raw_call(api, "SENDMESSAGE", json={"chat_id": USER, "text": "hi"})
    assert status == 200 and body["result"]["text"] == "hi"
    assert api.calls[-1] == ("sendMessage", {"chat_id": USER, "text": "hi"})


async def test_wrong_token_is_401(api: FakeBotAPI) -> None:
    url = f"{api.base_url}/bot1:nope/getMe"
    async with aiohttp.ClientSession() as session, session.post(url) as resp:
        assert resp.status == 401


# ---- strict parameters --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "description"),
    [
        ({"chat_id": str(USER)}, "Bad Request: message text is empty"),
        (
            {"chat_id": str(USER), "text": "x", "colour": "red"},
            'Bad Request: unknown parameter "colour"',
        ),
        (
            {"chat_id": str(USER), "text": "x", "disable_notification": "maybe"},
            'Bad Request: parameter "disable_notification" must be of type Boolean',
        ),
        (
            {
                "chat_id": str(USER),
                "text": "x",
                "reply_markup": '{"inline_keyboard": '
                '[[{"text": "a", "callback_data": "b", "colour": 1}]]}',
            },
            "Bad Request: can't parse reply_markup.inline_keyboard[0][0]: "
            'unknown field "colour" in InlineKeyboardButton',
        ),
        (
            {
                "chat_id": str(USER),
                "text": "x",
                "reply_markup": '{"keyboard": [[{"text": "a", "request_contact": "yes"}]]}',
            },
            "Bad Request: can't parse reply_markup.keyboard[0][0].request_contact: field must be "
            "of type Boolean",
        ),
        (
            {"chat_id": str(USER), "text": "x", "reply_markup": "{not json"},
            "Bad Request: can't parse reply_markup JSON object",
        ),
        ({"chat_id": "999", "text": "x"}, "Bad Request: chat not found"),
    ],
)
async def test_invalid_requests_are_refused_in_telegram_style(
    api: FakeBotAPI, data: dict, description: str
) -> None:
    api.add_user(USER)
    status, body = await raw_call(api, "sendMessage", data=data)
    assert (status, body) == (400, {"ok": False, "error_code": 400, "description": description})
    assert [(method, why) for method, _, why in api.rejected] == [("sendMessage", description)]
    assert api.calls == []


async def test_inline_button_needs_exactly_one_action(api: FakeBotAPI) -> None:
    api.add_user(USER)
    for button in ('{"text": "a"}', '{"text": "a", "callback_data": "b", "url": "https://x.org"}'):
        status, body = await raw_call(
            api,
            "sendMessage",
            data={
                "chat_id": USER,
                "text": "x",
                "reply_markup": f'{{"inline_keyboard": [[{button}]]}}',
            },
        )
        assert status == 400 and "exactly one of the fields" in body["description"]


async def test_send_message_text_limits(api: FakeBotAPI, bot: Bot) -> None:
    api.add_user(USER)
    message = await bot.send_message(USER, "a" * 4096)
    assert message.text == "a" * 4096 and message.from_user.id == BOT_ID
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(USER, "a" * 4097)
    assert len(api.rejected) == 1


async def test_html_length_counts_visible_text(api: FakeBotAPI, bot: Bot) -> None:
    api.add_user(USER)
    # 4096 visible characters, far more in markup
    message = await bot.send_message(
        USER, "<b>" + "&lt;" * 4000 + "</b>" + "b" * 96, parse_mode="HTML"
    )
    assert message.text == "<" * 4000 + "b" * 96
    assert [(e.type, e.offset, e.length) for e in message.entities] == [("bold", 0, 4000)]
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(USER, "<i>" + "a" * 4097 + "</i>", parse_mode="HTML")


@pytest.mark.parametrize(
    ("html", "error"),
    [
        ("<foo>x</foo>", 'Unsupported start tag "foo" at byte offset 0'),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
    ],
)
async def test_bad_html_is_refused(api: FakeBotAPI, bot: Bot, html: str, error: str) -> None:
    api.add_user(USER)
    with pytest.raises(TelegramBadRequest) as info:
        await bot.send_message(USER, html, parse_mode="HTML")
    assert info.value.message == f"Bad Request: can't parse entities: {error}"


async def test_good_html_gives_entities(api: FakeBotAPI, bot: Bot) -> None:
    api.add_user(USER)
    html = (
        "<b>b</b><strong>s</strong><i>i</i><u>u</u><s>s</s><tg-spoiler>p</tg-spoiler>"
        '<span class="tg-spoiler">q</span><a href="https://x.org">l</a><code>c</code>'
        '<pre><code class="language-python">p</code></pre><blockquote expandable>q</blockquote>'
        " &amp; &quot; &#1575; &gt;"
    )
    message = await bot.send_message(USER, html, parse_mode="HTML")
    assert message.text == 'bsiuspqlcpq & " ا >'
    assert [e.type for e in message.entities] == [
        "bold",
        "bold",
        "italic",
        "underline",
        "strikethrough",
        "spoiler",
        "spoiler",
        "text_link",
        "code",
        "pre",
        "expandable_blockquote",
    ]
    assert message.entities[9].language == "python"
    assert api.rejected == []


# ---- keyboards ----------------------------------------------------------------------------


async def test_callback_data_is_limited_to_64_bytes(api: FakeBotAPI, bot: Bot) -> None:
    api.add_user(USER)
    await bot.send_message(USER, "ok", reply_markup=inline("é" * 32))  # 32 characters, 64 bytes
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(USER, "too long", reply_markup=inline("é" * 32 + "a"))
    assert [m["text"] for m in api.sent_to(USER)] == ["ok"]


async def test_reply_keyboard_with_request_contact(api: FakeBotAPI, bot: Bot) -> None:
    api.add_user(USER)
    keyboard = ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text="Share my number", request_contact=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )
    message = await bot.send_message(USER, "Your number?", reply_markup=keyboard)
    assert message.reply_markup is None  # Telegram echoes only inline keyboards
    sent = api.last_message(USER)
    assert sent["reply_markup"]["keyboard"][0][0] == {
        "text": "Share my number",
        "request_contact": True,
    }
    assert api.rejected == []


# ---- updates --------------------------------------------------------------------------------


async def test_long_polling_returns_a_pushed_update_and_offset_confirms(
    api: FakeBotAPI, bot: Bot
) -> None:
    # A poll of an hour, answered when the update comes: were it answered only at its
    # timeout, the deadline would end the test first.
    poll = asyncio.create_task(bot.get_updates(timeout=3600, request_timeout=3600 + 60))
    await eventually(lambda: api.polls_waiting == 1 or poll.done(), "the poll to reach the fake")
    assert not poll.done(), poll  # an empty answer before any update is wrong too
    pushed = api.push_message(USER, "hello", first_name="Sara", language_code="fa")
    updates = await asyncio.wait_for(poll, DEADLINE)
    assert [u.update_id for u in updates] == [pushed["update_id"]]
    message = updates[0].message
    assert (message.text, message.from_user.first_name, message.from_user.language_code) == (
        "hello",
        "Sara",
        "fa",
    )

    assert len(await bot.get_updates()) == 1  # not confirmed yet
    assert await bot.get_updates(offset=pushed["update_id"] + 1) == []


async def test_long_polling_waits_for_the_timeout(bot: Bot) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await bot.get_updates(timeout=1) == []
    assert loop.time() - started >= 0.9


async def test_get_updates_returns_at_most_100(api: FakeBotAPI, bot: Bot) -> None:
    for n in range(150):
        api.push_message(USER, f"m{n}")
    first = await bot.get_updates(limit=1000)
    assert len(first) == 100
    rest = await bot.get_updates(offset=first[-1].update_id + 1)
    assert len(rest) == 50


async def test_pushed_contact_photo_and_member_updates(api: FakeBotAPI, bot: Bot) -> None:
    api.push_contact(USER, "+989121234567")
    api.push_contact(USER, "+989120000000", contact_user_id=77)
    api.push_photo(USER, caption="receipt")
    api.push_my_chat_member(USER, "kicked")
    updates = await bot.get_updates()
    own, other, photo, member = updates
    assert own.message.contact.user_id == USER == own.message.from_user.id
    assert other.message.contact.user_id == 77
    assert photo.message.caption == "receipt"
    assert (await bot.download(photo.message.photo[-1].file_id)).read().startswith(b"\xff\xd8")
    assert member.my_chat_member.new_chat_member.status == "kicked"
    with pytest.raises(TelegramForbiddenError):
        await bot.send_message(USER, "still there?")


# ---- faults -----------------------------------------------------------------------------------


async def test_fail_next_gives_retry_after(api: FakeBotAPI, bot: Bot) -> None:
    api.add_user(USER)
    api.fail_next("sendMessage", error_code=429, retry_after=3)
    with pytest.raises(TelegramRetryAfter) as info:
        await bot.send_message(USER, "hi")
    assert info.value.retry_after == 3
    await bot.send_message(USER, "hi")  # only the next call fails
    assert api.stats["429"] == 1 and len(api.faults) == 1 and api.rejected == []


async def test_blocked_chat_is_forbidden(api: FakeBotAPI, bot: Bot) -> None:
    api.add_user(USER)
    api.block(USER)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(USER, "hi")
    api.unblock(USER)
    await bot.send_message(USER, "hi")


async def test_rate_limit_uses_the_injected_clock(api: FakeBotAPI, bot: Bot) -> None:
    now = [100.0]
    api.clock = lambda: now[0]
    for user in (1, 2, 3):
        api.add_user(user)
    api.rate_limit(per_second=2)
    await bot.send_message(1, "a")
    await bot.send_message(2, "b")
    with pytest.raises(TelegramRetryAfter) as info:
        await bot.send_message(3, "c")
    assert info.value.retry_after == 1
    now[0] += 1.0  # the window has moved on
    await bot.send_message(3, "c")
    assert api.stats["429"] == 1


# ---- files and edits -----------------------------------------------------------------------


async def test_send_photo_upload(api: FakeBotAPI, bot: Bot) -> None:
    api.add_user(USER)
    photo = BufferedInputFile(b"\xff\xd8 card image", filename="card.jpg")
    message = await bot.send_photo(USER, photo, caption="<b>Your card</b>", parse_mode="HTML")
    assert message.caption == "Your card"
    sent = api.last_message(USER)
    assert sent["photo"][0]["file_id"] == message.photo[-1].file_id
    assert api.file_bytes(message.photo[-1].file_id) == b"\xff\xd8 card image"
    again = await bot.send_photo(USER, message.photo[-1].file_id)  # a file_id is reusable
    assert again.photo[-1].file_id == message.photo[-1].file_id
    with pytest.raises(TelegramBadRequest, match="wrong file identifier"):
        await bot.send_photo(USER, "no-such-file-id")


async def test_send_document_and_caption_limit(api: FakeBotAPI, bot: Bot) -> None:
    api.add_user(USER)
    document = BufferedInputFile(b"a,b\n1,2\n", filename="report.csv")
    message = await bot.send_document(USER, document, caption="c" * 1024)
    assert message.document.file_name == "report.csv"
    with pytest.raises(TelegramBadRequest, match="caption is too long"):
        await bot.send_document(USER, document, caption="c" * 1025)


async def test_edits(api: FakeBotAPI, bot: Bot) -> None:
    api.add_user(USER)
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=USER, message_id=999)
    sent = await bot.send_message(USER, "one", reply_markup=inline("a"))
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text(
            "one", chat_id=USER, message_id=sent.message_id, reply_markup=inline("a")
        )
    edited = await bot.edit_message_text("two", chat_id=USER, message_id=sent.message_id)
    assert edited.text == "two" and edited.reply_markup is None  # no markup given: keyboard removed
    await bot.edit_message_reply_markup(
        chat_id=USER, message_id=sent.message_id, reply_markup=inline("b")
    )
    assert api.sent_to(USER)[0]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "b"
    assert await bot.delete_message(USER, sent.message_id) is True
    assert api.sent_to(USER) == []
    assert len(api.rejected) == 2


async def test_message_ids_increase_per_chat(api: FakeBotAPI, bot: Bot) -> None:
    api.push_message(1, "hi")
    api.add_user(2)
    first = await bot.send_message(1, "a")
    other = await bot.send_message(2, "b")
    second = await bot.send_message(1, "c")
    assert (first.message_id, second.message_id, other.message_id) == (2, 3, 1)


# ---- a whole bot --------------------------------------------------------------------------


async def test_dispatcher_polling_answers_start_and_buttons(api: FakeBotAPI) -> None:
    router = Router()

    @router.message(CommandStart())
    async def start(message: Message) -> None:
        await message.answer("Hello!")
        await message.answer(
            f"Welcome, <b>{message.from_user.first_name}</b>", reply_markup=inline("join")
        )

    @router.callback_query(F.data == "join")
    async def join(query: CallbackQuery) -> None:
        await query.answer("Done")
        await query.message.edit_text("You joined the club")

    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    bot = Bot(
        api.token,
        session=AiohttpSession(api=TelegramAPIServer.from_base(api.base_url)),
        default=DefaultBotProperties(parse_mode="HTML"),
    )
    polling = asyncio.create_task(
        dispatcher.start_polling(bot, handle_signals=False, polling_timeout=1)
    )
    try:
        api.push_message(USER, "/start", first_name="Sara")
        assert (await api.wait_for_message(USER))["text"] == "Hello!"
        welcome = await api.wait_for_message(USER)  # the next one
        assert welcome["text"] == "Welcome, Sara"
        query_id = api.push_callback(USER, welcome["message_id"], "join")
        edited = await api.wait_for_message(USER, lambda m: m["text"].startswith("You joined"))
        assert edited["message_id"] == welcome["message_id"]
        assert api.callback_answers[query_id]["text"] == "Done"
    finally:
        await dispatcher.stop_polling()
        await asyncio.wait_for(polling, DEADLINE)
    assert api.rejected == []


async def test_get_chat_and_member(api: FakeBotAPI, bot: Bot) -> None:
    api.push_message(USER, "hi", first_name="Sara")
    chat = await bot.get_chat(USER)
    assert (chat.id, chat.type, chat.first_name) == (USER, "private", "Sara")
    assert (await bot.get_chat_member(USER, USER)).status == "member"
    api.push_my_chat_member(USER, "kicked")
    assert (await bot.get_chat_member(USER, BOT_ID)).status == "kicked"
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.get_chat(999)


async def test_setup_calls_a_bot_makes_at_start(api: FakeBotAPI, bot: Bot) -> None:
    from aiogram.types import BotCommand, MenuButtonCommands

    assert await bot.delete_webhook(drop_pending_updates=True)
    assert (await bot.get_webhook_info()).url == ""
    assert await bot.set_my_commands([BotCommand(command="start", description="Menu")])
    assert [c.command for c in await bot.get_my_commands()] == ["start"]
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Start!", description="Menu")])
    assert await bot.delete_my_commands()
    assert await bot.set_chat_menu_button(menu_button=MenuButtonCommands())
    assert await bot.set_my_description("A loyalty club")  # not modelled: answers true
    api.add_user(USER)
    assert await bot.send_chat_action(USER, "typing")
    with pytest.raises(TelegramBadRequest, match="wrong parameter action"):
        await bot.send_chat_action(USER, "dancing")


async def test_caption_and_media_edits(api: FakeBotAPI, bot: Bot) -> None:
    from aiogram.types import InputMediaDocument

    api.add_user(USER)
    sent = await bot.send_photo(USER, BufferedInputFile(b"img", filename="a.jpg"), caption="old")
    edited = await bot.edit_message_caption(chat_id=USER, message_id=sent.message_id, caption="new")
    assert edited.caption == "new"
    media = InputMediaDocument(media=BufferedInputFile(b"pdf", filename="card.pdf"), caption="doc")
    replaced = await bot.edit_message_media(media, chat_id=USER, message_id=sent.message_id)
    assert replaced.document.file_name == "card.pdf" and replaced.photo is None
    assert api.file_bytes(replaced.document.file_id) == b"pdf"
    assert api.rejected == []


async def test_test_helpers_fail_loudly(api: FakeBotAPI, bot: Bot) -> None:
    api.add_user(USER)
    sent = await bot.send_message(USER, "pick", reply_markup=inline("a"))
    with pytest.raises(ValueError, match="no button"):
        api.push_callback(USER, sent.message_id, "forged")
    with pytest.raises(TimeoutError, match="no matching message"):
        await api.wait_for_message(USER, lambda m: m["text"] == "never", timeout=0.05)
    with pytest.raises(ValueError):
        api.fail_next("sendMesage")


async def test_allowed_updates_filters_later_updates(api: FakeBotAPI, bot: Bot) -> None:
    assert await bot.get_updates(allowed_updates=["message"]) == []
    api.push_my_chat_member(USER, "kicked")
    api.push_message(USER, "hi")
    assert [u.message.text for u in await bot.get_updates()] == ["hi"]


# ---- benchmark controls ---------------------------------------------------------------------


async def test_timings_record_when_an_update_was_pushed_and_answered() -> None:
    now = [100.0]
    async with FakeBotAPI(clock=lambda: now[0]) as api:
        bot = Bot(api.token, session=AiohttpSession(api=TelegramAPIServer.from_base(api.base_url)))
        try:
            api.push_message(USER, "/start")
            now[0] = 100.5
            menu = await bot.send_message(USER, "Menu", reply_markup=inline("points"))
            query_id = api.press(USER, "Go")
            now[0] = 101.0
            await bot.edit_message_text("Points", chat_id=USER, message_id=menu.message_id)
            assert api.timings[2].handled_at is None  # the press is not answered yet
            now[0] = 101.25
            await bot.answer_callback_query(query_id)
            now[0] = 102.0
            await bot.send_message(USER, "You earned 5 points")  # no update waits for it
        finally:
            await bot.session.close()
        assert [t.as_json() for t in api.timings.values()] == [
            {
                "update_id": 1,
                "chat_id": USER,
                "kind": "message",
                "pushed_at": 100.0,
                "replied_at": 100.5,
                "answered_at": None,
                "handled_at": 100.5,
            },
            {
                "update_id": 2,
                "chat_id": USER,
                "kind": "callback_query",
                "pushed_at": 100.5,
                "replied_at": 101.0,
                "answered_at": 101.25,
                "handled_at": 101.25,
            },
        ]


async def test_push_batch_over_http_now_and_at_a_rate(api: FakeBotAPI) -> None:
    async def control(action: str, **kwargs: Any) -> tuple[int, dict]:
        url = f"{api.base_url}/_fake/{action}"
        async with aiohttp.ClientSession() as session, session.post(url, json=kwargs) as resp:
            return resp.status, await resp.json()

    status, body = await control(
        "push_batch",
        actions=[
            {"action": "add_user", "kwargs": {"user_id": 7}},
            {"action": "push_message", "kwargs": {"user_id": USER, "text": "hi"}},
            {"action": "press", "kwargs": {"user_id": USER, "text": "Go"}},  # no such button
        ],
    )
    assert (status, body) == (200, {"ok": True, "result": 3})
    assert 7 in api.users and [u["message"]["text"] for u in api._updates] == ["hi"]
    assert api.batch_errors == [f"press: no button 'Go' in chat {USER}"]

    status, body = await control(
        "push_batch",
        actions=[
            {"action": "push_message", "kwargs": {"user_id": USER, "text": str(n)}}
            for n in range(3)
        ],
        per_second=200,
    )
    assert (status, body) == (200, {"ok": True, "result": 3})
    # Paced by the fake's own task: wait until all three are in.
    await eventually(lambda: len(api._updates) >= 4, "the paced pushes")
    assert [u["message"]["text"] for u in api._updates] == ["hi", "0", "1", "2"]

    status, body = await control(
        "push_batch", actions=[{"action": "block", "kwargs": {"chat_id": USER}}]
    )
    assert status == 400 and body["description"] == "not a batch action: 'block'"


async def test_the_clubs_session_sends_json_unless_there_is_a_file() -> None:
    session = JsonSession()
    bot = Bot("1:abc", session=session, default=DefaultBotProperties(parse_mode="HTML"))
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="امتیاز من", callback_data="m:1")]]
    )
    body = session.build_form_data(
        bot,
        SendMessage(
            chat_id=USER, text="<b>سلام</b>", reply_markup=keyboard, disable_notification=False
        ),
    )
    assert body.content_type == "application/json"
    assert orjson.loads(body.decode()) == {
        "chat_id": USER,
        "text": "<b>سلام</b>",
        "parse_mode": "HTML",
        "reply_markup": {"inline_keyboard": [[{"text": "امتیاز من", "callback_data": "m:1"}]]},
    }
    upload = session.build_form_data(
        bot, SendDocument(chat_id=USER, document=BufferedInputFile(b"x", "a.csv"))
    )
    assert isinstance(upload, aiohttp.FormData)
    await session.close()
