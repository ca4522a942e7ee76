"""Surveys through the doors: the owner's /survey and CLI, invitations through the campaign
outbox, the member's dialog and the SMS answer, results with exact figures, and completions
sent at once paying once (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path

import pytest
from aiogram.types import Message
from aiogram_dialog.test_tools.keyboard import InlineButtonTextLocator
from openpyxl import load_workbook

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
async def h(any_db: str) -> AsyncIterator[Harness]:
    """The owner's chat, on SQLite and (with TEST_POSTGRES_URL) on PostgreSQL."""
    async with harness() as harness_:
        yield harness_


async def build(h: Harness) -> None:
    """The owner's survey #1: four questions, 20 points, answers until 10 March 2030 (Tehran):
    the SMS line reads the real clock."""
    for text in (
        "/survey add 20 2030-03-10 Our coffee",
        "/survey q 1 choice Which drink? | Tea | Coffee | Juice",
        "/survey q 1 rating How was the service?",
        "/survey q 1 nps Would you recommend us?",
        "/survey q 1 text? Anything else?",
    ):
        await h.send(OWNER, text)


async def invite(h: Harness, gateway: object = None) -> None:
    """The campaign job queues the invitations; one round of the outbox sends them."""
    h.api.add_users([USER, OTHER])  # members who opened the bot
    await campaign_job.run(NOW, TZ)
    await OutboxSender(bot=h.bot, gateway=gateway, tz=TZ, rate=1000).drain(NOW)  # type: ignore[arg-type]


def member_chat() -> Chat_:
    """The member's chat, on the tests' clock (the survey's deadline is read against it)."""
    chat = open_chat()
    chat.client.dp["clock"] = lambda: NOW
    return chat


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
    assert await h.send(
        OWNER,
        "/survey q 1 choice Which drink do you like best with breakfast? | Tea | Coffee | Juice",
    ) == [
        "Question added.\n"
        "1. (choice) Which drink do you like best with breakfast? 1.Tea 2.Coffee 3.Juice"
    ]
    assert await h.send(OWNER, "/survey q 1 text? Anything else?") == [
        "Question added.\n2. (text, may be skipped) Anything else?"
    ]
    assert await h.send(OWNER, "/survey show 1") == [
        "#1 Our coffee: 20 points, answers until 2026-03-11 00:00; 2 questions, draft\n"
        "1. (choice) Which drink do you like best with breakfast? 1.Tea 2.Coffee 3.Juice\n"
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


# ---- members answer -----------------------------------------------------------------------------


async def test_members_answer_by_telegram_and_sms_and_the_owner_reads_the_results(
    h: Harness,
) -> None:
    await set_rules(signup_bonus=0)
    sara = await joined()  # Telegram, USER
    other = await make_member(NOW, phone="09121112222", telegram_id=OTHER, locale="fa")
    texter = await make_member(NOW, phone=SMS_PHONE, locale="en")
    await build(h)
    await h.send(OWNER, "/survey q 1 choice Tea or coffee? | Tea | Coffee")  # not asked by SMS
    assert await h.send(OWNER, "/survey send 1") == ["Survey sent: 3 members are invited."]
    async with sms_line(SmsDoor(SmsConfig(per_minute=100))) as line:
        await invite(h, line.gateway)
        assert [m["text"] for m in h.api.sent_to(OTHER)] == [
            "نظرسنجی تازه: Our coffee. تا ۱۴۰۸/۱۲/۲۱ ۰۰:۰۰ پاسخ دهید و ۲۰ امتیاز بگیرید: "
            "دکمه زیر را بزنید، یا در منو (/start) «نظرسنجی‌ها» را انتخاب کنید."
        ]
        assert line.texts_to(SMS_PHONE) == [
            "Which drink? 1.Tea 2.Coffee 3.Juice Send a number: 20 points\nلغو۱۱"
        ]
        # The member on Telegram answers in the dialog.
        chat = member_chat()
        await chat.send("/start")
        await chat.click("Surveys")
        assert chat.text == "Surveys waiting for your answers: choose one."
        assert chat.buttons() == ["Our coffee: 20 points, until 2030-03-11 00:00", "Back"]
        await chat.click("Our coffee.*")
        assert chat.text == "Question 1 of 5:\nWhich drink?"
        assert chat.buttons() == ["Tea", "Coffee", "Juice", "Back"]
        await chat.send("Coffee")
        assert chat.answers()[-1] == "Please choose from the buttons."
        await chat.click("Coffee")
        assert chat.text == "Question 2 of 5:\nHow was the service?"
        assert chat.buttons() == ["1", "2", "3", "4", "5", "Back"]
        await chat.click("Back")
        assert chat.text == "Question 1 of 5:\nWhich drink?"
        await chat.click("Tea")
        await chat.click("4")
        assert chat.text == "Question 3 of 5:\nWould you recommend us?"
        assert chat.buttons() == [str(n) for n in range(11)] + ["Back"]
        await chat.click("10")
        assert chat.text == "Question 4 of 5:\nAnything else?\nType your answer."
        assert chat.buttons() == ["Back", "Skip"]
        await chat.send("More cake, please")
        assert chat.text == "Question 5 of 5:\nTea or coffee?"
        await chat.click("Coffee")
        assert chat.text == ("Thank you for answering! 20 points for you. Your balance: 20 points.")
        await chat.click("Back")
        await chat.click("Surveys")
        assert chat.text == "No survey is waiting for your answers."
        # The member on SMS answers the one question with a number, once.
        for n, text in enumerate(("7", "3", "2")):
            assert await line.sms(SMS_PHONE, text, f"a{n}") == 200
        await line.deliver()
        assert line.texts_to(SMS_PHONE)[1:] == [
            "Please answer with a number from 1 to 3.",
            "Thank you! 20 points. Balance 20.",
            "You have answered this survey already.",
        ]
    assert await SurveyResponse.all().count() == 2
    for m in (sara, texter):
        fresh = await Member.get(id=m.id)
        assert fresh.balance == 20 == await ledger.ledger_sum(m.id)
    assert (await Member.get(id=other.id)).balance == 0
    entry = await LedgerEntry.get(idempotency_key=f"survey:1:{sara.id}")
    assert (entry.amount, entry.reason, entry.note) == (20, "survey", "Our coffee")
    assert await points_paid() == 40
    replies = await h.send(OWNER, "/survey results 1")
    assert replies[0] == (
        "Survey #1 Our coffee: 2 answered of 3 asked (67%).\n"
        "1. (choice) Which drink? 1.Tea 2.Coffee 3.Juice\n"
        "  Tea: 1\n  Coffee: 0\n  Juice: 1\n"
        "2. (rating 1-5) How was the service?\n"
        "  1: 0\n  2: 0\n  3: 0\n  4: 1\n  5: 0\nAverage: 4.0\n"
        "3. (recommend 0-10) Would you recommend us?\n"
        + "".join(f"  {n}: {1 if n == 10 else 0}\n" for n in range(11))
        + "Average: 10.0\nRecommend score (NPS): 100\n"
        "4. (text, may be skipped) Anything else?\n  - More cake, please\n"
        "5. (choice) Tea or coffee? 1.Tea 2.Coffee\n  Tea: 0\n  Coffee: 1"
    )
    # The charts (one per question answered with a number), then the spreadsheet.
    assert replies[1:] == ["", "", "", "", "Survey 1: the answers as a spreadsheet."]
    document = h.api.sent_to(OWNER)[-1]["document"]
    assert document["file_name"] == "survey-1.xlsx"
    sheet = load_workbook(io.BytesIO(h.api.file_bytes(document["file_id"]))).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    drink, service, recommend = (
        "1. Which drink?",
        "2. How was the service?",
        "3. Would you recommend us?",
    )
    assert rows == [
        ["Question", "Answer", "Answers"],
        [drink, "Tea", 1],
        [drink, "Coffee", 0],
        [drink, "Juice", 1],
        *([service, str(n), 1 if n == 4 else 0] for n in range(1, 6)),
        [service, "average", 4],
        *([recommend, str(n), 1 if n == 10 else 0] for n in range(11)),
        [recommend, "average", 10],
        [recommend, "NPS", 100],
        ["4. Anything else?", "More cake, please", None],
        ["5. Tea or coffee?", "Tea", 0],
        ["5. Tea or coffee?", "Coffee", 1],
        ["Asked", None, 3],
        ["Answered", None, 2],
    ]


async def test_delete_my_data_erases_the_members_words_and_keeps_the_counts(h: Harness) -> None:
    await set_rules(signup_bonus=0)
    sara = await joined()  # Telegram, USER
    await build(h)
    assert await h.send(OWNER, "/survey send 1") == ["Survey sent: 1 members are invited."]
    await invite(h)
    chat = member_chat()
    await chat.send("/start")
    await chat.click("Surveys")
    await chat.click("Our coffee.*")
    await chat.click("Juice")
    await chat.click("5")
    await chat.click("9")
    await chat.send("Sara from Tajrish: more cake, please")
    assert chat.text == "Thank you for answering! 20 points for you. Your balance: 20 points."
    await chat.click("Back")
    await chat.click("Delete my data")
    await chat.click("Yes, delete my data")
    assert chat.answers()[-1] == (
        "Your data has been deleted. Send /start if you ever want to join again."
    )
    # The words are gone; the choice, the rating and the score stay, on the anonymous member.
    assert await SurveyAnswer.filter(text__contains="Tajrish").count() == 0
    assert await SurveyAnswer.filter(response__member_id=sara.id).order_by(
        "question_id"
    ).values_list("value", "text") == [(3, ""), (5, ""), (9, ""), (None, "")]
    assert (await h.send(OWNER, "/survey results 1"))[0] == (
        "Survey #1 Our coffee: 1 answered of 1 asked (100%).\n"
        "1. (choice) Which drink? 1.Tea 2.Coffee 3.Juice\n"
        "  Tea: 0\n  Coffee: 0\n  Juice: 1\n"
        "2. (rating 1-5) How was the service?\n"
        "  1: 0\n  2: 0\n  3: 0\n  4: 0\n  5: 1\nAverage: 5.0\n"
        "3. (recommend 0-10) Would you recommend us?\n"
        + "".join(f"  {n}: {1 if n == 9 else 0}\n" for n in range(11))
        + "Average: 9.0\nRecommend score (NPS): 100\n"
        "4. (text, may be skipped) Anything else?\nNo answers yet."
    )
    assert await points_paid() == 20


async def test_no_answer_after_the_survey_is_closed_or_past_its_deadline(h: Harness) -> None:
    await set_rules(signup_bonus=0)
    sara = await joined()
    persian = await make_member(NOW, phone=SMS_PHONE, locale="fa")
    await build(h)
    await h.send(OWNER, "/survey send 1")
    async with sms_line(SmsDoor(SmsConfig(per_minute=100))) as line:
        await invite(h, line.gateway)
        assert line.texts_to(SMS_PHONE) == [
            "Which drink? ۱.Tea ۲.Coffee ۳.Juice شماره را بفرستید: ۲۰ امتیاز\nلغو۱۱"
        ]
        # The member presses the button under the invitation: the first question at once.
        invitation = h.api.sent_to(USER)[-1]
        assert invitation["reply_markup"] == {
            "inline_keyboard": [[{"text": "Answer the survey", "callback_data": "srv:1"}]]
        }
        chat = member_chat()
        await chat.client.click(
            Message.model_validate(invitation), InlineButtonTextLocator("^Answer the survey$")
        )
        assert chat.text == "Question 1 of 4:\nWhich drink?"
        for label in ("Juice", "2", "0"):
            await chat.click(label)
        assert await line.sms(SMS_PHONE, "۲", "p1") == 200
        await line.deliver()
        assert line.texts_to(SMS_PHONE)[1:] == ["سپاس! ۲۰ امتیاز. موجودی ۲۰"]
        assert await h.send(OWNER, "/survey close 1") == [
            "Survey closed: it takes no more answers."
        ]
        await chat.click("Skip")
        assert chat.alerts() == ["This survey is closed."]
        assert chat.text == "No survey is waiting for your answers."
        await chat.client.click(
            Message.model_validate(invitation), InlineButtonTextLocator("^Answer the survey$")
        )
        assert chat.alerts() == ["This survey is closed.", "This survey is closed."]
        assert await line.sms(SMS_PHONE, "3", "p2") == 200
        await line.deliver()
        assert line.texts_to(SMS_PHONE)[2:] == ["این نظرسنجی بسته شده است."]
    assert (await Member.get(id=sara.id)).balance == 0 == await ledger.ledger_sum(sara.id)
    assert (await Member.get(id=persian.id)).balance == 20 == await ledger.ledger_sum(persian.id)
    assert await points_paid() == 20
    # A second survey, past its deadline: the member's list is empty and a direct answer is refused.
    await h.send(OWNER, "/survey add 5 2026-03-05 Quick one")
    await h.send(OWNER, "/survey q 2 rating Rate us")
    await h.send(OWNER, "/survey send 2 telegram")
    await invite(h)
    later = member_chat()
    later.client.dp["clock"] = lambda: NOW + timedelta(days=10)
    await later.send("/start")
    await later.click("Surveys")
    assert later.text == "No survey is waiting for your answers."
    question = (await surveys.questions_of(2))[0]
    with pytest.raises(LoyaltyError) as refused:
        await surveys.complete(
            2, sara.id, {question.id: 5}, channel="telegram", now=NOW + timedelta(days=10)
        )
    assert refused.value.code is ErrorCode.SURVEY_CLOSED
    assert await SurveyResponse.filter(survey_id=2).count() == 0


async def test_the_recommend_score_of_answers_by_sms(h: Harness) -> None:
    """Promoters (9-10) minus detractors (0-6), in percent of those who answered."""
    await set_rules(signup_bonus=0)
    phones = [f"0912333000{n}" for n in range(6)]
    for phone in phones:
        await make_member(NOW, phone=phone, locale="en")
    for text in (
        "/survey add 10 2030-03-10 Recommend",
        "/survey q 1 nps Would you recommend us?",
        "/survey q 1 text? Why?",
    ):
        await h.send(OWNER, text)
    async with sms_line(SmsDoor(SmsConfig(per_minute=100))) as line:
        # Before an invitation a number answers nothing: it is read as any text not understood.
        assert await line.sms(phones[0], "5", "early") == 200
        await line.deliver()
        assert line.texts_to(phones[0]) == [
            "Keywords: JOIN [code] name, POINTS, REWARDS, REDEEM n, "
            "BIRTHDAY 1991-08-03, FEEDBACK text, GIFT code, GIVE n, STOP, START. "
            "Survey: send a number."
        ]
        assert await h.send(OWNER, "/survey send 1 sms") == ["Survey sent: 6 members are invited."]
        await invite(h, line.gateway)
        assert line.texts_to(phones[0])[1:] == [
            "Would you recommend us? Send 0-10: 10 points\nلغو۱۱"
        ]
        for n, (phone, score) in enumerate(zip(phones, ("10", "10", "9", "7", "3"), strict=False)):
            assert await line.sms(phone, score, f"r{n}") == 200
        assert await line.sms(phones[5], "11", "stop") == 200  # STOP, not an answer
        await line.deliver()
        assert line.texts_to(phones[0])[2:] == ["Thank you! 10 points. Balance 10."]
        assert line.texts_to(phones[5])[1:] == [
            "No more club offers by SMS. Send 12 to get them again."
        ]
    replies = await h.send(OWNER, "/survey results 1")
    assert replies[0] == (
        "Survey #1 Recommend: 5 answered of 6 asked (83%).\n"
        "1. (recommend 0-10) Would you recommend us?\n"
        + "".join(
            f"  {n}: {dict(((10, 2), (9, 1), (7, 1), (3, 1))).get(n, 0)}\n" for n in range(11)
        )
        + "Average: 7.8\nRecommend score (NPS): 40\n"
        "2. (text, may be skipped) Why?\nNo answers yet."
    )
    assert await points_paid() == 50
    persian = (await h.send(OWNER, "/survey results 1", language="fa"))[0].splitlines()
    assert persian[:2] + persian[-5:] == [
        "نظرسنجی #۱ Recommend: ۵ پاسخ از ۶ دعوت (۸۳٪).",
        "۱. (توصیه ۰ تا ۱۰) Would you recommend us?",
        "  ۱۰: ۲",
        "میانگین: ۷٫۸",
        "شاخص توصیه (NPS): ۴۰",
        "۲. (متنی، رد شدنی) Why?",
        "هنوز پاسخی نیامده.",
    ]


async def test_sms_invitations_keep_quiet_hours_and_opt_outs(h: Harness) -> None:
    """An invitation by SMS is advertising: none to a member who opted out, none at night."""
    await make_member(NOW, phone=SMS_PHONE, locale="en")
    await make_member(NOW, phone="09124440000", locale="en")
    night = NOW.replace(hour=20)  # 23:30 in Tehran
    async with sms_line(SmsDoor(SmsConfig(per_minute=100))) as line:
        assert await line.sms("09124440000", "STOP", "stop") == 200
        await line.deliver()
        for text in ("/survey add 5 2030-03-10 Quick", "/survey q 1 rating Rate us"):
            await h.send(OWNER, text)
        assert await h.send(OWNER, "/survey send 1 sms") == ["Survey sent: 1 members are invited."]
        await campaign_job.run(night, TZ)
        sender = line.sender()
        assert (await sender.drain(night)).deferred == 1
        assert line.texts_to(SMS_PHONE) == []
        morning = night + timedelta(hours=8)
        assert (await sender.drain(morning)).sent == 1
        assert line.texts_to(SMS_PHONE) == ["Rate us Send 1-5: 5 points\nلغو۱۱"]
        assert line.texts_to("09124440000") == [
            "No more club offers by SMS. Send 12 to get them again."
        ]


# ---- many at once ---------------------------------------------------------------------------


async def test_completions_sent_at_once_pay_once(any_db: str) -> None:
    await set_rules(signup_bonus=0)
    member = await make_member(NOW, telegram_id=USER, locale="en")
    survey = await surveys.add_survey("Our coffee", 15, NOW + timedelta(days=5), {}, now=NOW)
    question = await surveys.add_question(survey.id, "nps", "Recommend us?", now=NOW)
    await surveys.send(survey.id, "telegram", now=NOW)
    await campaign_job.run(NOW, TZ)
    results = await asyncio.gather(
        *(
            surveys.complete(survey.id, member.id, {question.id: n}, channel="telegram", now=NOW)
            for n in (9, 3, 10, 6)
        ),
        return_exceptions=True,
    )
    paid = [r for r in results if isinstance(r, surveys.Completed)]
    refused = [r for r in results if isinstance(r, LoyaltyError)]
    assert len(paid) == 1 and len(refused) == 3, results
    assert {e.code for e in refused} == {ErrorCode.SURVEY_ANSWERED}
    assert (await Member.get(id=member.id)).balance == 15 == await ledger.ledger_sum(member.id)
    assert await points_paid(survey.id) == 15
    assert await SurveyResponse.all().count() == 1 and await SurveyAnswer.all().count() == 1
    found = await surveys.results(survey.id)
    assert (found.invited, found.responded, found.rate) == (1, 1, 100)


# ---- the CLI ------------------------------------------------------------------------------------


def test_the_cli_builds_sends_closes_and_exports_a_survey(
    club: Callable[[str], Club], tmp_path: Path
) -> None:
    run = club("en")
    assert run("survey", "list")[:2] == (
        0,
        "No surveys yet. Add one: /survey add 20 1405/10/01 Our coffee\n",
    )
    assert run("survey", "add", "20", "2030-03-10", "Our coffee", "--filter", "tier=bronze")[
        :2
    ] == (0, "#1 Our coffee: 20 points, answers until 2030-03-11 00:00; 0 questions, draft\n")
    assert run("survey", "add", "20", "2030-03-10", "Bad", "--filter", "colour=red") == (
        1,
        "",
        "I did not understand «colour=red». "
        "Filters: tier= branch= gender= age= type= interests= month= inactive= rfm=\n",
    )
    assert run("survey", "question", "1", "choice", "Drink?", "Tea", "Coffee")[:2] == (
        0,
        "1. (choice) Drink? 1.Tea 2.Coffee\n",
    )
    assert run("survey", "question", "1", "choice", "One?", "Tea")[2] == (
        "A choice question needs 2 to 9 options.\n"
    )
    assert run("survey", "question", "1", "text", "Why?", "--optional")[:2] == (
        0,
        "2. (text, may be skipped) Why?\n",
    )
    assert run("survey", "send", "1")[:2] == (0, "Survey sent: 0 members are invited.\n")
    assert run("survey", "question", "1", "text", "More?")[2] == (
        "Survey 1 was sent already: its questions cannot change.\n"
    )
    assert run("survey", "close", "1")[:2] == (0, "Survey closed: it takes no more answers.\n")
    path = tmp_path / "results.xlsx"
    assert run("survey", "results", "1", "--xlsx", str(path))[:2] == (
        0,
        "Survey #1 Our coffee: 0 answered of 0 asked (0%).\n"
        "1. (choice) Drink? 1.Tea 2.Coffee\nNo answers yet.\n"
        "2. (text, may be skipped) Why?\nNo answers yet.\n",
    )
    rows = [list(r) for r in load_workbook(path).active.iter_rows(values_only=True)]
    assert rows[-2:] == [["Asked", None, 0], ["Answered", None, 0]]
    assert run("survey", "show", "9")[2] == "No survey number 9.\n"
