"""The guided campaign dialog through aiogram-dialog's test tools: buttons clicked by label."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from aiogram.types import Chat, Message, PhotoSize, Update, User
from aiogram_dialog.test_tools import BotClient
from aiogram_dialog.test_tools.memory_storage import JsonMemoryStorage

from bot.app import build_bot, build_dispatcher
from bot.sandbox import LocalSession
from bot.settings import Settings
from handlers.telegram.middlewares import ThrottleMiddleware
from loyalty import campaigns
from loyalty.clock import utcnow
from models import Branch, Campaign, Channel, Gender, OutboxMessage, Staff, StaffRole
from tests.conftest import NOW
from tests.jobs_helpers import make_member
from tests.test_member_dialogs import Chat_, MessageManager

OWNER, CASHIER = 7001, 7003
TZ = ZoneInfo("Asia/Tehran")
_ids = itertools.count(50_000)


def open_chat(monkeypatch: pytest.MonkeyPatch, user: int, locale: str = "en") -> Chat_:
    """The bot as `club run` builds it, routers as handlers/telegram/routers.py orders them."""
    settings = Settings(
        _env_file=None,
        bot_token=None,
        default_locale="fa",
        owner_ids=[OWNER],
        timezone="Asia/Tehran",
    )
    mm, session = MessageManager(), LocalSession()
    dp = build_dispatcher(
        settings,
        storage=JsonMemoryStorage(),
        message_manager=mm,
        throttle=ThrottleMiddleware(limit=1000),
    )
    client = BotClient(dp, user_id=user, chat_id=user, bot=build_bot(settings, session=session))
    client.user = User(id=user, is_bot=False, first_name="Boss", language_code=locale)
    return Chat_(client, mm, session)


async def send_photo(chat: Chat_, caption: str | None = None) -> None:
    chat.mm.reset_history()
    user = chat.client.user
    message = Message(
        message_id=next(_ids),
        date=datetime.now(UTC),
        chat=Chat(id=user.id, type="private"),
        from_user=user,
        caption=caption,
        photo=[PhotoSize(file_id="pic", file_unique_id="pic", width=1, height=1)],
    )
    await chat.client.dp.feed_update(chat.client.bot, Update(update_id=next(_ids), message=message))


def born(age: int) -> date:
    today = utcnow().astimezone(TZ).date()
    return (
        date(today.year - age - 1, 1, 1)
        if (today.month, today.day) == (1, 1)
        else date(today.year - age, 1, 1)
    )


async def _members() -> dict[str, int]:
    """Women of 30 on Telegram and on SMS only; everyone else is outside the audience."""
    made = {
        "tg": await make_member(NOW, gender=Gender.FEMALE, birth_date=born(30)),
        "sms": await make_member(
            NOW, telegram=False, preferred=Channel.SMS, gender=Gender.FEMALE, birth_date=born(30)
        ),
        "old": await make_member(NOW, gender=Gender.FEMALE, birth_date=born(50)),
        "man": await make_member(NOW, gender=Gender.MALE, birth_date=born(30)),
        "no_consent": await make_member(
            NOW,
            gender=Gender.FEMALE,
            birth_date=born(30),
            consent_telegram=False,
            consent_sms=False,
        ),
    }
    return {name: member.id for name, member in made.items()}


async def test_campaign_created_through_the_dialog(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = await _members()
    chat = open_chat(monkeypatch, OWNER)
    await chat.send("/campaign")
    assert chat.text == (
        "New campaign.\nAudience:\nEveryone\n\nAdd a filter (each one narrows the audience), or "
        "go on."
    )
    await chat.click("Gender")
    assert chat.text == "Choose: Gender"
    await chat.click("Women")
    await chat.click("Age range")
    assert chat.text == "Send the age range like 20-40."
    await chat.send("twenty")
    assert chat.answers() == ["I did not understand «twenty»."]
    await chat.send("20-40")
    assert chat.text.startswith("New campaign.\nAudience:\nWomen\nAge 20 to 40\n\n")
    await chat.click("Next")
    assert chat.buttons() == ["Telegram", "SMS", "Telegram, SMS when not on Telegram", "Back"]
    await chat.click("Telegram, SMS when not on Telegram")
    assert chat.text == (
        "Send the campaign text (at most 1,000 characters).\n"
        "On Telegram you may send a photo with the text as its caption."
    )
    await chat.send("Spring sale: 20% off this weekend")
    await chat.click("Send now")
    assert chat.text == (
        "Campaign by Telegram, SMS when not on Telegram, now.\nAudience:\nWomen\nAge 20 to 40\n\n"
        "Spring sale: 20% off this weekend\n\n"
        "It reaches 2 members: 1 on Telegram, 1 by SMS (1 SMS parts)."
    )
    await chat.click("Confirm")
    assert chat.answers()[-1] == "Campaign #1 is scheduled. Follow it with /campaigns."

    campaign = await Campaign.get(id=1)
    assert campaign.audience == {"gender": "female", "age_min": 20, "age_max": 40}
    assert (campaign.channel, campaign.text, campaign.status, campaign.photo) == (
        "telegram_sms",
        "Spring sale: 20% off this weekend",
        "scheduled",
        None,
    )
    # The scheduler's minute job queues it: one row per member of the audience, nobody else.
    assert await campaigns.run_due(utcnow() + timedelta(minutes=1), TZ) == [1]
    rows = (
        await OutboxMessage.filter(campaign_id=1)
        .order_by("member_id")
        .values_list("member_id", "channel")
    )
    assert rows == [(ids["tg"], Channel.TELEGRAM), (ids["sms"], Channel.SMS)]


async def test_dialog_in_persian_at_a_jalali_time_with_an_rfm_segment(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await Staff.create(telegram_id=CASHIER + 1, role=StaffRole.MANAGER, created_at=NOW)
    chat = open_chat(monkeypatch, CASHIER + 1, locale="fa")
    await chat.send("/campaign")
    await chat.click("بخش رفتار خرید")
    await chat.click("در خطر ریزش")
    await chat.click("بعدی")
    await chat.click("پیامک")
    await chat.send("حراج")
    await chat.send("۱۴۲۰/۰۱/۱۰ ۱۸:۳۰")
    assert chat.text.startswith(
        "کمپین از راه پیامک، در ۱۴۲۰/۰۱/۱۰ ۱۸:۳۰.\nمخاطبان:\nبخش رفتار خرید: در خطر ریزش\n"
    )
    await chat.click("تأیید")
    campaign = await Campaign.get(id=1)
    assert campaign.audience == {"rfm": "at_risk"}
    assert campaign.send_at == datetime(
        2041, 3, 29, 15, 0, tzinfo=UTC
    )  # 1420-01-10 18:30 in Tehran
    assert campaign.created_by_id == (await Staff.get(telegram_id=CASHIER + 1)).id


async def test_cashier_refused_and_one_line_form_unchanged(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await Staff.create(telegram_id=CASHIER, role=StaffRole.CASHIER, created_at=NOW)
    chat = open_chat(monkeypatch, CASHIER)
    await chat.send("/campaign")
    assert chat.answers() == ["Only the owner and managers can do this."]
    owner = open_chat(monkeypatch, OWNER)
    await owner.send("/campaign sms | hello")
    assert owner.answers()[-1].startswith("Campaign #1 by SMS reaches 0 members")
    assert (await Campaign.get(id=1)).status == "draft"


async def test_sms_campaign_refuses_a_photo_and_past_times(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    chat = open_chat(monkeypatch, OWNER)
    await chat.send("/campaign")
    await chat.click("Next")
    await chat.click("SMS")
    assert "photo" not in chat.text
    await send_photo(chat, "Hello")
    assert chat.answers() == ["An SMS cannot carry a photo: send the text alone."]
    await chat.send("Hello")
    await chat.send("2020-01-01 10:00")
    assert chat.answers()[-1] == "That time has already passed."
    for typed in ("1405/13/40 10:00", "25:00", "tomorrow"):  # no such day, hour, or form
        await chat.send(typed)
        assert chat.answers()[-1] == f"I did not understand «{typed}»."
    assert await Campaign.all().count() == 0


async def test_a_branch_manager_s_dialog_campaign_reaches_their_branch(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _members()  # of no branch
    branch = await Branch.create(name="Tajrish", created_at=NOW)
    await make_member(NOW, branch_id=branch.id)
    await Staff.create(
        telegram_id=CASHIER + 2, role=StaffRole.MANAGER, branch=branch, created_at=NOW
    )
    chat = open_chat(monkeypatch, CASHIER + 2)
    await chat.send("/campaign")
    await chat.click("Next")
    await chat.click("Telegram")
    await chat.send("Tajrish opening")
    await chat.click("Send now")
    assert chat.text == (
        "Campaign by Telegram, now.\nAudience:\nBranch: Tajrish\n\nTajrish opening\n\n"
        "It reaches 1 members: 1 on Telegram, 0 by SMS (0 SMS parts)."
    )
    await chat.click("Confirm")
    assert (await Campaign.get(id=1)).audience == {"branch_id": branch.id}
