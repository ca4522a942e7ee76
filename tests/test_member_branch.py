"""A member chooses their own home branch in the Telegram profile; the branch's manager
counts them. No test here sets a member's branch by hand."""

from __future__ import annotations

from models import Branch, Member, Staff, StaffRole
from tests.conftest import NOW
from tests.staff_harness import CASHIER, MANAGER, harness
from tests.test_member_dialogs import USER, Chat_, joined, open_chat


async def test_a_member_chooses_their_branch_and_its_manager_counts_them(db: str) -> None:
    north = await Branch.create(name="North", created_at=NOW)
    await Staff.create(telegram_id=MANAGER, role=StaffRole.MANAGER, branch=north, created_at=NOW)
    await Staff.create(
        telegram_id=CASHIER, role=StaffRole.CASHIER, branch_id=1, created_at=NOW
    )  # at Main
    sara = await joined()
    chat = open_chat()
    await chat.send("/start")
    await chat.click("Profile")
    assert chat.text == (
        "Your profile\nName: Sara\nLast name: -\nBirthday: -\nGender: not given\n"
        "You buy for yourself\nInterests: -\nLanguage: English\nNews and offers: yes\n"
        "My branch: not chosen"
    )
    await chat.click("My branch")
    assert chat.text == "Choose your branch: the one you shop at most."
    assert chat.buttons() == ["Main", "North", "Back"]
    await chat.click("North")
    assert chat.text.endswith("My branch: North")
    assert (await Member.get(id=sara.id)).branch_id == north.id

    async with harness() as h:
        # A purchase at another branch does not move a member who chose theirs.
        await h.send(CASHIER, "/earn 09121110000 250000 M1")
        assert (await Member.get(id=sara.id)).branch_id == north.id
        report = await h.send(MANAGER, "/report")
        assert report[0].split("\n")[1] == (
            "Members: 1; new: 1; left: 0; unreachable on Telegram: 0"
        )

        await chat.click("My branch")
        assert chat.buttons() == ["Main", "✓ North", "Back"]
        await chat.click("Main")
        assert (await Member.get(id=sara.id)).branch_id == 1
        report = await h.send(MANAGER, "/report")
        assert report[0].split("\n")[1] == (
            "Members: 0; new: 0; left: 0; unreachable on Telegram: 0"
        )


async def test_in_persian_and_a_closed_branch_is_not_offered(db: str) -> None:
    await Branch.create(name="North", created_at=NOW)
    await Branch.create(name="West", active=False, created_at=NOW)
    sara = await joined(locale="fa")
    chat = open_chat()
    await chat.send("/start")
    await chat.click("نمایه")
    assert chat.text.endswith("شعبه من: انتخاب نشده")
    await chat.click("شعبه من")
    assert chat.text == "شعبه خود را انتخاب کنید: جایی که بیشتر از آن خرید می‌کنید."
    assert chat.buttons() == ["مرکزی", "North", "بازگشت"]
    await chat.click("North")
    assert chat.text.endswith("شعبه من: North")
    assert (await Member.get(id=sara.id)).branch_id == 2


async def test_with_one_open_branch_there_is_nothing_to_choose(db: str) -> None:
    await Branch.create(name="West", active=False, created_at=NOW)
    await joined()
    chat = open_chat()
    await chat.send("/start")
    await chat.click("Profile")
    assert "My branch" not in chat.text
    assert "My branch" not in chat.buttons()


async def _sign_up(chat: Chat_, branch: str | None) -> None:
    await chat.send("/start")
    await chat.click("English")
    await chat.contact("+989121234567")
    await chat.send("Sara")
    await chat.click("Skip")  # the birthday
    await chat.click("Skip")  # woman or man
    await chat.click("For myself")
    assert chat.text == "Which branch do you shop at most? (optional)"
    assert chat.buttons() == ["Main", "North", "Skip"]
    await chat.click(branch or "Skip")
    assert chat.text == "Welcome to the club, Sara! You received 20 points for joining."


async def test_at_sign_up_a_branch_may_be_chosen_when_there_are_several(db: str) -> None:
    await Branch.create(name="North", created_at=NOW)
    await _sign_up(open_chat(), "North")
    assert (await Member.get(telegram_id=USER)).branch_id == 2


async def test_at_sign_up_the_branch_may_be_skipped(db: str) -> None:
    await Branch.create(name="North", created_at=NOW)
    await _sign_up(open_chat(), None)
    assert (await Member.get(telegram_id=USER)).branch_id is None
