"""Surveys through the doors: the owner's /survey and CLI, invitations through the campaign
outbox, the member's dialog and the SMS answer, results with exact figures, and completions
sent at once paying once (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import pytest

from bot.outbox import OutboxSender
from bot.sms_door import SmsDoor
from handlers.sms.inbound import SmsConfig
from jobs import campaigns as campaign_job
from loyalty import ledger, surveys
from loyalty.errors import ErrorCode, LoyaltyError
from models import AuditEntry, LedgerEntry, Member, Survey, SurveyAnswer, SurveyResponse
from tests import cli_harness
from tests.cli_harness import Club
from tests.conftest import NOW
from tests.helpers import member as make_member
from tests.helpers import set_rules
from tests.sms_harness import TZ, sms_line
from tests.staff_harness import MANAGER, OWNER, Harness, harness
from tests.test_member_dialogs import USER, Chat_, joined, open_chat

club = cli_harness.club  # the fixture
SMS_PHONE = "09125550000"
OTHER = 5151  # a second member on Telegram


@pytest.fixture
async def h(db: str) -> AsyncIterator[Harness]:
    async with harness() as harness_:
        yield harness_


async def build(h: Harness) -> None:
    """The owner's survey #1: four questions, 20 points, answers until 10 March (Tehran)."""
    for text in (
        "/survey add 20 2026-03-10 Our coffee",
        "/survey q 1 choice Which drink? | Tea | Coffee | Juice",
        "/survey q 1 rating How was the service?",
        "/survey q 1 nps Would you recommend us?",
        "/survey q 1 text? Anything else?",
    ):
        await h.send(OWNER, text)


async def invite(h: Harness, gateway: object = None) -> None:
    """The campaign job queues the invitations; one round of the outbox sends them."""
    await campaign_job.run(NOW, TZ)
    await OutboxSender(bot=h.bot, gateway=gateway, tz=TZ, rate=1000).drain(NOW)  # type: ignore[arg-type]


async def points_paid(survey_id: int = 1) -> int:
    """The survey's points as the ledger records them."""
    rows = await LedgerEntry.filter(idempotency_key__startswith=f"survey:{survey_id}:")
    return sum(entry.amount for entry in rows)


# ---- the owner ----------------------------------------------------------------------------------


async def test_the_owner_builds_a_survey_and_bad_input_is_refused(h: Harness) -> None:
    assert await h.send(OWNER, "/survey") == [
        "No surveys yet. Add one: /survey add 20 1405/10/01 Our coffee"
    ]
    assert await h.send(OWNER, "/survey add 20 2026-03-10 Our coffee tier=bronze") == [
        "Survey added (a draft): add its questions with /survey q, then /survey send.\n"
        "#1 Our coffee: 20 points, answers until 2026-03-11 00:00; 0 questions, draft"
    ]
    for typed, answer in (
        (
            "/survey add 20 2026-03-10 Tea tier=nope",
            "There is no nope for tier. Choose one of: bronze, silver, gold",
        ),
        ("/survey add 20 2026-02-10 Old", "The deadline has passed already."),
        ("/survey add -5 2026-03-10 Minus", "The amount must be a positive whole number."),
        (
            "/survey add 20 2026-03-10 Tea colour=red",
            "I did not understand «colour=red». "
            "Filters: tier= branch= gender= age= type= interests= month= inactive= rfm=",
        ),
        ("/survey q 1 choice Only one | A", "A choice question needs 2 to 9 options."),
        ("/survey q 1 rating Rate | A | B", None),
        ("/survey q 7 text Hello", "No survey number 7."),
        ("/survey send 1", "Survey 1 has no questions yet."),
    ):
        replies = await h.send(OWNER, typed)
        assert len(replies) == 1, typed
        if answer is not None:
            assert replies == [answer], typed
        else:
            assert replies[0].startswith("Usage:\n/survey"), typed
    assert await Survey.all().count() == 1
    assert await h.send(OWNER, "/survey q 1 choice Which drink? | Tea | Coffee | Juice") == [
        "Question added.\n1. (choice) Which drink? 1.Tea 2.Coffee 3.Juice"
    ]
    assert await h.send(OWNER, "/survey q 1 text? Anything else?") == [
        "Question added.\n2. (text, may be skipped) Anything else?"
    ]
    assert await h.send(OWNER, "/survey show 1") == [
        "#1 Our coffee: 20 points, answers until 2026-03-11 00:00; 2 questions, draft\n"
        "1. (choice) Which drink? 1.Tea 2.Coffee 3.Juice\n"
        "2. (text, may be skipped) Anything else?"
    ]
    assert await h.send(OWNER, "/survey send 1 sms") == [
        "The SMS question takes 2 SMS: shorten it to fit one, or send by Telegram."
    ]
    assert await h.send(OWNER, "/survey send 1 telegram") == ["Survey sent: 0 members are invited."]
    assert await h.send(OWNER, "/survey send 1 telegram") == ["Survey sent: 0 members are invited."]
    assert await h.send(OWNER, "/survey q 1 text More?") == [
        "Survey 1 was sent already: its questions cannot change."
    ]
    assert await h.send(OWNER, "/survey close 1") == ["Survey closed: it takes no more answers."]
    assert await h.send(OWNER, "/survey") == [
        "#1 Our coffee: 20 points, answers until 2026-03-11 00:00; 2 questions, closed"
    ]
    actions = await AuditEntry.filter(action__startswith="survey").order_by("id")
    assert [a.action for a in actions] == [
        "survey_added",
        "survey_question_added",
        "survey_question_added",
        "survey_sent",
        "survey_closed",
    ]
    refused = await h.send(MANAGER, "/survey add 5 2026-03-10 Mine")
    assert len(refused) == 1 and await Survey.all().count() == 1
