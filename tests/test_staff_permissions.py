"""One permission table decides every staff action: the README, the commands and a former owner."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from aiogram import Router
from aiogram.filters import Command

from handlers.telegram.routers import all_routers
from handlers.telegram.staff.manage import HELP
from loyalty.staff.permissions import PERMISSIONS, Action
from models import Campaign, Lottery, Staff, StaffRole
from tests.conftest import NOW
from tests.staff_harness import CASHIER, MANAGER, harness
from tests.staff_harness import OWNER as BOSS
from tests.test_campaign_dialog import OWNER, open_chat

README = Path(__file__).resolve().parent.parent / "README.md"
RANK = [StaffRole.CASHIER, StaffRole.MANAGER, StaffRole.OWNER]
FORMER_OWNER = OWNER + 50


def _command(usage: str) -> str:
    return usage.split()[0].lstrip("/")


def _roles(who: str) -> frozenset[StaffRole]:
    """ "cashier and up", "manager, owner", "owner", "partner, cashier and up" as roles."""
    roles: set[StaffRole] = set()
    for part in who.split(","):
        if part.strip().endswith(" and up"):
            lowest = StaffRole(part.strip().removesuffix(" and up").strip())
            roles |= set(RANK[RANK.index(lowest) :])
        else:
            roles.add(StaffRole(part.strip()))
    return frozenset(roles)


def readme_table() -> dict[str, frozenset[StaffRole]]:
    """The README's staff table: each command in the first column, and who may use it."""
    section = README.read_text("utf-8").split("## Staff in Telegram", 1)[1].split("\n## ", 1)[0]
    table: dict[str, frozenset[StaffRole]] = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]]
        if len(cells) != 3 or not cells[0].startswith("`/"):
            continue
        for command in re.findall(r"`/(\w+)", cells[0]):
            table[command] = _roles(cells[1])
    return table


def help_table() -> dict[str, Action]:
    table: dict[str, Action] = {}
    for usage, action in HELP:
        assert table.setdefault(_command(usage), action) is action, usage
    return table


def test_the_readme_role_table_is_the_permission_table() -> None:
    readme = readme_table()
    actions = help_table()
    assert set(readme) == set(actions)
    assert {c: roles for c, roles in readme.items()} == {
        c: PERMISSIONS[action] for c, action in actions.items()
    }


def _flagged(router: Router) -> dict[str, Action]:
    found: dict[str, Action] = {}
    for observer in (router.message, router.callback_query):
        for handler in observer.handlers:
            action = handler.flags.get("action")
            for flt in handler.filters or []:
                if action is not None and isinstance(flt.callback, Command):
                    for name in flt.callback.commands:
                        assert found.setdefault(str(name), action) is action, name
    for sub in router.sub_routers:
        for name, action in _flagged(sub).items():
            assert found.setdefault(name, action) is action, name
    return found


def test_every_staff_command_asks_the_action_help_and_readme_name() -> None:
    flagged: dict[str, Action] = {}
    for router in all_routers():
        flagged |= _flagged(router)
    actions = help_table()
    # Campaigns and lotteries ask the table in their handlers (they answer in their own words).
    assert set(actions) - set(flagged) == {"campaign", "campaigns", "lottery"}
    assert {c: actions[c] for c in flagged} == flagged


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("/campaign", "Only the owner and managers can do this."),
        ("/campaign sms | hello", "Only the owner and managers can do this."),
        ("/campaigns", "Only the owner and managers can do this."),
        ("/lottery 2", "Only the owner and managers can do this."),
        ("/settings earn_rate 2", "Not allowed."),
        ("/branches add North", "Not allowed."),
        ("/audit", "Not allowed."),
        ("/report", "Not allowed."),
        ("/earn 09121111111 1000", "Not allowed."),
    ],
)
async def test_an_owner_taken_out_of_owner_ids_is_no_longer_staff(
    db: str, monkeypatch: pytest.MonkeyPatch, text: str, answer: str
) -> None:
    former = await Staff.create(telegram_id=FORMER_OWNER, role=StaffRole.OWNER, created_at=NOW)
    chat = open_chat(monkeypatch, FORMER_OWNER)
    await chat.send(text)
    assert chat.answers() == [answer]
    assert (await Campaign.all().count(), await Lottery.all().count()) == (0, 0)
    assert (await Staff.get(id=former.id)).role is StaffRole.OWNER  # the row itself is kept


async def test_staff_help_lists_what_the_table_allows(db: str) -> None:
    await Staff.create(telegram_id=CASHIER, role=StaffRole.CASHIER, created_at=NOW)
    await Staff.create(telegram_id=MANAGER, role=StaffRole.MANAGER, created_at=NOW)
    counter = [
        "/earn <member> <amount> [receipt] [group] [code=X]",
        "/refund <receipt> [amount|all] [branch]",
        "/redeem <voucher code>",
        "/member <member>",
        "/newcard <member>",
        "/giftcard sell|topup|spend|refund|block ...",
        "/inbox",
        "/reply <number> <text>",
        "/panel",
    ]
    managing = [
        "/voucher cancel <voucher code>",
        "/adjust <member> <+N|-N> <reason>",
        "/move <member> <branch number>",
        "/tier <member> <tier|off>",
        "/company <member> <company name|off|rate <rate|club>>",
        "/undo <transaction id>",
        "/report [days]",
        "/export",
        "/staff",
        "/rewards",
        "/campaign",
        "/campaigns",
        "/lottery <winners> [per=N] [filters]",
        "/branch <branch id> [unit|minimum <amount|club>]",
    ]
    owning = [
        "/audit",
        "/branches",
        "/groups",
        "/settings",
        "/discounts",
        "/promo",
        "/import (CSV file caption)",
        "/apikeys",
        "/webhooks",
        "/festival [add|end|announce]",
        "/causes [add|off]",
        "/partners [add|offer|codes|logo|invite|off]",
        "/agents [add|pay|set|off|export]",
        "/survey [add|q|show|send|close|results]",
    ]
    async with harness() as h:
        for user, lines in (
            (CASHIER, counter),
            (MANAGER, counter + managing),
            (BOSS, counter + managing + owning),
        ):
            assert await h.send(user, "/staff_help") == ["\n".join(["Staff commands:", *lines])]
