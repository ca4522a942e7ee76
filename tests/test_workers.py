"""`club run --workers 2`: two webhook workers on one loopback port, sharing PostgreSQL and Redis.

The real command runs as a subprocess against the fake Bot API. Members walk the menu
(their dialog state moves between the workers through Redis) while owners record
purchases for the same members through both workers at once, one receipt of each member
twice at the same moment. Every update must be answered once, and every balance must be
exact and equal to its member's ledger.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import aiohttp
import pytest
from tortoise import Tortoise

from bot import patches
from loyalty import members
from models import EntryKind, LedgerEntry, Member, OutboxMessage, OutboxStatus
from tests.conftest import _open_postgres
from tests.fakes.bot_api import FakeBotAPI
from tests.helpers import port_for_workers
from tests.waiting import eventually

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL")
REDIS_URL = os.environ.get("TEST_REDIS_URL")
pytestmark = pytest.mark.skipif(
    not (POSTGRES_URL and REDIS_URL),
    reason="TEST_POSTGRES_URL and TEST_REDIS_URL are both needed: several workers share "
    "PostgreSQL and Redis",
)

SECRET = "s3cret-for-the-workers_test"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
OWNERS = (7001, 7002, 7003, 7004)
MEMBERS = tuple(range(8001, 8007))
AMOUNT = 250_000  # 25 points at the default rules, far from the next tier
PURCHASES = 3  # distinct receipts per member, plus one receipt sent twice at once
STOP = 60.0  # how long the workers may take to stop after SIGTERM: a limit, not a measure


class Club:
    """The `club run --workers 2` process group and the webhook address it serves."""

    def __init__(self, api: FakeBotAPI, tmp_path: Path) -> None:
        self.api = api
        self.held_port = port_for_workers()
        self.port = self.held_port.getsockname()[1]
        self.log = tmp_path / "club.log"
        self.env = {
            **{k: v for k, v in os.environ.items() if k not in ("WEBHOOK_SECRET", "WEB_WORKERS")},
            "BOT_TOKEN": api.token,
            "TELEGRAM_API_BASE": api.base_url,
            "DATABASE_URL": POSTGRES_URL,
            "REDIS_URL": REDIS_URL,
            "WEBHOOK_URL": "https://club.example",
            "WEBHOOK_SECRET": SECRET,
            "WEB_HOST": "127.0.0.1",
            "WEB_PORT": str(self.port),
            "OWNER_IDS": ",".join(map(str, OWNERS)),
            "DEFAULT_LOCALE": "en",
            "SMS_WEBHOOK_SECRET": "",
            "KAVENEGAR_API_KEY": "",
            "SMS_POLL_SECONDS": "0",
        }
        self.cwd = tmp_path
        self.process: asyncio.subprocess.Process | None = None
        self.served: Counter[str] = Counter()  # worker number -> updates it took
        # A new connection per request, as from many Telegram servers: the kernel spreads them.
        self.http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        with self.log.open("wb") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot.cli",
                "run",
                "--workers",
                "2",
                env=self.env,
                cwd=self.cwd,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
            )
        seen: set[str] = set()

        async def both_answered() -> bool:  # a health check each
            if self.process.returncode is not None:
                raise AssertionError(f"the workers exited; log:\n{self.log.read_text()}")
            try:
                async with self.http.get(f"{self.url}/healthz") as response:
                    seen.add(response.headers["X-Club-Worker"])
            except aiohttp.ClientConnectionError:
                pass  # not listening yet
            return seen == {"1", "2"}

        await eventually(
            both_answered, lambda: f"both workers; log:\n{self.log.read_text()}", every=0.1
        )

    async def post(self, update: dict, *, secret: str = SECRET) -> int:
        async with self.http.post(
            f"{self.url}/telegram/webhook", json=update, headers={SECRET_HEADER: secret}
        ) as response:
            if response.status == 200:
                self.served[response.headers["X-Club-Worker"]] += 1
            return response.status

    async def stop(self) -> int | None:
        await self.http.close()
        try:
            if self.process is None or self.process.returncode is not None:
                return self.process.returncode if self.process else None
            self.process.send_signal(signal.SIGTERM)
            try:
                return await asyncio.wait_for(self.process.wait(), STOP)
            finally:
                if self.process.returncode is None:
                    os.killpg(self.process.pid, signal.SIGKILL)  # the group this test started
                    await self.process.wait()
        finally:
            self.held_port.close()


def button(message: dict, label: str) -> str:
    buttons = [b for row in message["reply_markup"]["inline_keyboard"] for b in row]
    return next(b["callback_data"] for b in buttons if b["text"] == label)


def starting(prefix: str) -> Callable[[dict], bool]:
    return lambda message: (message.get("text") or "").startswith(prefix)


async def walk_the_menu(club: Club, user: int) -> list[str]:
    """/start, then My points, Back, History, Back: each step waits for its answer."""
    api = club.api
    pressed: list[str] = []
    assert await club.post(api.push_message(user, "/start")) == 200
    menu = await api.wait_for_message(user, starting("Hello"))
    for label, answer in (
        ("My points", "Your balance"),
        ("Back", "Hello"),
        ("History", "Your history"),
        ("Back", "Hello"),
    ):
        pressed.append(api.push_callback(user, menu["message_id"], button(menu, label)))
        assert await club.post(api._updates[-1]) == 200
        menu = await api.wait_for_message(user, starting(answer))
    return pressed


def texts_to(api: FakeBotAPI, chat_id: int) -> list[str]:
    return [
        params["text"]
        for method, params in api.calls
        if method == "sendMessage" and params["chat_id"] == chat_id
    ]


@pytest.fixture
async def club_db() -> dict[int, str]:
    """A fresh PostgreSQL club with the members, and an empty Redis database."""
    from redis.asyncio import Redis

    redis = Redis.from_url(REDIS_URL)
    try:
        await redis.flushdb()  # TEST_REDIS_URL is the tests' own database, like TEST_POSTGRES_URL
    finally:
        await redis.aclose()
    await _open_postgres()
    phones = {}
    for n, user in enumerate(MEMBERS):
        phone = f"+98912000{n:04d}"
        await members.register_member(phone, first_name=f"M{n}", telegram_id=user, locale="en")
        phones[user] = "0" + phone[3:]
    yield phones
    await Tortoise.close_connections()


async def test_two_workers_answer_every_update_once_and_keep_balances_exact(
    club_db: dict[int, str], tmp_path: Path
) -> None:
    async with FakeBotAPI() as api:
        for user in (*OWNERS, *MEMBERS):
            api.add_user(user, language_code="en")
        club = Club(api, tmp_path)
        try:
            await club.start()
            webhooks = [params for method, params in api.calls if method == "setWebhook"]
            assert len(webhooks) == 1  # by the parent, once for both workers
            assert webhooks[0]["url"] == "https://club.example/telegram/webhook"
            assert webhooks[0]["secret_token"] == SECRET

            # Without the secret nothing is handled.
            forged = api.push_message(OWNERS[0], f"/earn {club_db[MEMBERS[0]]} {AMOUNT} forged")
            assert await club.post(forged, secret="wrong") == 401

            earns: list[tuple[int, str]] = []  # (owner, command)
            for n, user in enumerate(MEMBERS):
                for k in range(PURCHASES):
                    earns.append(
                        (OWNERS[(n + k) % len(OWNERS)], f"/earn {club_db[user]} {AMOUNT} m{n}-r{k}")
                    )

            async def earn(owner: int, text: str) -> None:
                assert await club.post(api.push_message(owner, text)) == 200

            async def twice(n: int, user: int) -> None:  # one receipt, two owners, same moment
                text = f"/earn {club_db[user]} {AMOUNT} m{n}-twice"
                await asyncio.gather(earn(OWNERS[n % 4], text), earn(OWNERS[(n + 1) % 4], text))

            # Without the dialog_ids patch aiogram-dialog's ids collide for two dialogs opened
            # in one second (one chance in a hundred), and a menu's Back then re-shows the
            # dialog it closed: the bug the patch exists for, not what this test is about.
            walking = "dialog_ids" in patches.selected(os.environ.get("PATCHES", "all"))
            walks = [walk_the_menu(club, user) for user in MEMBERS] if walking else []
            results = await asyncio.gather(
                *walks,
                *(earn(o, text) for o, text in earns),
                *(twice(n, user) for n, user in enumerate(MEMBERS)),
            )
            pressed = [query for walk in results[: len(walks)] for query in walk]

            earn_count = len(earns) + 2 * len(MEMBERS)
            owner_texts = lambda: [text for owner in OWNERS for text in texts_to(api, owner)]  # noqa: E731
            await eventually(lambda: len(owner_texts()) >= earn_count, "an answer to every /earn")
            # The notifications of the purchases, sent by whichever worker holds the jobs lease.
            await eventually(
                lambda: all(
                    sum(t.startswith("You earned") for t in texts_to(api, user)) >= PURCHASES + 1
                    for user in MEMBERS
                ),
                "the purchase notifications",
            )

            # Every message marked sent, then the workers stopped: a duplicate of anything
            # would have been sent by now, and nothing can be sent any more.
            async def all_marked_sent() -> bool:
                return not await OutboxMessage.exclude(status=OutboxStatus.SENT).exists()

            await eventually(all_marked_sent, "every outbox message marked sent", every=0.1)
            status = await club.stop()
        finally:
            await club.stop()
            if club.process is not None and club.process.returncode not in (0, None):
                print(club.log.read_text())

    assert status == 0  # SIGTERM stopped both workers cleanly
    assert "ERROR" not in club.log.read_text()  # no update, job or send failed
    assert api.rejected == []
    assert set(club.served) == {"1", "2"}  # both workers took updates
    # Every update answered once: one reply per /earn, one answer per button press.
    answers = owner_texts()
    assert len(answers) == earn_count
    assert sum(a.startswith("Purchase recorded: 25 points earned.") for a in answers) == len(
        earns
    ) + len(MEMBERS)
    assert sum(
        a.startswith("This receipt was already recorded: 25 points") for a in answers
    ) == len(MEMBERS)
    assert sorted(api.callback_answers) == sorted(pressed)
    for user in MEMBERS:
        sent = texts_to(api, user)
        # /start once; the buttons edit
        assert sum(t.startswith("Hello") for t in sent) == (1 if walking else 0)
        assert sum(t.startswith("You earned 25 points") for t in sent) == PURCHASES + 1
    assert await OutboxMessage.exclude(status=OutboxStatus.SENT).count() == 0

    # Balances: the sign-up bonus and four purchases, equal to the ledger.
    for user in MEMBERS:
        member = await Member.get(telegram_id=user)
        ledger = await LedgerEntry.filter(member_id=member.id).values_list("amount", flat=True)
        assert member.balance == 20 + (PURCHASES + 1) * 25
        assert sum(ledger) == member.balance
        assert (
            await LedgerEntry.filter(member_id=member.id, kind=EntryKind.EARN).count()
            == PURCHASES + 1
        )
