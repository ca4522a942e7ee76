"""A branch's own currency unit and minimum purchase, renaming, closing and reopening it,
through the staff commands, the /branches dialog and the `club` command."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from models import AuditEntry, Branch, LedgerEntry, Member, Purchase, Staff, StaffRole
from tests import cli_harness
from tests.cli_harness import Club
from tests.conftest import NOW
from tests.helpers import member
from tests.staff_harness import CASHIER, MANAGER, OWNER, Harness, harness
from tests.test_staff_dialogs import open_chat

club = cli_harness.club  # the fixture
MAIN_CASHIER = CASHIER + 1
PHONE = "09121110001"


@pytest.fixture
async def h(db: str) -> AsyncIterator[Harness]:
    """Main (#1) with a cashier; North (#2) with its manager and cashier."""
    main = await Branch.get(id=1)
    north = await Branch.create(name="North", created_at=NOW)
    assert north.id == 2
    await Staff.create(telegram_id=MANAGER, role=StaffRole.MANAGER, branch=north, created_at=NOW)
    await Staff.create(telegram_id=CASHIER, role=StaffRole.CASHIER, branch=north, created_at=NOW)
    await Staff.create(
        telegram_id=MAIN_CASHIER, role=StaffRole.CASHIER, branch=main, created_at=NOW
    )
    async with harness() as harness_:
        yield harness_
        assert harness_.api.rejected == []


async def test_unit_and_minimum_set_by_owner_and_own_manager_and_earn_follows(
    h: Harness,
) -> None:
    sara = await member(NOW, phone=PHONE, first_name="Sara")  # 20 points for joining
    assert await h.send(OWNER, "/branch 2 unit 5000") == [
        "#2 North: currency unit 5,000 toman; minimum purchase the club's (0 toman)."
    ]
    assert await h.send(MANAGER, "/branch ۲ حداقل ۱۰۰۰۰۰", language="fa") == [
        "#۲ North: واحد پول ۵٬۰۰۰ تومان؛ کمترین خرید ۱۰۰٬۰۰۰ تومان."
    ]
    # A manager of North sets North's only; a cashier none; bad values are refused.
    assert await h.send(MANAGER, "/branch 1 unit 1000") == ["Not allowed."]
    assert await h.send(CASHIER, "/branch 2 unit 1000") == ["Not allowed."]
    assert await h.send(MANAGER, "/branch 2 unit 0") == [
        "That value is not valid for currency_unit: send a number from 1 to 100,000,000,000."
    ]
    assert await h.send(MANAGER, "/branch 2 unit many") == [
        "The amount must be a positive whole number."
    ]
    assert await h.send(MANAGER, "/branch 2 colour 5") == [
        "Usage: /branch <branch id> [unit|minimum <amount|club>]"
    ]
    branch = await Branch.get(id=2)
    assert (branch.currency_unit, branch.min_purchase) == (5000, 100_000)

    # North: 250,000 ÷ 5,000 = 50 points; Main keeps the club's 10,000: 25 points.
    assert await h.send(CASHIER, f"/earn {PHONE} 250000 N1") == [
        "Purchase recorded: 50 points earned. Balance: 70. Tier: Bronze.\n"
        "Next tier: Silver, 450 points away."
    ]
    assert await h.send(MAIN_CASHIER, f"/earn {PHONE} 250000 M1") == [
        "Purchase recorded: 25 points earned. Balance: 95. Tier: Bronze.\n"
        "Next tier: Silver, 425 points away."
    ]
    # Under North's minimum: refused, nothing recorded; the club's minimum (0) at Main.
    assert await h.send(CASHIER, f"/earn {PHONE} 99999 N2") == [
        "Not recorded: the minimum purchase here is 100,000; smaller purchases earn no points."
    ]
    assert await h.send(CASHIER, f"/earn {PHONE} 99999 N2", language="fa") == [
        "ثبت نشد: کمترین خرید در اینجا ۱۰۰٬۰۰۰ است و خرید کمتر امتیازی ندارد."
    ]
    assert await h.send(MAIN_CASHIER, f"/earn {PHONE} 99999 M2") == [
        "Purchase recorded: 9 points earned. Balance: 104. Tier: Bronze.\n"
        "Next tier: Silver, 416 points away."
    ]
    assert await Purchase.filter(receipt="N2").count() == 0
    assert (await Member.get(id=sara.id)).balance == 104

    # Back to the club's unit: 250,000 ÷ 10,000 = 25.
    assert await h.send(OWNER, "/branch 2 unit club") == [
        "#2 North: currency unit the club's (10,000 toman); minimum purchase 100,000 toman."
    ]
    assert await h.send(CASHIER, f"/earn {PHONE} 250000 N3") == [
        "Purchase recorded: 25 points earned. Balance: 129. Tier: Bronze.\n"
        "Next tier: Silver, 391 points away."
    ]
    assert await h.send(CASHIER, "/branch 2") == ["Not allowed."]
    assert await h.send(MANAGER, "/branch 2") == [
        "#2 North: currency unit the club's (10,000 toman); minimum purchase 100,000 toman."
    ]
    audit = await AuditEntry.filter(action="branch_rule").order_by("id")
    assert [(a.details["key"], a.details["value"]) for a in audit] == [
        ("currency_unit", 5000),
        ("min_purchase", 100_000),
        ("currency_unit", None),
    ]


async def test_rename_close_and_reopen_a_branch(h: Harness) -> None:
    sara = await member(NOW, phone=PHONE, first_name="Sara")
    await h.send(CASHIER, f"/earn {PHONE} 1000000 N1")  # 100 points; Sara belongs to North
    assert await h.send(OWNER, "/branches rename 2 North Side") == [
        "#2 North Side: the club's earning rate"
    ]
    assert await h.send(OWNER, "/branches rename 2 Main") == [
        "Another branch is already called Main."
    ]
    assert await h.send(MANAGER, "/branches close 2") == ["Not allowed."]
    assert await h.send(OWNER, "/branches close 2") == ["#2 North Side: closed"]
    assert await h.send(OWNER, "/branches") == [
        "#1 Main: the club's earning rate\n#2 North Side: closed"
    ]
    # No new purchases or staff; the history, the member and the staff rows stay.
    closed = "Branch North Side is closed: it takes no new purchases, staff or members."
    assert await h.send(CASHIER, f"/earn {PHONE} 250000 N2") == [closed]
    assert await h.send(OWNER, "/staff invite cashier 2") == [closed]
    assert await h.send(OWNER, f"/move {PHONE} 2") == [closed]
    assert await h.send(CASHIER, f"/earn {PHONE} 250000 N2", language="fa") == [
        "شعبه North Side بسته است: خرید، کارمند یا عضو تازه نمی‌پذیرد."
    ]
    assert await Purchase.filter(branch_id=2).count() == 1
    assert (await Member.get(id=sara.id)).branch_id == 2
    # Its purchases can still be refunded by the owner.
    assert await h.send(OWNER, "/refund N1 200000") == [
        "Refund recorded: 20 points taken back. Balance: 100."
    ]
    # The last open branch stays open.
    assert await h.send(OWNER, "/branches close 1") == [
        "This is the last open branch: open another one first."
    ]
    assert await h.send(OWNER, "/branches open ۲", language="fa") == [
        "#۲ North Side: نرخ امتیاز باشگاه"
    ]
    assert await h.send(CASHIER, f"/earn {PHONE} 250000 N2") == [
        "Purchase recorded: 25 points earned. Balance: 125. Tier: Bronze.\n"
        "Next tier: Silver, 395 points away."
    ]
    assert await h.send(OWNER, "/branches shut 2") == [
        "Usage: /branches [add <name> | rate <branch id> <rate|club> | "
        "rename <branch id> <name> | close <branch id> | open <branch id>]"
    ]
    actions = await AuditEntry.filter(action__startswith="branch_").order_by("id")
    assert [a.action for a in actions] == ["branch_rename", "branch_close", "branch_open"]


async def test_an_invitation_to_a_branch_closed_since_is_refused(h: Harness) -> None:
    invited = await h.send(OWNER, "/staff invite cashier 2")
    link = invited[0].split()[-1]
    token = link.split("start=")[-1]
    await h.send(OWNER, "/branches close 2")
    newcomer = CASHIER + 50
    assert await h.send(newcomer, f"/start {token}") == [
        "Branch North is closed: it takes no new purchases, staff or members."
    ]
    assert not await Staff.exists(telegram_id=newcomer)


async def test_the_branches_dialog_sets_unit_minimum_name_and_closes(db: str) -> None:
    chat = open_chat(OWNER)
    await chat.send("/branches")
    await chat.click("#1 Main: earning rate the club's rate")
    await chat.click("Close the branch")
    alerts = [call.text for call in chat.session.sent("AnswerCallbackQuery") if call.text]
    assert alerts == ["This is the last open branch: open another one first."]
    assert (await Branch.get(id=1)).active
    await Branch.create(name="North", created_at=NOW)
    await chat.send("/branches")
    await chat.click("#2 North: earning rate the club's rate")
    assert chat.buttons() == [
        "Use the club's rate",
        "Currency unit",
        "Minimum purchase",
        "Rename",
        "Close the branch",
        "Back",
    ]
    await chat.click("Currency unit")
    assert chat.text == (
        "Currency unit of North: the club's (10,000 toman). Points are the amount ÷ the unit "
        "× the rate. Send a new unit (1 to 100,000,000,000), or use the club's."
    )
    await chat.send("0")
    assert (
        chat.answers()[-1] == "Please send a number from 1 to 100,000,000,000. Nothing was changed."
    )
    await chat.send("۲۰۰۰۰")
    assert (await Branch.get(id=2)).currency_unit == 20_000
    await chat.click("#2 North: earning rate the club's rate")
    await chat.click("Minimum purchase")
    await chat.send("50000")
    assert (await Branch.get(id=2)).min_purchase == 50_000
    await chat.click("#2 North: earning rate the club's rate")
    await chat.click("Rename")
    assert chat.text == "Send the new name of North."
    await chat.send("Tajrish")
    await chat.click("#2 Tajrish: earning rate the club's rate")
    await chat.click("Close the branch")
    assert chat.buttons() == [
        "#1 Main: earning rate the club's rate",
        "#2 Tajrish: closed",
        "Add a branch",
        "Close",
    ]
    assert not (await Branch.get(id=2)).active
    await chat.click("#2 Tajrish: closed")
    await chat.click("Open the branch")
    branch = await Branch.get(id=2)
    assert (branch.name, branch.active, branch.currency_unit, branch.min_purchase) == (
        "Tajrish",
        True,
        20_000,
        50_000,
    )
    # A manager has no /branches dialog.
    manager = open_chat(MANAGER)
    await Staff.create(telegram_id=MANAGER, role=StaffRole.MANAGER, created_at=NOW)
    await manager.send("/branches")
    assert manager.answers() == ["Not allowed."]


def test_branches_from_the_terminal(club) -> None:  # type: ignore[no-untyped-def]
    en: Club = club("en")
    fa: Club = club("fa")
    assert en("member", "add", PHONE)[0] == 0
    assert en("branch", "unit", "1", "5000")[1:] == (
        "#1 Main: currency unit 5,000 toman; minimum purchase the club's (0 toman).\n",
        "",
    )
    assert fa("branch", "minimum", "1", "۱۰۰۰۰۰")[1] == (
        "#۱ مرکزی: واحد پول ۵٬۰۰۰ تومان؛ کمترین خرید ۱۰۰٬۰۰۰ تومان.\n"
    )
    assert en("earn", PHONE, "250000", "--receipt", "R1")[1] == (
        "50 points earned; balance 70; tier Bronze.\nNext tier: Silver, 450 points away.\n"
    )
    assert en("earn", PHONE, "99999", "--receipt", "R2") == (
        1,
        "",
        "Not recorded: the minimum purchase here is 100,000; smaller purchases earn no points.\n",
    )
    assert en("branch", "unit", "1", "0")[0::2] == (
        1,
        "That value is not valid for currency_unit: send a number from 1 to 100,000,000,000.\n",
    )
    assert en("branch", "rename", "1", "Centre")[1] == "#1 Centre: the club's earning rate\n"
    assert en("branch", "close", "1") == (
        1,
        "",
        "This is the last open branch: open another one first.\n",
    )
    assert en("branch", "list")[1] == (
        "#1 Centre: the club's earning rate\n"
        "  #1 Centre: currency unit 5,000 toman; minimum purchase 100,000 toman.\n"
    )


async def test_a_refund_entry_names_the_branch_of_the_purchase(h: Harness) -> None:
    await member(NOW, phone=PHONE)
    await h.send(CASHIER, f"/earn {PHONE} 1000000 N1")
    await h.send(OWNER, "/refund N1")
    entry = await LedgerEntry.get(kind="refund")
    assert (entry.branch_id, entry.amount) == (2, -100)
