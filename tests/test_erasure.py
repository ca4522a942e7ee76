"""'Delete my data': after it, no table holds the member's phone, name or codes; amounts stay.

The member's data is written through the doors a person uses (Telegram sign-up with a
contact, SMS keywords, feedback and messages, a redemption, a purchase and a correction at
the counter, an answer from staff), the member deletes through Telegram, and then every
column of every table the database has (found from the database itself, so a table added
later is searched too) is searched for the phone in every form, the name, the codes and
the Telegram account.
"""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime
from typing import Any

from aiogram.types import Chat, Contact, Message, Update, User
from aiogram_dialog.test_tools import BotClient
from tortoise import Tortoise

from bot.app import build_bot, build_dispatcher
from bot.outbox import OutboxSender
from bot.sandbox import LocalSession
from bot.settings import Settings
from bot.sms_door import SmsDoor, record_sms, sms_config
from bot.sms_gateway import DrySmsGateway
from handlers.telegram.middlewares import ThrottleMiddleware
from loyalty import erasure
from loyalty.staff import access, team
from models import (
    Branch,
    Card,
    InboundSms,
    InboxItem,
    LedgerEntry,
    Member,
    Purchase,
    SmsLog,
    Staff,
    StaffRole,
    Voucher,
    VoucherStatus,
)
from tests import helpers
from tests.conftest import NOW
from tests.test_member_dialogs import Chat_, MessageManager

USER = 7_000_123_457  # the member's Telegram account
OWNER = 7_000_999_001
PHONE = "09127654321"
NAME = "Shahrzad"
OTHER_PHONE = "09351112233"
LINE = "10008663"
SETTINGS = Settings(_env_file=None, bot_token=None, default_locale="en", owner_ids=[OWNER])


class Bot_:
    """The whole bot as `club run` builds it (database FSM storage included), in-process."""

    def __init__(self) -> None:
        self.mm = MessageManager()
        self.session = LocalSession()
        bot = build_bot(SETTINGS, session=self.session)
        self.dp = build_dispatcher(
            SETTINGS, message_manager=self.mm, throttle=ThrottleMiddleware(limit=1000)
        )
        self.bot = bot
        client = BotClient(self.dp, user_id=USER, chat_id=USER, bot=bot)
        self.member = Chat_(client, self.mm, self.session)
        self.owner = BotClient(self.dp, user_id=OWNER, chat_id=OWNER, bot=bot)
        self.sms = SmsDoor(sms_config(SETTINGS))
        self._sms_ids = iter(range(5001, 6000))
        self._ids = itertools.count(900_000)

    async def contact(self, phone: str) -> None:
        """The member shares their own number with the contact button."""
        self.mm.reset_history()
        self.mm.reply_keyboard = None
        sender = User(id=USER, is_bot=False, first_name=NAME)
        contact = Contact(phone_number=phone, first_name=NAME, user_id=USER)
        message = Message(
            message_id=next(self._ids),
            date=datetime.now(UTC),
            chat=Chat(id=USER, type="private"),
            from_user=sender,
            contact=contact,
        )
        await self.dp.feed_update(self.bot, Update(update_id=next(self._ids), message=message))

    async def staff(self, text: str) -> str:
        """A command of the owner at the counter; the bot's last answer to it."""
        await self.owner.send(text)
        return [call.text for call in self.session.sent("SendMessage") if call.chat_id == OWNER][-1]

    async def text(self, sender: str, text: str) -> str:
        """An SMS to the club's line, as the webhook hands it over; the answer sent back."""
        accepted = await self.sms.accept(sender, text, str(next(self._sms_ids)))
        decided = await self.sms.process(accepted.row_id)
        assert decided is not None
        return str(decided.reply)


async def _rows_holding(needles: list[str]) -> list[tuple[str, str, str]]:
    """(table, column, needle) for every value in the database that contains a needle."""
    connection = Tortoise.get_connection("default")
    if connection.capabilities.dialect == "postgres":
        listed = await connection.execute_query_dict(
            "SELECT table_name AS name FROM information_schema.tables"
            " WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
        )
    else:
        listed = await connection.execute_query_dict(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    found = []
    for table in sorted(row["name"] for row in listed):
        for row in await connection.execute_query_dict(f'SELECT * FROM "{table}"'):
            for column, value in row.items():
                text = _readable(value).casefold()
                found += [(table, column, n) for n in needles if n.casefold() in text]
    return found


def _readable(value: Any) -> str:
    """The value as text, JSON with its characters unescaped (SQLite keeps JSON as ASCII)."""
    if isinstance(value, bytes):
        value = value.decode(errors="replace")
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    text = str(value)
    if text[:1] in "{[":
        try:
            return json.dumps(json.loads(text), ensure_ascii=False)
        except ValueError:
            return text
    return text


async def test_delete_my_data_leaves_nothing_that_names_the_member(any_db: str) -> None:
    coffee = await helpers.reward(15, name="Coffee")
    cake = await helpers.reward(10, name="Cake", stock=5)
    club = Bot_()
    try:
        await _write_and_delete(club, coffee.id, cake.id)
    finally:
        await club.dp.storage.close()


async def _write_and_delete(club: Bot_, coffee_id: int, cake_id: int) -> None:
    chat = club.member

    # Joining on Telegram with the phone shared as a contact.
    await chat.send("/start")
    await chat.click("English")
    await club.contact("+98 912 765 4321")
    await chat.send(NAME)
    await chat.send("1991-08-03")
    await chat.click("Woman")
    await chat.click("For myself")
    assert chat.text == f"Welcome to the club, {NAME}! You received 20 points for joining."
    member = await Member.get(telegram_id=USER)
    card = (await Card.get(member_id=member.id)).number

    # A purchase and a correction at the counter, by phone number.
    assert (await club.staff(f"/earn {PHONE} 500000 r-77")).startswith("Purchase recorded")
    corrected = await club.staff(f"/adjust {PHONE} +10 cake for {NAME} 0912-765-4321")
    assert corrected.startswith("Correction")

    # SMS: the balance, feedback naming the member, a redemption answered with its code.
    assert await club.text(PHONE, "POINTS") != ""
    await club.text(PHONE, f"FEEDBACK {NAME} here, call me on ۰۹۱۲۷۶۵۴۳۲۱")
    redeemed = await club.text(PHONE, f"REDEEM {cake_id}")
    by_sms = (await Voucher.get(member_id=member.id, reward_id=cake_id)).code
    assert by_sms in redeemed
    assert (await club.staff(f"/redeem {by_sms}")).startswith(f"Voucher {by_sms} accepted")

    # Telegram: feedback, a message to the club, a reward redeemed and not yet used.
    await chat.send("/start")
    await chat.click("Feedback")
    await chat.click("⭐⭐⭐⭐⭐")
    await chat.send(f"Lovely, from {NAME}")
    await chat.click("Back to the menu")
    await chat.click("Write to us")
    await chat.send(f"{NAME} asks: open on Friday? 09127654321")
    await chat.click("Back to the menu")
    await chat.click("Rewards")
    await chat.click("✅ Coffee: 15 points")
    await chat.click("Yes, redeem")
    by_telegram = (await Voucher.get(member_id=member.id, reward_id=coffee_id)).code
    await chat.click("Back to the menu")

    # Staff answer the message, naming the member.
    message = await InboxItem.get(member_id=member.id, text__startswith=f"{NAME} asks")
    await club.staff(f"/reply {message.id} Yes {NAME}, we are open")

    # Someone else writes too: their records must stay.
    await club.text(OTHER_PHONE, "JOIN Kamran")
    await club.text(OTHER_PHONE, "FEEDBACK good tea")

    # The answers by SMS go out, as the outbox sends them, through the dry gateway's log.
    outbox = OutboxSender(
        bot=None, gateway=DrySmsGateway(LINE, recorder=record_sms), tz=SETTINGS.tz
    )
    await outbox.drain()

    needles = [
        PHONE[1:],
        "۹۱۲۷۶۵۴۳۲۱",
        "٩١٢٧٦٥٤٣٢١",
        NAME,
        by_sms,
        by_telegram,
        card,
        member.referral_code,
        str(USER),
    ]
    before = await _rows_holding(needles)
    held = {table for table, _, _ in before}
    assert {
        "member",
        "inbound_sms",
        "inbox_item",
        "sms_log",
        "voucher",
        "card",
        "ledger_entry",
        "audit_entry",
        "outbox_message",
        "fsm_record",
    } <= held, held
    balance = (await Member.get(id=member.id)).balance
    purchases = await Purchase.filter(member_id=member.id).values_list("amount", "points")

    await chat.click("Delete my data")
    await chat.click("Yes, delete my data")
    assert chat.answers()[-1] == (
        "Your data has been deleted. Send /start if you ever want to join again."
    )
    await club.dp.storage.close()  # the dialog state as it is written to the database

    assert await _rows_holding(needles) == []
    # The books keep their numbers, on an anonymous member: the unused voucher's 15 points
    # came back when it was cancelled.
    gone = await Member.get(id=member.id)
    assert gone.deleted_at is not None and gone.balance == balance + 15
    amounts = await LedgerEntry.filter(member_id=member.id).values_list("amount", flat=True)
    assert sum(amounts) == gone.balance
    assert await Purchase.filter(member_id=member.id).values_list("amount", "points") == purchases
    assert await Voucher.filter(member_id=member.id).values_list("reward_id", "status") == [
        (cake_id, VoucherStatus.USED),
        (coffee_id, VoucherStatus.CANCELLED),
    ]
    # The till refuses the open voucher, and says why.
    assert await club.staff(f"/redeem {by_telegram.lower()}") == "This voucher was cancelled."
    # The other member's messages are untouched.
    assert await InboundSms.filter(sender="+989351112233").count() == 2
    assert await SmsLog.filter(receptor=OTHER_PHONE).count() == 2
    assert await InboxItem.filter(text="good tea").count() == 1
    # The chat starts again as a stranger's.
    await chat.send("hello")
    assert "Choose your language" in chat.text


async def test_a_former_staff_account_goes_with_the_member_a_current_one_stays(any_db: str) -> None:
    owner = await access.identify(OWNER, [OWNER], name="Owner")
    assert owner is not None
    branch = await Branch.first()

    async def hired(telegram_id: int, name: str) -> Staff:
        invite = await team.create_invite(owner, StaffRole.CASHIER, branch.id)
        payload = team.invite_payload(invite)
        return await team.accept_invite(payload, telegram_id, name=name)

    former = await hired(USER, NAME)
    await team.revoke(owner, former.id)
    current = await hired(USER + 1, "Kamran")
    leaving = await helpers.member(NOW, phone=PHONE, telegram_id=USER, first_name=NAME)
    working = await helpers.member(
        NOW, phone=OTHER_PHONE, telegram_id=USER + 1, first_name="Kamran"
    )

    await erasure.delete_member_data(leaving.id, now=NOW)
    await erasure.delete_member_data(working.id, now=NOW)
    # The ex-cashier's actions keep their staff id; the name and the account go.
    kept = ("name", "telegram_id", "active")
    assert await Staff.get(id=former.id).values_list(*kept) == ("", -former.id, False)
    # Whoever still works there keeps the account: ending it is the club's decision.
    assert await Staff.get(id=current.id).values_list(*kept) == ("Kamran", USER + 1, True)
