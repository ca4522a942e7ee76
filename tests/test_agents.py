"""Agents through the doors: the owner's /agents and CLI, the agent's invitation and /agent,
members joining by an agent's link, SMS and code, commission on purchases and refunds with
exact figures, payments never above what is due, attribution once under concurrency
(SQLite and PostgreSQL). Figures are checked against the commission ledger."""

from __future__ import annotations

import asyncio
import io
import logging
import re
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from tortoise.functions import Sum

from bot.sms_door import SmsDoor
from handlers.sms.inbound import SmsConfig
from loyalty import agents, earning, members
from loyalty.errors import ErrorCode, LoyaltyError
from models import (
    Agent,
    AuditEntry,
    Branch,
    Commission,
    CommissionKind,
    Member,
    Staff,
    StaffRole,
)
from tests import cli_harness
from tests.cli_harness import Club
from tests.conftest import NOW
from tests.helpers import member as make_member
from tests.sms_harness import sms_line
from tests.staff_harness import CASHIER, OWNER, Harness, harness
from tests.test_member_dialogs import USER, open_chat

club = cli_harness.club  # the fixture
AGENT_USER = 5000
LINK = "https://t.me/club_test_bot?start=ag_"


async def ledger_due(agent_id: int) -> int:
    """What the commission ledger says is due: the sum of its rows."""
    values = (
        await Commission.filter(agent_id=agent_id)
        .annotate(total=Sum("amount"))
        .values_list("total", flat=True)
    )
    return int(values[0] or 0) if values else 0


async def check_caches(agent_id: int) -> Agent:
    agent = await Agent.get(id=agent_id)
    accrued = (
        await Commission.filter(agent_id=agent_id, kind__in=["accrue", "reverse"])
        .annotate(total=Sum("amount"))
        .values_list("total", flat=True)
    )
    assert agent.accrued == int(accrued[0] or 0)
    assert agent.accrued - agent.paid == await ledger_due(agent_id)
    return agent


@pytest.fixture
async def h(any_db: str) -> AsyncIterator[Harness]:
    await Staff.create(
        telegram_id=CASHIER,
        role=StaffRole.CASHIER,
        branch=await Branch.first(),
        name="Kaveh",
        created_at=NOW,
    )
    async with harness() as harness_:
        yield harness_


async def _add(h: Harness, text: str) -> tuple[Agent, str, str]:
    """`/agents add ...`: the agent, the reply, and the agent's invitation payload."""
    reply = await h.send(OWNER, text)
    assert len(reply) == 1
    agent = await Agent.all().order_by("-id").first()
    assert agent is not None
    payload = re.search(r"start=(staff_\S+)", reply[0])
    assert payload, reply
    return agent, reply[0], payload.group(1)


# ---- the owner and the agent ------------------------------------------------------------------


async def test_commission_on_purchases_and_refunds_with_exact_figures(h: Harness) -> None:
    assert await h.send(OWNER, "/agents") == [
        "No agents yet. Add one: /agents add <name> [percent] [days]"
    ]
    agent, reply, invite = await _add(h, "/agents add Sara Ahmadi 2.5 30")
    code = agent.code
    assert len(code) == 10 and re.search(r"\d", code) and re.search(r"[a-z]", code)
    assert reply == (
        "Agent added:\n"
        f"#1 Sara Ahmadi, code {code}: 2.5% for 30 days; 0 members, 0 purchases (0 toman); "
        "accrued 0 toman, paid 0 toman, due 0 toman (has not opened the invitation yet)\n"
        f"Link for new members: {LINK}{code}\n"
        f"SMS: JOIN {code}\n"
        f"The agent's own one-time invitation: https://t.me/club_test_bot?start={invite}"
    )
    assert await h.send(AGENT_USER, f"/start {invite}") == [
        "Welcome! You are now the club's agent. Send /agent for your link and figures."
    ]
    assert (await Staff.get(telegram_id=AGENT_USER)).role is StaffRole.AGENT
    # An agent is staff only for their own figures: not at the till.
    assert await h.send(AGENT_USER, "/earn 09121110001 100000 X") == ["Not allowed."]
    assert await h.send(AGENT_USER, "/agents") == ["Not allowed."]
    assert await h.send(CASHIER, "/agent") == ["Not allowed."]

    ali = await make_member(NOW, phone="09121110001", first_name="Ali", agent_code=code)
    other = await make_member(NOW, phone="09121110002", first_name="Nima")
    assert (ali.agent_id, other.agent_id) == (agent.id, None)

    # 2.5% of 123,457 is 3,086.425: 3,086, rounded down.
    await h.send(CASHIER, "/earn 09121110001 123457 R1")
    await h.send(CASHIER, "/earn 09121110001 ۸۰۰۰۰ R2")  # 2,000
    await h.send(CASHIER, "/earn 09121110001 80000 R2")  # the same receipt: once
    await h.send(CASHIER, "/earn 09121110002 500000 R3")  # nobody's member: nothing
    assert [(c.kind, c.amount, c.base) for c in await Commission.all().order_by("id")] == [
        (CommissionKind.ACCRUE, 3086, 123457),
        (CommissionKind.ACCRUE, 2000, 80000),
    ]
    # A partial refund takes back floor(3,086 × 50,000 / 123,457) = 1,249, the rest 1,837.
    await h.send(CASHIER, "/refund R1 50000")
    assert (await check_caches(agent.id)).accrued == 3086 + 2000 - 1249
    await h.send(CASHIER, "/refund R1 50000")  # 2,499 in all: 1,250 more
    await h.send(CASHIER, "/refund R1")
    assert [
        c.amount for c in await Commission.filter(kind=CommissionKind.REVERSE).order_by("id")
    ] == [
        -1249,
        -1250,
        -587,
    ]
    assert (await check_caches(agent.id)).accrued == 2000

    # After the 30 days of the agent's own terms, nothing more.
    h.dp["clock"] = lambda: NOW + timedelta(days=30)
    await h.send(CASHIER, "/earn 09121110001 100000 R4")
    h.dp["clock"] = lambda: NOW + timedelta(days=29)
    await h.send(CASHIER, "/earn 09121110001 100000 R5")  # 2,500
    assert (await check_caches(agent.id)).accrued == 4500

    assert await h.send(AGENT_USER, "/agent") == [
        f"Sara Ahmadi, your code is {code}.\n"
        f"Link for new members: {LINK}{code}\n"
        f"By SMS they send: JOIN {code}\n"
        "Commission: 2.5% of their purchases for 30 days after they join.\n"
        "Members you brought: 1; their purchases: 4 (280,000 toman).\n"
        "Commission accrued: 4,500 toman; paid: 0 toman; due: 4,500 toman.\n\n"
        "Ali (…0001): 4 purchases, 280,000 toman; commission 4,500 toman"
    ]

    # Paying: Persian digits, never more than due, never negative; audited.
    assert await h.send(OWNER, "/agents pay 1 ۱۰۰۰") == [
        "Paid 1,000 toman to Sara Ahmadi. Still due: 3,500 toman."
    ]
    assert await h.send(OWNER, "/agents pay 1 3501") == [
        "Only 3,500 toman is due to this agent: 3,501 toman cannot be paid."
    ]
    assert await h.send(OWNER, "/agents pay 1 -5") == [
        "The amount must be a positive whole number."
    ]
    assert await h.send(OWNER, "/agents pay 1 0") == ["The amount must be a positive whole number."]
    assert await h.send(OWNER, "/agents pay zz99zz99zz 10") == ["No agent has the code zz99zz99zz."]
    assert await h.send(OWNER, "/agents pay 7 10") == ["No agent has the code 7."]
    assert await h.send(OWNER, f"/agents pay {code.upper()} 3500", language="fa") == [
        "۳٬۵۰۰ تومان به Sara Ahmadi پرداخت شد. طلب باقی‌مانده: ۰ تومان."
    ]
    paid = await check_caches(agent.id)
    assert (paid.accrued, paid.paid) == (4500, 4500)
    assert await AuditEntry.filter(action="agent_paid").count() == 2
    assert await h.send(OWNER, "/agents") == [
        f"#1 Sara Ahmadi, code {code}: 2.5% for 30 days; 1 members, 4 purchases "
        "(280,000 toman); accrued 4,500 toman, paid 4,500 toman, due 0 toman"
    ]
    assert "agent paid (agent: #1, amount: 1,000)" in (await h.send(OWNER, "/audit"))[0]


async def test_the_owner_switches_an_agent_off_and_changes_their_terms(h: Harness) -> None:
    agent, _, _ = await _add(h, "/agents add Sara 2.5 30")
    code = agent.code
    await make_member(NOW, phone="09121110001", first_name="Ali", agent_code=code)
    # Bad input: one clear line each, and nothing written.
    for text, answer in (
        ("/agents set 1 colour=red", "Write the terms as percent=<p> days=<d>, one or both."),
        ("/agents set 1 percent", "Write the terms as percent=<p> days=<d>, one or both."),
        (
            "/agents set 1 percent=1 percent=2",
            "Write the terms as percent=<p> days=<d>, one or both.",
        ),
        (
            "/agents set 1 percent=120",
            "That value is not valid for percent: send a number from 0 to 100.",
        ),
        ("/agents set 9 percent=3", "No agent has the code 9."),
        ("/agents off 9", "No agent has the code 9."),
    ):
        assert await h.send(OWNER, text) == [answer], text
    assert await h.send(OWNER, "/agents set 1 colour=red", language="fa") == [
        "شرایط را این‌گونه بنویسید: percent=<درصد> days=<روز>، یکی یا هر دو."
    ]
    assert (await h.send(OWNER, "/agents set 1"))[0].startswith("Usage:\n/agents")
    assert await h.send(CASHIER, "/agents off 1") == ["Not allowed."]
    assert await AuditEntry.filter(action__in=["agent_terms", "agent_off"]).count() == 0

    # New terms, for purchases from then on: 5% of 100,000.
    await h.send(CASHIER, "/earn 09121110001 100000 R1")  # 2.5%: 2,500
    assert await h.send(OWNER, f"/agents set {code.upper()} percent=5 days=60") == [
        "Terms changed, for purchases from now on:\n"
        f"#1 Sara, code {code}: 5% for 60 days; 1 members, 1 purchases (100,000 toman); "
        "accrued 2,500 toman, paid 0 toman, due 2,500 toman (has not opened the invitation yet)"
    ]
    await h.send(CASHIER, "/earn 09121110001 100000 R2")  # 5,000
    assert (await check_caches(agent.id)).accrued == 7_500
    assert (await h.send(OWNER, "/agents set 1 days=۹۰", language="fa"))[0].startswith(
        "شرایط برای خریدهای از این پس تغییر کرد:\n#۱ Sara"
    )
    terms = await AuditEntry.filter(action="agent_terms").order_by("id")
    assert [e.details for e in terms] == [
        {
            "agent": 1,
            "percent_before": "2.50",
            "days_before": 30,
            "percent": "5.00",
            "days": 60,
        },
        {"agent": 1, "percent_before": "5.00", "days_before": 60, "percent": "5.00", "days": 90},
    ]

    # Off: the code brings no one, the members brought stay and keep earning in their period.
    assert await h.send(OWNER, "/agents off 1") == [
        "Agent Sara is switched off: their code and link bring no new members; the members "
        "they brought earn them commission until their period ends."
    ]
    assert await h.send(OWNER, f"/agents off {code}", language="fa") == [
        "بازاریاب Sara خاموش شد: کد و پیوند او دیگر عضو تازه نمی‌آورد؛ اعضایی که آورده "
        "تا پایان دوره‌شان برای او پورسانت دارند."
    ]
    off = await AuditEntry.filter(action="agent_off").values_list("staff_id", "details")
    owner = await Staff.get(telegram_id=OWNER)
    assert off == [(owner.id, {"agent": 1})]  # the second switch-off changed nothing
    async with sms_line(SmsDoor(SmsConfig(per_minute=100))) as line:
        assert await line.sms("09121230001", f"JOIN {code} Reza", "a") == 200
        await line.deliver()
        assert line.texts_to("09121230001") == [f"No agent has the code {code}."]
    assert not await Member.exists(phone="+989121230001")
    await h.send(CASHIER, "/earn 09121110001 100000 R3")  # still Sara's member: 5,000
    assert (await check_caches(agent.id)).accrued == 12_500
    assert (await h.send(OWNER, "/agents"))[0].endswith(
        "due 12,500 toman (has not opened the invitation yet) (switched off)"
    )


async def test_commission_is_on_what_was_paid_and_the_clubs_terms(h: Harness) -> None:
    assert (await h.send(OWNER, "/settings agent_percent 3")) != []
    assert await h.send(OWNER, "/agents add Bad 120") == [
        "That value is not valid for percent: send a number from 0 to 100."
    ]
    assert await h.send(OWNER, "/agents add Bad 5 0") == [
        "That value is not valid for days: send a number from 1 to 36,500."
    ]
    assert (await h.send(OWNER, "/agents add"))[0].startswith("Usage:\n/agents")
    assert not await Agent.exists()
    agent, _, _ = await _add(h, "/agents add Reza")
    assert (agent.percent, agent.days) == (None, None)
    assert await h.send(OWNER, "/agents pay 1 ۵۰۰", language="fa") == [
        "طلب این بازاریاب فقط ۰ تومان است: ۵۰۰ تومان را نمی‌توان پرداخت."
    ]
    await make_member(NOW, phone="09121110003", agent_code=agent.code)
    await h.send(CASHIER, "/earn 09121110003 99999 R1")  # 3% of 99,999: 2,999.97 → 2,999
    assert (await check_caches(agent.id)).accrued == 2999
    # A purchase with a discount: 3% of the 180,000 paid of 200,000, 5,400.
    assert len(await h.send(OWNER, "/discounts spend 150000 10")) == 1
    await h.send(CASHIER, "/earn 09121110003 200000 R3")
    row = await Commission.get(purchase__receipt="R3")
    assert (row.base, row.amount) == (180_000, 5_400)
    assert (await check_caches(agent.id)).accrued == 2999 + 5400
    # The club's default 365 days.
    h.dp["clock"] = lambda: NOW + timedelta(days=365)
    await h.send(CASHIER, "/earn 09121110003 100000 R2")
    assert (await check_caches(agent.id)).accrued == 2999 + 5400


async def test_the_owner_exports_the_agents_as_a_spreadsheet(h: Harness) -> None:
    agent, _, _ = await _add(h, "/agents add Sara 10")
    await make_member(NOW, phone="09121110004", agent_code=agent.code)
    await h.send(CASHIER, "/earn 09121110004 150000 R1")
    before = len(h.api.sent_to(OWNER))
    await h.send(OWNER, "/agents export")
    sent = h.api.sent_to(OWNER)[before:]
    assert [m.get("caption") for m in sent] == ["Agents and commission: 1 rows."]
    assert sent[0]["document"]["file_name"] == "agents.xlsx"
    book = load_workbook(io.BytesIO(h.api.file_bytes(sent[0]["document"]["file_id"])))
    rows = list(book.active.values)
    assert rows[0][:4] == ("Number", "Name", "Code", "Percent")
    assert rows[1] == (1, "Sara", agent.code, 10, 365, 1, 1, 150000, 15000, 0, 15000)
    assert await AuditEntry.filter(action="agents_export").count() == 1


# ---- joining by an agent's code ---------------------------------------------------------------


async def test_joining_by_the_link_keeps_friend_invitations_working(db: str) -> None:
    agent = await agents.add_agent("Sara", percent=Decimal("5"), now=NOW)
    chat = open_chat()
    await chat.send("/start ag_nobody1234")
    assert chat.answers()[-1] == "هیچ بازاریابی کد nobody1234 ندارد."
    chat = open_chat()
    await chat.send(f"/start ag_{agent.code}")
    await chat.click("English")
    await chat.contact("+989121234567")
    await chat.send("Sara")
    await chat.send("1991-08-03")
    await chat.click("Skip")
    await chat.click("For myself")
    joined = await Member.get(telegram_id=USER)
    assert joined.agent_id == agent.id
    # A later link, of another agent, changes nothing.
    second = await agents.add_agent("Omid", now=NOW)
    await chat.send(f"/start ag_{second.code}")
    assert (await Member.get(id=joined.id)).agent_id == agent.id
    # A friend's link still invites as before.
    friend = await make_member(NOW, phone="09120000001")
    assert (
        await members.register_member("09120000002", referral_code=friend.referral_code)
    ).member.referred_by_id == friend.id


async def test_joining_by_sms_with_a_code_in_both_languages(db: str) -> None:
    agent = await agents.add_agent("Sara", now=NOW)
    async with sms_line(SmsDoor(SmsConfig(per_minute=100))) as line:
        assert await line.sms("09121230001", f"JOIN {agent.code.upper()} Ali Rezaei", "a") == 200
        assert await line.sms("09121230002", "JOIN abc234defg", "b") == 200
        assert await line.sms("09121230003", "عضویت ab۲۳۴defgh", "c") == 200
        assert await line.sms("09121230004", "JOIN Maryam", "d") == 200
        await line.deliver()
        assert line.texts_to("09121230002") == ["No agent has the code abc234defg."]
        assert line.texts_to("09121230003") == ["هیچ بازاریابی کد ab۲۳۴defgh ندارد."]
    ali = await Member.get(phone="+989121230001")
    assert (ali.first_name, ali.last_name, ali.agent_id) == ("Ali", "Rezaei", agent.id)
    assert (await Member.get(phone="+989121230004")).agent_id is None
    assert not await Member.exists(phone="+989121230002")
    assert not await Member.exists(phone="+989121230003")


async def test_a_member_is_attributed_once_even_at_once(any_db: str) -> None:
    first = await agents.add_agent("Sara", now=NOW)
    second = await agents.add_agent("Omid", now=NOW)
    codes = [first.code, second.code] * 5
    results = await asyncio.gather(
        *(members.register_member("09121239999", agent_code=c, now=NOW) for c in codes),
        return_exceptions=True,
    )
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert sum(r.created for r in results) == 1  # type: ignore[union-attr]
    joined = await Member.get(phone="+989121239999")
    assert joined.agent_id in (first.id, second.id)
    # Already a member: a later code changes nothing.
    again = await members.register_member("09121239999", agent_code=second.code, now=NOW)
    assert not again.created
    assert (await Member.get(id=joined.id)).agent_id == joined.agent_id
    # An agent joining by their own code is not their own agent.
    staff = await Staff.create(telegram_id=AGENT_USER, role=StaffRole.AGENT, created_at=NOW)
    await Agent.filter(id=first.id).update(staff_id=staff.id)
    own = await members.register_member(
        "09121238888", agent_code=first.code, telegram_id=AGENT_USER, now=NOW
    )
    assert own.member.agent_id is None


async def test_purchases_and_payments_at_once(any_db: str) -> None:
    agent = await agents.add_agent("Sara", percent=Decimal("10"), now=NOW)
    brought = [
        await make_member(NOW, phone=f"0912124000{n}", agent_code=agent.code) for n in range(5)
    ]
    await asyncio.gather(
        *(
            earning.award_purchase(m.id, 10_000 + n, receipt=f"R{i}-{n}", now=NOW)
            for i, m in enumerate(brought)
            for n in range(4)
        )
    )
    # 10% of 10,000..10,003: 1,000 each; 20 purchases.
    assert (await check_caches(agent.id)).accrued == 20_000
    results = await asyncio.gather(
        *(agents.pay(agent.id, 3_000, key=f"p{n}", now=NOW) for n in range(10)),
        return_exceptions=True,
    )
    paid = [r for r in results if isinstance(r, agents.Paid)]
    refused = [r for r in results if isinstance(r, LoyaltyError)]
    assert len(paid) == 6 and len(refused) == 4
    assert {e.code for e in refused} == {ErrorCode.PAY_MORE_THAN_DUE}
    again = await asyncio.gather(
        *(agents.pay(agent.id, 500, key="same", now=NOW) for _ in range(5))
    )
    assert sum(not p.replayed for p in again) == 1
    final = await check_caches(agent.id)
    assert (final.accrued, final.paid) == (20_000, 18_500)


async def test_refunds_and_purchases_of_one_member_at_once(any_db: str) -> None:
    agent = await agents.add_agent("Sara", percent=Decimal("10"), now=NOW)
    m = await make_member(NOW, phone="09121241000", agent_code=agent.code)
    for n in range(5):
        await earning.award_purchase(m.id, 10_000, receipt=f"A{n}", now=NOW)
    await asyncio.gather(
        *(earning.refund_purchase(f"A{n}", 3_333, now=NOW) for n in range(5)),
        *(earning.award_purchase(m.id, 10_000, receipt=f"B{n}", now=NOW) for n in range(5)),
    )
    # 10 × 1,000 accrued; each refund of 3,333 of 10,000 takes back floor(333.3) = 333.
    assert (await check_caches(agent.id)).accrued == 10_000 - 5 * 333
    await asyncio.gather(*(earning.refund_purchase(f"A{n}", now=NOW) for n in range(5)))
    assert (await check_caches(agent.id)).accrued == 5_000


# ---- the CLI ------------------------------------------------------------------------------------


def test_the_cli_adds_lists_and_pays_agents(club: Callable[[str], Club]) -> None:
    run = club("en")
    assert run("agent", "list")[:2] == (
        0,
        "No agents yet. Add one: /agents add <name> [percent] [days]\n",
    )
    code, out, _ = run("agent", "add", "Reza", "--percent", "۵", "--days", "90")
    assert code == 0
    found = re.search(r"code (\w+):", out)
    assert found
    agent_code = found.group(1)
    assert out == (
        f"#1 Reza, code {agent_code}: 5% for 90 days; 0 members, 0 purchases (0 toman); "
        "accrued 0 toman, paid 0 toman, due 0 toman\n"
        f"Members join with the link t.me/<bot>?start=ag_{agent_code} "
        f"or by SMS: JOIN {agent_code}\n"
    )
    assert run("agent", "add", "Bad", "--percent", "120")[1:] == (
        "",
        "That value is not valid for percent: send a number from 0 to 100.\n",
    )
    assert run("member", "add", "09121112233", "--agent", agent_code)[0] == 0
    assert run("member", "add", "09121112234", "--agent", "nope123456")[1:] == (
        "",
        "No agent has the code nope123456.\n",
    )
    assert run("agent", "pay", "1", "10")[1:] == (
        "",
        "Only 0 toman is due to this agent: 10 toman cannot be paid.\n",
    )
    assert run("agent", "pay", "1", "-3")[1:] == (
        "",
        "The amount must be a positive whole number.\n",
    )
    assert run("agent", "list")[1] == (
        f"#1 Reza, code {agent_code}: 5% for 90 days; 1 members, 0 purchases (0 toman); "
        "accrued 0 toman, paid 0 toman, due 0 toman\n"
    )
    assert run("agent", "set", "1")[1:] == ("", "Give --percent, --days or both.\n")
    assert run("agent", "set", "1", "--days", "0")[1:] == (
        "",
        "That value is not valid for days: send a number from 1 to 36,500.\n",
    )
    assert run("agent", "set", agent_code, "--percent", "2.5")[1] == (
        "Terms changed, for purchases from now on:\n"
        f"#1 Reza, code {agent_code}: 2.5% for 90 days; 1 members, 0 purchases (0 toman); "
        "accrued 0 toman, paid 0 toman, due 0 toman\n"
    )
    assert run("agent", "off", "1")[1] == (
        "Agent Reza is switched off: their code and link bring no new members; the members "
        "they brought earn them commission until their period ends.\n"
    )
    assert run("member", "add", "09121112235", "--agent", agent_code)[1:] == (
        "",
        f"No agent has the code {agent_code}.\n",
    )
    assert run("agent", "list")[1].endswith("due 0 toman (switched off)\n")


# ---- the plain purchase pays nothing for agents -------------------------------------------------


async def test_a_member_without_an_agent_costs_the_purchase_no_query(
    any_db: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The statements a purchase runs, as Tortoise logs them: a member no agent brought
    runs exactly those of before, none of them about agents; an agent's member, three more
    (the agent, the ledger row, the agent's figures)."""
    agent = await agents.add_agent("Sara", percent=Decimal("10"), now=NOW)
    plain = await make_member(NOW, phone="09121250001")
    brought = await make_member(NOW, phone="09121250002", agent_code=agent.code)

    async def statements(member_id: int, receipt: str) -> list[str]:
        caplog.clear()
        with caplog.at_level(logging.DEBUG, logger="tortoise.db_client"):
            await earning.award_purchase(member_id, 100_000, receipt=receipt, now=NOW)
        return [r.getMessage() for r in caplog.records if r.name == "tortoise.db_client"]

    await statements(plain.id, "warm")  # the first purchase of a process reads the set-up
    await statements(brought.id, "warm2")
    seen_plain = await statements(plain.id, "P1")
    seen_brought = await statements(brought.id, "B1")
    assert seen_plain and not [s for s in seen_plain if "agent" in s.lower()]
    assert len(seen_brought) == len(seen_plain) + 3
    assert (await check_caches(agent.id)).accrued == 20_000


# ---- a till joining a member over the API -------------------------------------------------------


async def test_a_till_joins_a_member_with_an_agents_code(any_db: str) -> None:
    from tests.test_api import _till

    agent = await agents.add_agent("Sara", now=NOW)
    async for till in _till():
        status, body, _ = await till.call(
            "POST", "/members", json={"phone": "09121260001", "agent_code": "nope234567"}
        )
        assert (status, body) == (
            422,
            {
                "error": {
                    "code": "agent_not_found",
                    "message": "No agent has the code nope234567.",
                    "field": "agent_code",
                }
            },
        )
        assert not await Member.exists(phone="+989121260001")
        status, _, _ = await till.call(
            "POST", "/members", json={"phone": "09121260001", "agent_code": agent.code}
        )
        assert status == 201
    assert (await Member.get(phone="+989121260001")).agent_id == agent.id
