"""/campaign, /campaigns and /lottery through a real aiogram Dispatcher and the fake Bot API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from aiogram import Dispatcher
from aiogram.types import Update

from bot.settings import Settings
from handlers.format import moment
from handlers.telegram.staff.campaigns import router
from loyalty import campaigns
from loyalty.clock import utcnow
from models import (
    AuditEntry,
    Branch,
    Campaign,
    Channel,
    Lottery,
    OutboxMessage,
    OutboxStatus,
    Staff,
    StaffRole,
)
from tests.conftest import NOW
from tests.fakes.bot_api import FakeBotAPI
from tests.jobs_helpers import bot_on, make_member

OWNER, MANAGER, CASHIER, BRANCH_MANAGER = 9001, 9002, 9003, 9004
TZ = ZoneInfo("Asia/Tehran")


async def _setup() -> tuple[Dispatcher, Settings]:
    settings = Settings(_env_file=None, owner_ids=[OWNER])
    dp = Dispatcher(settings=settings)
    dp.include_router(router())
    await Staff.create(telegram_id=MANAGER, role=StaffRole.MANAGER, created_at=NOW)
    await Staff.create(telegram_id=CASHIER, role=StaffRole.CASHIER, created_at=NOW)
    for _ in range(3):
        await make_member(NOW)
    await make_member(NOW, telegram=False, preferred=Channel.SMS)
    return dp, settings


async def feed(dp: Dispatcher, bot: object, update: dict) -> None:
    await dp.feed_update(bot, Update.model_validate(update, context={"bot": bot}))  # type: ignore[arg-type]


async def test_campaign_preview_then_confirm(db: str) -> None:
    dp, _ = await _setup()
    async with FakeBotAPI() as api, bot_on(api) as bot:
        await feed(
            dp, bot, api.push_message(MANAGER, "/campaign telegram_sms | تخفیف ویژه آخر هفته")
        )
        preview = api.last_message(MANAGER)
        assert preview["text"] == (
            "کمپین شماره ۱ از راه تلگرام، و پیامک برای کسانی که در تلگرام نیستند به ۴ عضو می‌رسد: "
            "۳ در تلگرام، ۱ با پیامک (۱ بخش پیامک). ارسال شود؟"
        )
        assert (await Campaign.get(id=1)).status == "draft"
        query = api.push_callback(MANAGER, preview["message_id"], "cmp:ok:1")
        await feed(dp, bot, {"update_id": 99, "callback_query": api._callbacks[query]})
        assert (await Campaign.get(id=1)).status == "scheduled"
        await feed(dp, bot, api.push_message(MANAGER, "/campaigns"))
        when = moment((await Campaign.get(id=1)).send_at, "fa", TZ)
        assert api.last_message(MANAGER)["text"] == (
            f"شماره ۱ (زمان‌بندی‌شده) · تلگرام، و پیامک برای کسانی که در تلگرام نیستند · {when}\n"
            "تخفیف ویژه آخر هفته\n"
            "مخاطبان ۴: در صف ۰، ارسال‌شده ۰، ناموفق ۰، ردشده ۰، نگه‌داشته ۰\n\n"
            "لغو کمپینی که هنوز شروع نشده: /campaign cancel &lt;شماره&gt;. توقف موقت، ادامه یا "
            "توقف کامل کمپینی که در حال ارسال است: /campaign pause|resume|stop &lt;شماره&gt;."
        )


async def test_cashier_refused_and_bad_filter_explained(db: str) -> None:
    dp, _ = await _setup()
    async with FakeBotAPI() as api, bot_on(api) as bot:
        await feed(dp, bot, api.push_message(CASHIER, "/campaign sms | hi", language_code="en"))
        assert api.last_message(CASHIER)["text"] == "Only the owner and managers can do this."
        await feed(
            dp, bot, api.push_message(OWNER, "/campaign sms colour=red | hi", language_code="en")
        )
        assert api.last_message(OWNER)["text"] == (
            "I did not understand «colour=red». Filters: tier= branch= gender= age= type= "
            "interests= month= inactive= rfm="
        )
        assert await Campaign.all().count() == 0


async def test_a_filter_value_that_does_not_exist_is_refused_with_the_valid_ones(db: str) -> None:
    dp, _ = await _setup()
    async with FakeBotAPI() as api, bot_on(api) as bot:
        await feed(dp, bot, api.push_message(OWNER, "/lottery 5 gender=x", language_code="en"))
        assert api.last_message(OWNER)["text"] == (
            "There is no x for gender. Choose one of: male, female, unspecified"
        )
        await feed(
            dp, bot, api.push_message(OWNER, "/campaign sms gender=x | سلام", language_code="fa")
        )
        assert api.last_message(OWNER)["text"] == (
            "برای gender مقدار x وجود ندارد. یکی از این‌ها را بنویسید: male، female، unspecified"
        )
        await feed(
            dp,
            bot,
            api.push_message(OWNER, "/campaign sms tier=platinum | hi", language_code="en"),
        )
        assert api.last_message(OWNER)["text"] == (
            "There is no platinum for tier. Choose one of: bronze, silver, gold"
        )
        await feed(dp, bot, api.push_message(OWNER, "/lottery 1 branch=7", language_code="en"))
        assert api.last_message(OWNER)["text"] == ("There is no 7 for branch. Choose one of: 1")
        assert await Campaign.all().count() == 0
        assert await Lottery.all().count() == 0


async def test_lottery_hash_then_draw_reveals_seed(db: str) -> None:
    dp, _ = await _setup()
    async with FakeBotAPI() as api, bot_on(api) as bot:
        await feed(dp, bot, api.push_message(OWNER, "/lottery 2", language_code="en"))
        made = await Lottery.get(id=1)
        assert api.last_message(OWNER)["text"].endswith(made.seed_hash)
        await feed(dp, bot, api.push_message(OWNER, "/lottery draw 1", language_code="en"))
        drawn = await Lottery.get(id=1)
        assert len(drawn.winners) == 2
        assert f"Seed: {drawn.seed}" in api.sent_to(OWNER)[-2]["text"]


async def test_send_time_in_the_usual_jalali_form(db: str) -> None:
    dp, settings = await _setup()
    async with FakeBotAPI() as api, bot_on(api) as bot:
        await feed(
            dp,
            bot,
            api.push_message(OWNER, "/campaign sms at=۱۴۲۰/۰۱/۱۰ ۱۸:۳۰ | حراج", language_code="fa"),
        )
        await feed(
            dp,
            bot,
            api.push_message(OWNER, "/campaign sms at=1420/01/10 10:00 | sale", language_code="en"),
        )
        await feed(
            dp,
            bot,
            api.push_message(OWNER, "/campaign sms at=1420/13/40 10:00 | sale", language_code="en"),
        )
        assert api.last_message(OWNER)["text"].startswith(
            "I did not understand «at=1420/13/40 10:00»."
        )
    assert settings.tz.key == "Asia/Tehran"
    sent = await Campaign.all().order_by("id").values_list("send_at", flat=True)
    # 1420-01-10 is 2041-03-29; Tehran is UTC+3:30
    assert sent == [
        datetime(2041, 3, 29, 15, 0, tzinfo=UTC),
        datetime(2041, 3, 29, 6, 30, tzinfo=UTC),
    ]


async def _confirmed(dp: Dispatcher, bot: object, api: FakeBotAPI, text: str) -> int:
    await feed(dp, bot, api.push_message(MANAGER, text, language_code="en"))
    made = await Campaign.all().order_by("-id").first()
    assert made is not None
    query = api.push_callback(MANAGER, api.last_message(MANAGER)["message_id"], f"cmp:ok:{made.id}")
    await feed(dp, bot, api._updates[-1])
    assert query
    return made.id


async def test_cancel_until_it_starts_then_pause_resume_and_stop(db: str) -> None:
    dp, _ = await _setup()
    manager = await Staff.get(telegram_id=MANAGER)
    async with FakeBotAPI() as api, bot_on(api) as bot:
        first = await _confirmed(dp, bot, api, "/campaign telegram_sms | Weekend sale")
        await feed(dp, bot, api.push_message(MANAGER, f"/campaign cancel {first}"))
        assert api.last_message(MANAGER)["text"] == "Campaign #1 cancelled."
        assert (await Campaign.get(id=first)).status == "cancelled"

        second = await _confirmed(dp, bot, api, "/campaign telegram_sms | Spring sale")
        assert await campaigns.run_due(utcnow() + timedelta(minutes=1), TZ) == [second]
        # The sender has sent one message when the manager pauses the campaign.
        one = await OutboxMessage.filter(campaign_id=second).order_by("id").first()
        assert one is not None
        await OutboxMessage.filter(id=one.id).update(status=OutboxStatus.SENT)
        await feed(dp, bot, api.push_message(MANAGER, "/campaign cancel 2"))
        assert api.last_message(MANAGER)["text"] == (
            "Campaign #2 has already started or ended: pause or stop it instead."
        )
        await feed(dp, bot, api.push_message(MANAGER, "/campaign pause ۲", language_code="fa"))
        assert api.last_message(MANAGER)["text"] == (
            "کمپین شماره ۲ موقتاً متوقف شد: پیام‌های فرستاده‌شده فرستاده شده‌اند."
        )
        assert await campaigns.progress(second) == {
            "queued": 0,
            "sent": 1,
            "failed": 0,
            "skipped": 0,
            "held": 3,
        }
        await feed(dp, bot, api.push_message(MANAGER, "/campaigns", language_code="en"))
        when = moment((await Campaign.get(id=second)).send_at, "en", TZ)
        assert api.last_message(MANAGER)["text"].startswith(
            f"#2 paused · Telegram, SMS when not on Telegram · {when}\nSpring sale\n"
            "Reach 4: queued 0, sent 1, failed 0, skipped 0, held 3\n\n"
            "#1 cancelled · Telegram, SMS when not on Telegram"
        )
        await feed(dp, bot, api.push_message(MANAGER, "/campaign resume 2", language_code="en"))
        assert api.last_message(MANAGER)["text"] == "Campaign #2 goes on."
        assert (await campaigns.progress(second))["queued"] == 3
        await feed(dp, bot, api.push_message(MANAGER, "/campaign stop 2"))
        assert api.last_message(MANAGER)["text"] == (
            "Campaign #2 stopped: what was sent stays sent."
        )
        await feed(dp, bot, api.push_message(MANAGER, "/campaign resume 2"))
        assert api.last_message(MANAGER)["text"] == "Campaign #2 is not paused."
        await feed(dp, bot, api.push_message(MANAGER, "/campaign stop 9"))
        assert api.last_message(MANAGER)["text"] == "No such campaign."
    assert await campaigns.progress(second) == {
        "queued": 0,
        "sent": 1,
        "failed": 0,
        "skipped": 0,
        "held": 3,
    }
    assert (await Campaign.get(id=second)).status == "stopped"
    audit = await AuditEntry.filter(action__startswith="campaign_").order_by("id")
    assert [(a.action, a.staff_id, a.details.get("campaign")) for a in audit] == [
        ("campaign_created", manager.id, first),
        ("campaign_confirmed", manager.id, first),
        ("campaign_cancelled", manager.id, first),
        ("campaign_created", manager.id, second),
        ("campaign_confirmed", manager.id, second),
        ("campaign_paused", manager.id, second),
        ("campaign_resumed", manager.id, second),
        ("campaign_stopped", manager.id, second),
    ]


async def test_a_draft_left_behind_expires(db: str) -> None:
    dp, _ = await _setup()
    async with FakeBotAPI() as api, bot_on(api) as bot:
        await feed(dp, bot, api.push_message(MANAGER, "/campaign sms | hi", language_code="en"))
        preview = api.last_message(MANAGER)
        await campaigns.run_due(utcnow() + timedelta(days=1, minutes=1), TZ)
        assert (await Campaign.get(id=1)).status == "expired"
        api.push_callback(MANAGER, preview["message_id"], "cmp:ok:1")
        await feed(dp, bot, api._updates[-1])
        assert (await Campaign.get(id=1)).status == "expired"
        await feed(dp, bot, api.push_message(MANAGER, "/campaigns", language_code="en"))
        assert api.last_message(MANAGER)["text"].startswith("#1 expired unconfirmed · SMS · ")


async def test_a_branch_manager_reaches_their_branch_only_and_every_actor_is_audited(
    db: str,
) -> None:
    dp, _ = await _setup()  # four members of no branch
    second = await Branch.create(name="Tajrish", created_at=NOW)
    for _ in range(3):
        await make_member(NOW, branch_id=second.id)
    boss = await Staff.create(
        telegram_id=BRANCH_MANAGER, role=StaffRole.MANAGER, branch=second, created_at=NOW
    )
    async with FakeBotAPI() as api, bot_on(api) as bot:

        async def say(user: int, text: str, language: str = "en") -> str:
            await feed(dp, bot, api.push_message(user, text, language_code=language))
            return api.last_message(user)["text"]

        assert await say(BRANCH_MANAGER, "/campaign telegram | Tajrish only") == (
            "Campaign #1 by Telegram reaches 3 members: 3 on Telegram, 0 by SMS "
            "(0 SMS parts). Send it?"
        )
        assert await say(BRANCH_MANAGER, "/campaign telegram branch=1 | All") == (
            "You manage branch 2: only its members can be chosen."
        )
        assert await say(BRANCH_MANAGER, "/lottery 1 branch=1", "fa") == (
            "شما مدیر شعبه ۲ هستید: فقط اعضای همین شعبه را می‌توانید انتخاب کنید."
        )
        await say(BRANCH_MANAGER, "/lottery 1")
        await say(OWNER, "/campaign sms | Everyone")
        assert (await say(BRANCH_MANAGER, "/campaigns")).startswith("#1 draft · Telegram · ")
        assert "#2" not in await say(BRANCH_MANAGER, "/campaigns")
        assert await say(BRANCH_MANAGER, "/campaign cancel 2") == "No such campaign."
        await feed(dp, bot, api.push_message(OWNER, "/lottery draw 1", language_code="en"))
    assert (await Campaign.get(id=1)).audience == {"branch_id": second.id}
    drawn = await Lottery.get(id=1)
    assert (drawn.audience, drawn.status) == ({"branch_id": second.id}, "drawn")
    assert len(drawn.entries) == 3
    assert (await Campaign.get(id=2)).audience == {}
    assert await Campaign.all().count() == 2
    audit = await AuditEntry.all().order_by("id")
    settings_owner = await Staff.get(telegram_id=OWNER)  # identified, so given a staff row
    assert [(a.action, a.staff_id, a.actor) for a in audit] == [
        ("campaign_created", boss.id, ""),
        ("lottery_created", boss.id, ""),
        ("campaign_created", settings_owner.id, ""),
        ("lottery_drawn", settings_owner.id, ""),
    ]
