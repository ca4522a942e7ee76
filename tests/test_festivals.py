"""Festivals: time-bound earning multipliers the owner sets with /festival, applied by
/earn with exact points, and refused in one line when the input is wrong."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from decimal import Decimal

import pytest

from handlers.texts import reason_text
from loyalty import earning, festivals
from models import (
    AuditEntry,
    Branch,
    Campaign,
    Festival,
    LedgerEntry,
    Member,
    ProductGroup,
    Staff,
    StaffRole,
    Tier,
)
from tests import cli_harness
from tests.cli_harness import Club
from tests.conftest import NOW
from tests.helpers import member as make_member
from tests.staff_harness import CASHIER, OWNER, Harness, harness

# NOW is 2026-03-01 12:30 in Tehran, Jalali 1404/12/10.
PHONE = "09121111111"


@pytest.fixture
async def h(db: str) -> AsyncIterator[Harness]:
    branch = await Branch.first()
    await Staff.create(
        telegram_id=CASHIER, role=StaffRole.CASHIER, branch=branch, name="Kaveh", created_at=NOW
    )
    async with harness() as harness_:
        yield harness_
        assert harness_.api.rejected == []


async def earn_entry(h: Harness, amount: int, receipt: str) -> LedgerEntry:
    await h.send(CASHIER, f"/earn {PHONE} {amount} {receipt}")
    return await LedgerEntry.filter(reason="purchase").order_by("-id").first()


async def test_a_running_festival_multiplies_points_and_names_itself(h: Harness) -> None:
    m = await make_member(NOW, phone=PHONE)  # 20 points for joining
    replies = await h.send(OWNER, "/festival add Yalda 3 1404/12/10 ۱۴۰۴/۱۲/۱۲")
    assert replies == [
        "Festival added:\n#1 Yalda ×3: 2026-03-01 00:00 to 2026-03-04 00:00, every purchase "
        "(on now)"
    ]
    replies = await h.send(CASHIER, f"/earn {PHONE} 250000 R1")
    assert replies == [
        "Purchase recorded: 75 points earned. Balance: 95. Tier: Bronze.\n"
        "Next tier: Silver, 425 points away."  # the festival's 75 count towards it
    ]
    entry = await LedgerEntry.get(reason="purchase")
    assert (entry.amount, entry.note) == (75, "Yalda ×3")
    assert reason_text(entry.reason, entry.note, "en") == "purchase: Yalda ×3"
    assert (await Member.get(id=m.id)).balance == 95
    assert await AuditEntry.filter(action="festival_added").count() == 1
    shown = await h.send(CASHIER, f"/member {PHONE}")
    assert "+75 purchase: Yalda ×3" in shown[0]


async def test_overlapping_festivals_the_highest_multiplier_applies(h: Harness) -> None:
    await make_member(NOW, phone=PHONE)
    await Tier.filter(code="gold").update(name=None)
    for command in (
        "/festival add Nowruz 2 2026-02-28 2026-03-05",
        "/festival add Main days 1.5 1404/12/01 1404/12/29 branch=1",
        "/festival add Gold week 5 1404/12/01 1404/12/29 tier=gold",
    ):
        assert (await h.send(OWNER, command))[0].startswith("Festival added:")
    # Bronze member: Nowruz ×2 and the branch's ×1.5 match, the gold tier's ×5 does not.
    entry = await earn_entry(h, 250_000, "R1")
    assert (entry.amount, entry.note) == (50, "Nowruz ×2")
    await h.send(OWNER, "/festival end 1")
    entry = await earn_entry(h, 250_000, "R2")
    assert (entry.amount, entry.note) == (37, "Main days ×1.5")  # 37.5 rounded down
    assert (await h.send(OWNER, f"/tier {PHONE} gold"))[0].endswith("Tier: Gold.")
    entry = await earn_entry(h, 100_000, "R3")
    # 100,000 less gold's 10% is 90,000 paid: 9 × 1.5 (gold) × 5 = 67.5.
    assert (entry.amount, entry.note) == (67, "Gold week ×5")


async def test_equal_multipliers_the_older_festival_names_the_purchase() -> None:
    older = Festival(id=1, name="A", multiplier=Decimal(2), starts_at=NOW, ends_at=NOW)
    newer = Festival(id=2, name="B", multiplier=Decimal(2), starts_at=NOW, ends_at=NOW)
    for f in (older, newer):
        f.ends_at = NOW + timedelta(days=1)
        f.branch_id = f.product_group_id = f.tier_id = None
    assert festivals.applying([newer, older], NOW, 1, None, None) is older


async def test_no_multiplier_before_the_start_after_the_end_or_once_ended(h: Harness) -> None:
    await make_member(NOW, phone=PHONE)
    await h.send(OWNER, "/festival add Later 3 1404/12/11 1404/12/12")
    await h.send(OWNER, "/festival add Over 3 1404/12/01 1404/12/09")
    await h.send(OWNER, "/festival add Evening 4 1404/12/10T12:31 1404/12/10T20:00")
    entry = await earn_entry(h, 100_000, "R1")
    assert (entry.amount, entry.note) == (10, "")
    await h.send(OWNER, "/festival add Now 2 1404/12/10 1404/12/10")
    assert (await earn_entry(h, 100_000, "R2")).amount == 20
    assert await h.send(OWNER, "/festival end 4") == [
        "Festival ended:\n#4 Now ×2: 2026-03-01 00:00 to 2026-03-01 12:30, every purchase (over)"
    ]
    entry = await earn_entry(h, 100_000, "R3")
    assert (entry.amount, entry.note) == (10, "")


async def test_the_festival_list(h: Harness) -> None:
    group = await ProductGroup.create(name="Coffee", multiplier=Decimal(1))
    assert await h.send(OWNER, "/festival") == [
        "No festivals running or to come. Add one: /festival add Yalda 3 1405/09/30 1405/10/01"
    ]
    await h.send(OWNER, "/festival add شب یلدا ۳ ۱۴۰۴/۱۲/۱۰ ۱۴۰۴/۱۲/۱۲ group=Coffee tier=طلایی")
    await h.send(
        OWNER, f"/festival add Spring 1.25 1405/01/01 1405/01/13 branch=1 group={group.id}"
    )
    assert await h.send(OWNER, "/festival list") == [
        "#1 شب یلدا ×3: 2026-03-01 00:00 to 2026-03-04 00:00, group Coffee, tier Gold "
        "(on now)\n"
        "#2 Spring ×1.25: 2026-03-21 00:00 to 2026-04-03 00:00, branch Main, group Coffee "
        "(to come)"
    ]
    assert await h.send(OWNER, "/festival", language="fa") == [
        "#۱ شب یلدا ×۳: ۱۴۰۴/۱۲/۱۰ ۰۰:۰۰ تا ۱۴۰۴/۱۲/۱۳ ۰۰:۰۰، گروه Coffee، سطح طلایی (در جریان)\n"
        "#۲ Spring ×۱.۲۵: ۱۴۰۵/۰۱/۰۱ ۰۰:۰۰ تا ۱۴۰۵/۰۱/۱۴ ۰۰:۰۰، شعبه Main، گروه Coffee (در راه)"
    ]


@pytest.mark.parametrize(
    ("command", "answer"),
    [
        (
            "/festival add Yalda 0 1404/12/10 1404/12/12",
            "The multiplier must be above 0 and at most 10, with at most two decimals.",
        ),
        (
            "/festival add Yalda -2 1404/12/10 1404/12/12",
            "The multiplier must be above 0 and at most 10, with at most two decimals.",
        ),
        (
            "/festival add Yalda 1000000 1404/12/10 1404/12/12",
            "The multiplier must be above 0 and at most 10, with at most two decimals.",
        ),
        (
            "/festival add Yalda two 1404/12/10 1404/12/12",
            "The multiplier must be above 0 and at most 10, with at most two decimals.",
        ),
        (
            "/festival add Yalda 1.005 1404/12/10 1404/12/12",
            "The multiplier must be above 0 and at most 10, with at most two decimals.",
        ),
        (
            "/festival add Yalda 3 1404/12/12 1404/12/10",
            "The festival must end after it starts.",
        ),
        (
            "/festival add Yalda 3 1404/12/10T18:00 1404/12/10T09:00",
            "The festival must end after it starts.",
        ),
        (
            "/festival add Yalda 3 1404/13/40 1404/12/12",
            "1404/13/40 is not a date: write 1405/10/01 or 2026-12-22, a time may follow (18:30).",
        ),
        (
            "/festival add Yalda 3 tomorrow 1404/12/12",
            "tomorrow is not a date: write 1405/10/01 or 2026-12-22, a time may follow (18:30).",
        ),
        ("/festival add Yalda 3 1404/12/10 1404/12/12 branch=9", "No such branch."),
        ("/festival add Yalda 3 1404/12/10 1404/12/12 group=9", "No such product group."),
        ("/festival add Yalda 3 1404/12/10 1404/12/12 group=Tea", "No such product group."),
        ("/festival add Yalda 3 1404/12/10 1404/12/12 tier=platinum", "There is no tier platinum."),
        ("/festival end 9", "No festival with that number."),
        ("/festival announce 9", "No festival with that number."),
    ],
)
async def test_bad_input_is_refused_in_one_line(h: Harness, command: str, answer: str) -> None:
    assert await h.send(OWNER, command) == [answer]
    assert await Festival.all().count() == 0
    assert await AuditEntry.filter(action__startswith="festival").count() == 0


async def test_bad_input_is_refused_in_persian(h: Harness) -> None:
    assert await h.send(OWNER, "/festival add یلدا ۰ ۱۴۰۴/۱۲/۱۰ ۱۴۰۴/۱۲/۱۲", language="fa") == [
        "ضریب باید بیشتر از ۰ و حداکثر ۱۰ باشد، با حداکثر دو رقم اعشار."
    ]
    assert await h.send(OWNER, "/festival add یلدا ۳ ۱۴۰۴/۱۲/۱۲ ۱۴۰۴/۱۲/۱۰", language="fa") == [
        "جشنواره باید بعد از شروعش تمام شود."
    ]
    assert await Festival.all().count() == 0


async def test_only_the_owner_sets_festivals(h: Harness) -> None:
    assert await h.send(CASHIER, "/festival add Yalda 3 1404/12/10 1404/12/12") == ["Not allowed."]
    assert await h.send(CASHIER, "/festival") == ["Not allowed."]
    assert await Festival.all().count() == 0


async def test_announce_makes_a_campaign_draft(h: Harness) -> None:
    await h.send(OWNER, "/festival add Yalda 3 1404/12/10 1404/12/12 tier=gold")
    replies = await h.send(OWNER, "/festival announce 1")
    text = (
        "🎉 Yalda: every purchase earns ×3 points (tier Gold), until 2026-03-04 00:00. "
        "See you soon!"
    )
    assert replies == [f"Campaign #1 (a draft) announces the festival:\n{text}\nSend it?"]
    campaign = await Campaign.get()
    assert (campaign.status, campaign.channel, campaign.text) == ("draft", "telegram", text)
    assert campaign.audience == {"tier": "gold"}


async def test_the_festival_and_its_note_on_every_store(any_db: str) -> None:
    """The note reaches the ledger row through the purchase's one statement (PostgreSQL)
    and its steps (SQLite)."""
    m = await make_member(NOW)
    await festivals.add_festival(
        "Yalda", Decimal(3), NOW - timedelta(hours=1), NOW + timedelta(hours=1), now=NOW
    )
    result = await earning.award_purchase(m.id, 100_000, receipt="R1", now=NOW)
    assert result.points == 30
    entry = await LedgerEntry.get(reason="purchase")
    assert (entry.amount, entry.note) == (30, "Yalda ×3")
    later = await earning.award_purchase(m.id, 100_000, receipt="R2", now=NOW + timedelta(hours=2))
    assert later.points == 10


async def test_the_member_menu_shows_the_running_festivals(db: str) -> None:
    from tests.test_member_dialogs import joined, open_chat

    chat = open_chat()
    chat.client.dp["clock"] = lambda: NOW
    member = await joined()
    gold = await Tier.get(code="gold")
    for name, multiplier, start, end, tier in (
        ("Yalda", 3, NOW - timedelta(days=1), NOW + timedelta(days=2), None),
        ("Spring", 2, NOW + timedelta(days=1), NOW + timedelta(days=3), None),  # to come
        ("Gold week", 5, NOW - timedelta(days=1), NOW + timedelta(days=2), gold.id),
    ):
        await festivals.add_festival(
            name, Decimal(multiplier), start, end, tier_id=tier, now=NOW - timedelta(days=2)
        )
    await chat.send("/start")
    assert chat.text == (
        "Hello Sara! You have 20 points.\nWhat would you like to do?\n"
        "🎉 Yalda: points ×3 (every purchase) until 2026-03-03 12:30"
    )
    await Member.filter(id=member.id).update(locale="fa", tier_id=gold.id)
    await chat.send("/start")
    assert chat.text.endswith(
        "🎉 Yalda: امتیاز ×۳ (همه خریدها) تا ۱۴۰۴/۱۲/۱۲ ۱۲:۳۰\n"
        "🎉 Gold week: امتیاز ×۵ (سطح طلایی) تا ۱۴۰۴/۱۲/۱۲ ۱۲:۳۰"
    )
    chat.client.dp["clock"] = lambda: NOW + timedelta(days=4)
    await chat.send("/start")
    assert "🎉" not in chat.text


club = cli_harness.club  # the fixture


def test_festivals_from_the_terminal(club: Callable[[str], Club], monkeypatch) -> None:
    # The terminal's clock is NOW: 2026-03-01 12:30 in Tehran, Jalali 1404/12/10.
    monkeypatch.setattr("bot.cli.utcnow", lambda: NOW)
    monkeypatch.setattr("loyalty.earning.utcnow", lambda: NOW)
    en = club("en")
    assert en("festival", "list") == (
        0,
        "No festivals running or to come. Add one: /festival add Yalda 3 1405/09/30 1405/10/01\n",
        "",
    )
    assert en("member", "add", "09121234567")[0] == 0
    added = en("festival", "add", "Yalda", "×3", "۱۴۰۴/۱۲/۱۰", "2026-03-03", "--tier", "Bronze")
    assert added == (
        0,
        "#1 Yalda ×3: 2026-03-01 00:00 to 2026-03-04 00:00, tier Bronze (on now)\n",
        "",
    )
    assert en("festival", "add", "Coffee days", "2", "1404/12/01", "1404/12/20", "--group", "1")[
        0:3:2
    ] == (1, "No such product group.\n")
    assert en("earn", "09121234567", "250000", "--receipt", "R1")[1] == (
        "75 points earned; balance 95; tier Bronze.\nNext tier: Silver, 425 points away.\n"
    )
    shown = en("member", "show", "09121234567")[1]
    assert "+75 purchase: Yalda ×3" in shown
    assert en("festival", "end", "1")[1] == (
        "#1 Yalda ×3: 2026-03-01 00:00 to 2026-03-01 12:30, tier Bronze (over)\n"
    )
    assert en("earn", "09121234567", "250000", "--receipt", "R2")[1] == (
        "25 points earned; balance 120; tier Bronze.\nNext tier: Silver, 400 points away.\n"
    )
    fa = club("fa")
    assert fa("festival", "add", "یلدا", "۰", "۱۴۰۴/۱۲/۱۰", "۱۴۰۴/۱۲/۱۲") == (
        1,
        "",
        "ضریب باید بیشتر از ۰ و حداکثر ۱۰ باشد، با حداکثر دو رقم اعشار.\n",
    )
    assert fa("festival", "add", "یلدا", "2", "1404/12/12", "1404/12/10")[0:3:2] == (
        1,
        "جشنواره باید بعد از شروعش تمام شود.\n",
    )
    assert en("festival", "list")[1].startswith("No festivals running")


async def test_a_festival_delivered_twice_is_added_once(h: Harness) -> None:
    from aiogram.types import Update

    update = h.api.push_message(OWNER, "/festival add Yalda 3 1404/12/10 1404/12/12")
    for _ in range(2):
        await h.dp.feed_update(h.bot, Update.model_validate(update, context={"bot": h.bot}))
    assert await Festival.all().count() == 1
    assert await AuditEntry.filter(action="festival_added").count() == 1


async def test_the_member_history_names_the_festival(db: str) -> None:
    from tests.test_member_dialogs import joined, open_chat

    chat = open_chat()
    member = await joined()
    await festivals.add_festival(
        "Yalda", Decimal(3), NOW - timedelta(hours=1), NOW + timedelta(hours=1), now=NOW
    )
    await earning.award_purchase(member.id, 100_000, receipt="R1", now=NOW)
    await chat.send("/start")
    await chat.click("History")
    assert "2026-03-01  +30  purchase: Yalda ×3\n" in chat.text
