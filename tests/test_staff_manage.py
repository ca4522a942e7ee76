"""Invitations and roles, rewards, branches, groups and settings."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from loyalty.rules import get_rules
from loyalty.staff import club_settings
from models import (
    AuditEntry,
    Branch,
    ClubRules,
    ProductGroup,
    Reward,
    Staff,
    StaffInvite,
    StaffRole,
)
from tests.conftest import NOW
from tests.staff_harness import CASHIER, MANAGER, OWNER, STRANGER, Harness, harness

pytestmark = pytest.mark.asyncio


@pytest.fixture
async def h(db: str) -> AsyncIterator[Harness]:
    branch = await Branch.first()
    await Staff.create(
        telegram_id=MANAGER, role=StaffRole.MANAGER, branch=branch, name="Mina", created_at=NOW
    )
    await Staff.create(
        telegram_id=CASHIER, role=StaffRole.CASHIER, branch=branch, name="Kaveh", created_at=NOW
    )
    async with harness() as harness_:
        yield harness_
        assert harness_.api.rejected == []


def _payload(text: str) -> str:
    match = re.search(r"start=(staff_[A-Za-z0-9_-]+)$", text)
    assert match, text
    return match.group(1)


async def test_invite_link_is_one_time(h: Harness) -> None:
    branch = await Branch.first()
    replies = await h.send(MANAGER, "/staff invite cashier")
    assert replies[0].startswith(
        "A one-time invitation for a cashier: https://t.me/club_test_bot?start=staff_"
    )
    payload = _payload(replies[0])
    assert len(payload) <= 64
    assert await h.send(STRANGER, f"/start {payload}") == [
        "Welcome to the staff: you are now cashier (Main). Send /staff_help for the commands."
    ]
    newcomer = await Staff.get(telegram_id=STRANGER)
    assert (newcomer.role, newcomer.branch_id) == (StaffRole.CASHIER, branch.id)
    assert await h.send(4001, f"/start {payload}") == [
        "This invitation link is not valid or was already used."
    ]
    assert not await Staff.exists(telegram_id=4001)
    assert (await StaffInvite.get()).used_at == NOW


async def test_who_may_invite_whom(h: Harness) -> None:
    assert await h.send(CASHIER, "/staff invite cashier") == ["Not allowed."]
    assert await h.send(MANAGER, "/staff invite manager") == ["Not allowed."]
    assert await h.send(STRANGER, "/staff") == ["Not allowed."]
    assert (await h.send(OWNER, "/staff invite manager"))[0].startswith(
        "A one-time invitation for a manager: "
    )
    assert await StaffInvite.all().count() == 1


async def test_list_change_and_revoke(h: Harness) -> None:
    manager = await Staff.get(telegram_id=MANAGER)
    cashier = await Staff.get(telegram_id=CASHIER)
    assert await h.send(MANAGER, "/staff") == [
        f"#{manager.id} Mina: manager, Main\n#{cashier.id} Kaveh: cashier, Main"
    ]
    assert await h.send(MANAGER, f"/staff role {manager.id} cashier") == ["Not allowed."]
    assert await h.send(OWNER, f"/staff role {cashier.id} manager") == [
        f"Staff #{cashier.id} is now manager."
    ]
    assert await h.send(OWNER, f"/staff revoke {cashier.id}") == [
        f"Staff #{cashier.id} no longer has access."
    ]
    assert await h.send(CASHIER, "/earn 09121111111 1000") == ["Not allowed."]
    actions = await AuditEntry.all().order_by("id").values_list("action", flat=True)
    assert actions == ["staff_role", "staff_revoke"]


async def test_rewards_branches_groups_settings(h: Harness) -> None:
    assert await h.send(MANAGER, "/rewards add 150 Free coffee") == [
        "Reward #1 added: Free coffee for 150 points."
    ]
    assert await h.send(MANAGER, "/rewards") == ["#1 Free coffee: 150 points"]
    assert await h.send(CASHIER, "/rewards add 1 Cheap") == ["Not allowed."]
    assert await h.send(MANAGER, "/rewards off 1") == ["Reward #1 is no longer offered."]
    assert not (await Reward.get(id=1)).active
    assert await h.send(MANAGER, "/branches add North") == ["Not allowed."]
    assert await h.send(OWNER, "/branches add North") == ["Branch #2: North."]
    assert await h.send(OWNER, "/branches rate 2 1.5") == ["#2 North: earning rate 1.5"]
    assert (await Branch.get(id=2)).earn_rate == Decimal("1.5")
    assert await h.send(MANAGER, "/groups set 2 Coffee beans") == ["Not allowed."]
    assert await h.send(OWNER, "/groups set 2 Coffee beans") == ["#1 Coffee beans: points ×2"]
    assert (await ProductGroup.get(id=1)).multiplier == Decimal(2)
    assert await h.send(MANAGER, "/settings earn_rate 2") == ["Not allowed."]
    replies = await h.send(OWNER, "/settings cashier_daily_cap ۵۰۰")
    assert "Cashier daily cap (points): 500 (/settings cashier_daily_cap)" in replies[0].split("\n")
    assert (await ClubRules.get(id=1)).cashier_daily_cap == 500
    assert await h.send(OWNER, "/settings earn_rate lots") == [
        "That value is not valid for earn_rate."
    ]
    assert await h.send(OWNER, "/settings colour red") == ["That value is not valid for colour."]


async def test_two_settings_saved_at_the_same_moment_both_stay(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = await Staff.create(telegram_id=OWNER, role=StaffRole.OWNER, created_at=NOW)
    read_before = await get_rules()  # the other save's read, before this one's change
    await club_settings.set_rule(owner, "signup_bonus", "۳۵", now=NOW)

    async def rules_as_read_before() -> ClubRules:
        return read_before

    monkeypatch.setattr(club_settings, "get_rules", rules_as_read_before)
    await club_settings.set_rule(owner, "feedback_bonus", "7", now=NOW)
    stored = await ClubRules.get(id=1)
    assert (stored.signup_bonus, stored.feedback_bonus) == (35, 7)
