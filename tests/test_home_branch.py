"""A member belongs to the branch of their first purchase: recorded at the counter, seen by a
campaign to that branch. No test here sets a member's branch by hand."""

from __future__ import annotations

from handlers.telegram.staff.campaigns import router as campaigns_router
from models import AuditEntry, Branch, Member, Staff, StaffRole
from tests.conftest import NOW
from tests.helpers import member
from tests.staff_harness import CASHIER, MANAGER, OWNER, harness

OTHER_CASHIER = CASHIER + 1


async def test_the_first_purchase_s_branch_is_home_and_a_later_one_elsewhere_keeps_it(
    db: str,
) -> None:
    home = await Branch.first()
    assert home is not None
    away = await Branch.create(name="Tajrish", created_at=NOW)
    await Staff.create(telegram_id=CASHIER, role=StaffRole.CASHIER, branch=home, created_at=NOW)
    await Staff.create(
        telegram_id=OTHER_CASHIER, role=StaffRole.CASHIER, branch=away, created_at=NOW
    )
    await Staff.create(telegram_id=MANAGER, role=StaffRole.MANAGER, branch=away, created_at=NOW)
    sara = await member(NOW, phone="09121110001", first_name="Sara")
    reza = await member(NOW, phone="09121110002", first_name="Reza")
    assert (sara.branch_id, reza.branch_id) == (None, None)
    async with harness() as h:
        h.dp.include_router(campaigns_router())
        await h.send(CASHIER, "/earn 09121110001 250000 R1")
        await h.send(OTHER_CASHIER, "/earn 09121110001 250000 R2")
        await h.send(OTHER_CASHIER, "/earn ۰۹۱۲۱۱۱۰۰۰۲ 250000 R3", language="fa")
        preview = await h.send(MANAGER, "/campaign sms | Tajrish opening")
        report = await h.send(MANAGER, "/report")
    assert (await Member.get(id=sara.id)).branch_id == home.id
    assert (await Member.get(id=reza.id)).branch_id == away.id
    # The manager of Tajrish counts and reaches the one member who belongs there.
    assert report[0].split("\n")[1:2] == ["Members: 1; new: 1; left: 0; unreachable on Telegram: 0"]
    assert preview == [
        "Campaign #1 by SMS reaches 1 members: 0 on Telegram, 1 by SMS (1 SMS parts). Send it?"
    ]


async def test_staff_move_a_member_and_a_branch_manager_only_their_own(db: str) -> None:
    home = await Branch.first()
    assert home is not None
    away = await Branch.create(name="Tajrish", created_at=NOW)
    await Staff.create(telegram_id=CASHIER, role=StaffRole.CASHIER, branch=home, created_at=NOW)
    await Staff.create(telegram_id=MANAGER, role=StaffRole.MANAGER, branch=away, created_at=NOW)
    sara = await member(NOW, phone="09121110001", first_name="Sara", last_name="Karimi")
    async with harness() as h:
        await h.send(CASHIER, "/earn 09121110001 250000 R1")  # Sara belongs to Main now
        refused = await h.send(MANAGER, f"/move #{sara.id} {away.id}")
        usage = await h.send(OWNER, "/move", language="fa")
        moved = await h.send(OWNER, f"/move ۰۹۱۲۱۱۱۰۰۰۱ {away.id}", language="fa")
        assert (await Member.get(id=sara.id)).branch_id == away.id
        back = await h.send(MANAGER, f"/move #{sara.id} {home.id}")
    assert refused == ["Not allowed."]
    assert usage == ["روش استفاده: /move <عضو> <شماره شعبه>"]
    assert moved == ["Sara Karimi اکنون عضو شعبه Tajrish است."]
    assert back == ["Sara Karimi now belongs to branch Main."]
    assert (await Member.get(id=sara.id)).branch_id == home.id
    audit = await AuditEntry.filter(action="member_moved").order_by("id")
    assert [(a.details["from_branch"], a.details["to_branch"]) for a in audit] == [
        (home.id, away.id),
        (away.id, home.id),
    ]
