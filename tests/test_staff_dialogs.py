"""The /rewards and /settings dialogs through aiogram-dialog's test tools: text sent, buttons
clicked by label."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from aiogram import Dispatcher
from aiogram_dialog import setup_dialogs
from aiogram_dialog.test_tools import BotClient, MockMessageManager
from aiogram_dialog.test_tools.keyboard import InlineButtonTextLocator
from aiogram_dialog.test_tools.memory_storage import JsonMemoryStorage

from bot.app import build_bot
from bot.sandbox import LocalSession
from bot.settings import Settings
from handlers.telegram.staff import dialogs
from handlers.telegram.staff import router as staff_router
from loyalty import earning, tiers
from models import (
    AuditEntry,
    Branch,
    ClubRules,
    Member,
    ProductGroup,
    Reward,
    RewardKind,
    Staff,
    StaffRole,
    Tier,
)
from tests import helpers
from tests.conftest import NOW

pytestmark = pytest.mark.asyncio

OWNER, MANAGER, CASHIER = 1000, 2000, 3000


@dataclass
class StaffChat:
    client: BotClient
    mm: MockMessageManager
    session: LocalSession

    @property
    def text(self) -> str:
        return self.mm.last_message().text or ""

    def buttons(self) -> list[str]:
        markup = self.mm.last_message().reply_markup
        return [b.text for row in getattr(markup, "inline_keyboard", None) or [] for b in row]

    async def send(self, text: str) -> None:
        self.mm.reset_history()
        await self.client.send(text)

    async def click(self, label: str) -> None:
        message = self.mm.last_message()
        self.mm.reset_history()
        await self.client.click(message, InlineButtonTextLocator(f"^{re.escape(label)}$"))

    def answers(self) -> list[str]:
        """What the handlers said themselves, outside the dialog windows."""
        return [call.text for call in self.session.sent("SendMessage")]


def open_chat(user_id: int, locale: str = "en") -> StaffChat:
    settings = Settings(_env_file=None, bot_token=None, owner_ids=[OWNER], default_locale=locale)
    mm = MockMessageManager()
    session = LocalSession()
    dp = Dispatcher(storage=JsonMemoryStorage(), settings=settings, tz=settings.tz)
    dp["clock"] = lambda: NOW
    # As handlers/telegram/routers.py must order them: the dialogs before the staff commands.
    dp.include_routers(dialogs.router(), staff_router())
    setup_dialogs(dp, message_manager=mm)
    return StaffChat(
        BotClient(dp, user_id=user_id, chat_id=user_id, bot=build_bot(settings, session=session)),
        mm,
        session,
    )


@pytest.fixture
async def team(db: str) -> Branch:
    branch = await Branch.first()
    await Staff.create(
        telegram_id=MANAGER, role=StaffRole.MANAGER, branch=None, name="Mina", created_at=NOW
    )
    await Staff.create(
        telegram_id=CASHIER, role=StaffRole.CASHIER, branch=branch, name="Kaveh", created_at=NOW
    )
    return branch


async def test_manager_adds_a_reward_with_stock_and_minimum_tier(team: Branch) -> None:
    chat = open_chat(MANAGER)
    await chat.send("/rewards")
    assert chat.text.startswith("Rewards (page 1 of 1).")
    assert "No rewards on offer yet." in chat.text
    await chat.click("Add a reward")
    assert chat.text == "New reward, step 1: send its name."
    await chat.send("Cheesecake")
    assert chat.text == "Step 2: how many points does Cheesecake cost?"
    await chat.send("دویست")
    assert chat.answers()[-1] == "Please send a number from 1 to 10,000,000. Nothing was changed."
    await chat.send("۲۵۰")
    assert chat.buttons() == ["A product", "A fixed discount", "A percent discount", "Cancel"]
    await chat.click("A product")
    assert chat.text == "How many can be given out? Send a number, or choose unlimited."
    await chat.send("-3")
    assert chat.answers()[-1] == "Please send a number from 0 to 1,000,000. Nothing was changed."
    await chat.send("۱۲")
    assert chat.buttons() == ["Everyone", "Bronze", "Silver", "Gold", "Cancel"]
    await chat.click("Silver")
    await chat.send("30")
    assert chat.text.startswith(
        "Save this reward?\nCheesecake\nCost: 250 points\nOffer: A product (any product)\n"
        "Stock: 12\nMinimum tier: Silver\nBranch: all branches\nValid until: "
    )
    await chat.click("Save")
    assert chat.text.startswith(
        "Reward #1 added: Cheesecake for 250 points.\nRewards (page 1 of 1)."
    )
    assert chat.buttons() == ["#1 Cheesecake: 250 points", "Add a reward", "Close"]

    reward = await Reward.get()
    silver = await Tier.get(code="silver")
    assert (
        reward.name,
        reward.cost,
        reward.kind,
        reward.value,
        reward.stock,
        reward.min_tier_id,
        reward.branch_id,
    ) == ("Cheesecake", 250, RewardKind.PRODUCT, 0, 12, silver.id, None)
    assert (reward.valid_from, reward.valid_until) == (NOW, NOW + timedelta(days=30))
    assert await AuditEntry.filter(action="reward_add").count() == 1


async def test_a_percent_discount_open_ended_then_withdrawn(team: Branch) -> None:
    chat = open_chat(OWNER)
    await chat.send("/rewards")
    await chat.click("Add a reward")
    await chat.send("Tenth off")
    await chat.send("100")
    await chat.click("A percent discount")
    assert chat.text == "Step 4: how many percent off? (1 to 100)"
    await chat.send("120")
    assert chat.answers()[-1] == "Please send a number from 1 to 100. Nothing was changed."
    await chat.send("10")
    await chat.click("Unlimited")
    await chat.click("Everyone")
    await chat.click("No end date")
    assert "Offer: 10% off (any product)\nStock: unlimited\nMinimum tier: everyone" in chat.text
    assert chat.text.endswith("Valid until: no end date")
    await chat.click("Save")
    reward = await Reward.get()
    assert (reward.kind, reward.value, reward.stock, reward.valid_until) == (
        RewardKind.PERCENT_DISCOUNT,
        10,
        None,
        None,
    )

    await chat.click("#1 Tenth off: 100 points")
    await chat.click("Withdraw")
    await chat.click("Yes, withdraw")
    assert chat.text.startswith("Reward #1 is no longer offered.")
    assert not (await Reward.get()).active


async def test_the_catalogue_a_page_at_a_time(team: Branch) -> None:
    for cost in range(100, 700, 100):
        await Reward.create(name=f"Cake {cost}", cost=cost)
    chat = open_chat(OWNER)
    await chat.send("/rewards")
    assert chat.text.startswith("Rewards (page 1 of 2).")
    assert "Next ▶" in chat.buttons() and "◀ Previous" not in chat.buttons()
    await chat.click("Next ▶")
    assert chat.text.startswith("Rewards (page 2 of 2).")
    last, *others = chat.buttons()
    assert others == ["◀ Previous", "Add a reward", "Close"]

    # The only reward of the last page withdrawn: the list has one page left, and shows it.
    await chat.click(last)
    await chat.click("Withdraw")
    await chat.click("Yes, withdraw")
    assert "Rewards (page 1 of 1)." in chat.text
    assert "◀ Previous" not in chat.buttons() and "Next ▶" not in chat.buttons()


async def test_a_cashier_is_refused(team: Branch) -> None:
    chat = open_chat(CASHIER)
    await chat.send("/rewards")
    assert chat.answers() == ["Not allowed."]
    await chat.send("/settings")
    assert chat.answers() == ["Not allowed.", "Not allowed."]
    assert chat.mm.sent_messages == []
    manager = open_chat(MANAGER)
    await manager.send("/settings")
    assert manager.answers() == ["Not allowed."]


async def test_command_forms_still_work_beside_the_dialogs(team: Branch) -> None:
    chat = open_chat(MANAGER)
    await chat.send("/rewards add 150 Free coffee")
    assert chat.answers() == ["Reward #1 added: Free coffee for 150 points."]
    owner = open_chat(OWNER)
    await owner.send("/settings signup_bonus 30")
    assert (await ClubRules.get(id=1)).signup_bonus == 30
    # A command typed while a dialog is open reaches its handler, not the dialog.
    await owner.send("/settings")
    await owner.click("Sign-up bonus")
    await owner.send("/rewards add 90 Tea")
    assert owner.answers()[-1] == "Reward #2 added: Tea for 90 points."


async def test_owner_changes_a_rule_with_persian_digits(team: Branch) -> None:
    chat = open_chat(OWNER)
    await chat.send("/settings")
    assert "Cashier daily cap (points): 1,000" in chat.text
    await chat.click("Cashier daily cap (points)")
    assert chat.text == "Send the new value for Cashier daily cap (points) (now 1,000)."
    await chat.send("lots")
    assert (
        chat.answers()[-1]
        == "This is not a valid value for Cashier daily cap (points). Nothing was changed."
    )
    assert (await ClubRules.get(id=1)).cashier_daily_cap == 1000
    await chat.send("۱٬۵۰۰")
    assert chat.text.startswith("Saved: Cashier daily cap (points).\nThe club's rules.")
    assert "Cashier daily cap (points): 1,500" in chat.text
    assert (await ClubRules.get(id=1)).cashier_daily_cap == 1500


async def test_owner_sets_the_maximum_purchase_within_its_bounds(team: Branch) -> None:
    chat = open_chat(OWNER)
    await chat.send("/settings")
    assert "Maximum purchase (toman): 1,000,000,000" in chat.text
    await chat.click("Maximum purchase (toman)")
    for too_much in ("100000000001", "۹۹۹۹۹۹۹۹۹۹۹۹۹۹۹۹۹۹۹۹۹", "0"):
        await chat.send(too_much)
        assert chat.answers()[-1] == (
            "Please send a number from 1 to 100,000,000,000. Nothing was changed."
        )
    assert (await ClubRules.get(id=1)).max_purchase == 1_000_000_000
    await chat.send("۵۰۰٬۰۰۰٬۰۰۰")
    assert "Maximum purchase (toman): 500,000,000" in chat.text
    assert (await ClubRules.get(id=1)).max_purchase == 500_000_000


async def test_tier_threshold_changes_a_members_progress(team: Branch) -> None:
    member = await helpers.member(NOW, phone="09121110000")
    await earning.award_purchase(member.id, 3_000_000, receipt="r1", branch_id=team.id, now=NOW)
    before = await tiers.progress(member, NOW)
    assert (before.next_tier.code, before.qualifying_points, before.points_to_next) == (
        "silver",
        300,
        200,
    )

    chat = open_chat(OWNER)
    await chat.send("/settings")
    await chat.click("Tiers")
    assert "Silver: from 500 points, points ×1.25, 5% standing discount" in chat.text
    await chat.click("Silver")
    await chat.click("Threshold (points)")
    assert chat.text == "Send the new Threshold (points) for Silver (now 500)."
    await chat.send("2000")  # gold's threshold: refused
    assert (
        chat.answers()[-1]
        == "This is not a valid value for Threshold (points). Nothing was changed."
    )
    await chat.send("-1")
    assert (
        chat.answers()[-1] == "Please send a number from 0 to 1,000,000,000. Nothing was changed."
    )
    assert (await Tier.get(code="silver")).threshold == 500
    await chat.send("۴۰۰")
    assert chat.text.startswith("Saved: Threshold (points).\nSilver: from 400 points")

    after = await tiers.progress(await Member.get(id=member.id), NOW)
    assert (after.next_tier.code, after.points_to_next) == ("silver", 100)

    await chat.click("Points multiplier")
    await chat.send("۱٫۷۵")
    await chat.click("Standing discount (%)")
    await chat.send("8")
    silver = await Tier.get(code="silver")
    assert (silver.threshold, silver.multiplier, silver.discount_percent) == (
        400,
        Decimal("1.75"),
        8,
    )
    assert await AuditEntry.filter(action="tier_set").count() == 3


async def test_persian_staff_reads_persian(team: Branch) -> None:
    chat = open_chat(OWNER, locale="fa")
    await chat.send("/settings")
    await chat.click("سقف روزانهٔ صندوقدار (امتیاز)")
    await chat.send("زیاد")
    assert (
        chat.answers()[-1]
        == "این مقدار برای سقف روزانهٔ صندوقدار (امتیاز) معتبر نیست. چیزی تغییر نکرد."
    )


async def test_wired_into_the_whole_bot(team: Branch) -> None:
    """The app's own dispatcher, with the routers as handlers/telegram/routers.py orders them."""
    import bot.app
    from handlers.telegram.middlewares import ThrottleMiddleware

    settings = Settings(_env_file=None, bot_token=None, owner_ids=[OWNER], default_locale="en")

    def chat(user_id: int) -> StaffChat:
        mm, session = MockMessageManager(), LocalSession()
        dp = bot.app.build_dispatcher(
            settings,
            storage=JsonMemoryStorage(),
            message_manager=mm,
            throttle=ThrottleMiddleware(limit=1000),
        )
        dp["clock"] = lambda: NOW
        return StaffChat(
            BotClient(
                dp, user_id=user_id, chat_id=user_id, bot=build_bot(settings, session=session)
            ),
            mm,
            session,
        )

    owner = chat(OWNER)
    await owner.send("/rewards")
    assert owner.text.startswith("Rewards (page 1 of 1).")
    await owner.click("Add a reward")
    await owner.send("Muffin")
    assert owner.text == "Step 2: how many points does Muffin cost?"
    await owner.send("/rewards add 90 Tea")
    assert owner.answers()[-1] == "Reward #1 added: Tea for 90 points."

    stranger = chat(5555)
    await stranger.send("/rewards")
    await stranger.send("/settings")
    assert stranger.answers() == ["Not allowed.", "Not allowed."]
    await stranger.send("/start")
    assert stranger.buttons() == ["فارسی", "English"]  # the member sign-up still opens


async def test_branches_dialog(team: Branch) -> None:
    manager = open_chat(MANAGER)
    await manager.send("/branches")
    assert manager.answers() == ["Not allowed."]
    chat = open_chat(OWNER)
    await chat.send("/branches")
    assert chat.buttons() == ["#1 Main: earning rate the club's rate", "Add a branch", "Close"]
    await chat.click("Add a branch")
    await chat.send("North")
    assert chat.text.startswith("Branch #2: North.\nBranches.")
    await chat.click("#2 North: earning rate the club's rate")
    assert (
        chat.text
        == "North earns at the club's rate. Send a new rate (0 to 1,000), or use the club's rate."
    )
    await chat.send("5000")
    assert chat.answers()[-1] == "Please send a number from 0 to 1,000. Nothing was changed."
    await chat.send("۱٫۵")
    assert "#2 North: earning rate 1.5" in chat.buttons()
    assert (await Branch.get(id=2)).earn_rate == Decimal("1.5")
    await chat.click("#2 North: earning rate 1.5")
    await chat.click("Use the club's rate")
    assert (await Branch.get(id=2)).earn_rate is None


async def test_groups_dialog(team: Branch) -> None:
    chat = open_chat(OWNER)
    await chat.send("/groups")
    assert "No product groups yet." in chat.text
    await chat.click("Add a product group")
    await chat.send("Coffee beans")
    assert chat.text == "Send the points multiplier for Coffee beans (0 to 100)."
    await chat.send("many")
    assert chat.answers()[-1] == "Please send a number from 0 to 100. Nothing was changed."
    await chat.send("2")
    assert chat.buttons() == ["#1 Coffee beans: points ×2", "Add a product group", "Close"]
    await chat.click("#1 Coffee beans: points ×2")
    await chat.send("۲٫۵")
    assert (await ProductGroup.get(id=1)).multiplier == Decimal("2.5")


async def test_a_fixed_discount_on_a_group_at_one_branch(team: Branch) -> None:
    north = await Branch.create(name="North")
    cakes = await ProductGroup.create(name="Cakes")
    chat = open_chat(OWNER)
    await chat.send("/rewards")
    await chat.click("Add a reward")
    await chat.send("Cake voucher")
    await chat.send("400")
    await chat.click("A fixed discount")
    assert chat.text == "Step 4: how many toman off? (1 to 1,000,000,000,000)"
    await chat.send("۵۰٬۰۰۰")
    assert chat.buttons() == ["Any product", "Cakes", "Cancel"]
    await chat.click("Cakes")
    await chat.click("Unlimited")
    await chat.click("Gold")
    assert chat.buttons() == ["All branches", "Main", "North", "Cancel"]
    await chat.click("North")
    await chat.send("7")
    assert "Offer: 50,000 toman off (Cakes)" in chat.text and "Branch: North" in chat.text
    await chat.click("Save")
    reward = await Reward.get()
    gold = await Tier.get(code="gold")
    assert (
        reward.kind,
        reward.value,
        reward.product_group_id,
        reward.min_tier_id,
        reward.branch_id,
    ) == (RewardKind.FIXED_DISCOUNT, 50_000, cakes.id, gold.id, north.id)


async def test_cancel_leaves_nothing_behind(team: Branch) -> None:
    chat = open_chat(MANAGER)
    await chat.send("/rewards")
    await chat.click("Add a reward")
    await chat.send("Scone")
    await chat.click("Cancel")
    assert chat.text.startswith("Rewards (page 1 of 1).")
    assert await Reward.all().count() == 0
