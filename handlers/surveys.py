"""Surveys as staff and members read them, in every door (chat, SMS, command line, outbox)."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from handlers.format import digits, moment, number
from handlers.i18n import N_, t
from loyalty.surveys import Completed, Results
from models import Survey, SurveyQuestion

# The callback data of the button under a survey's invitation, before the survey's number.
INVITATION_PREFIX = "srv:"
ANSWER_BUTTON = N_("Answer the survey")

KIND_NAMES = {
    "choice": N_("choice"),
    "rating": N_("rating 1-5"),
    "nps": N_("recommend 0-10"),
    "text": N_("text"),
}
STATUS_NAMES = {"draft": N_("draft"), "sent": N_("sent"), "closed": N_("closed")}
STAFF_LINE = N_(
    "#{id} {title}: {points} points, answers until {deadline}; {questions} questions, {status}"
)
QUESTION_LINE = N_("{position}. ({kind}{optional}) {text}")
OPTIONAL = N_(", may be skipped")
THANKS = N_("Thank you for answering! {points} points for you. Your balance: {balance} points.")
THANKS_NO_POINTS = N_("Thank you for answering!")
INVITE = N_(
    "A new survey: {title}. Answer by {deadline} and earn {points} points: "
    "press the button below, or choose Surveys in the menu (/start)."
)
SMS_CHOICE = N_("{question} {options} Send a number: {points} points")
SMS_SCALE = N_("{question} Send {low}-{high}: {points} points")
SMS_THANKS = N_("Thank you! {points} points. Balance {balance}.")
RESULTS_HEAD = N_("Survey #{id} {title}: {responded} answered of {invited} asked ({rate}%).")
AVERAGE = N_("Average: {average}")
NPS = N_("Recommend score (NPS): {nps}")
NO_ANSWERS = N_("No answers yet.")


def staff_line(survey: Survey, questions: int, locale: str, tz: ZoneInfo) -> str:
    return t(
        STAFF_LINE,
        locale,
        id=digits(str(survey.id), locale),
        title=survey.title,
        points=number(survey.points, locale),
        deadline=moment(survey.deadline, locale, tz),
        questions=number(questions, locale),
        status=t(STATUS_NAMES[survey.status], locale),
    )


def options_text(options: list[str], locale: str) -> str:
    return " ".join(f"{digits(str(n), locale)}.{option}" for n, option in enumerate(options, 1))


def question_line(question: SurveyQuestion, locale: str) -> str:
    line = t(
        QUESTION_LINE,
        locale,
        position=digits(str(question.position), locale),
        kind=t(KIND_NAMES[question.kind], locale),
        optional=t(OPTIONAL, locale) if question.optional else "",
        text=question.text,
    )
    return f"{line} {options_text(question.options, locale)}" if question.options else line


def survey_text(survey: Survey, questions: list[SurveyQuestion], locale: str, tz: ZoneInfo) -> str:
    return "\n".join(
        [staff_line(survey, len(questions), locale, tz)]
        + [question_line(q, locale) for q in questions]
    )


def thanks(completed: Completed, locale: str, *, sms: bool = False) -> str:
    if not completed.points:
        return t(THANKS_NO_POINTS, locale)
    return t(
        SMS_THANKS if sms else THANKS,
        locale,
        points=number(completed.points, locale),
        balance=number(completed.balance, locale),
    )


def invitation(survey: dict[str, Any], locale: str, sms: bool, tz: ZoneInfo) -> str:
    """An invitation as the outbox sends it: the survey's title, points and deadline by
    Telegram; its one numbered question by SMS."""
    points = number(int(survey.get("points") or 0), locale)
    asked = survey.get("sms")
    if sms and asked:
        if asked["kind"] == "choice":
            return t(
                SMS_CHOICE,
                locale,
                question=asked["text"],
                options=options_text(asked["options"], locale),
                points=points,
            )
        return t(
            SMS_SCALE,
            locale,
            question=asked["text"],
            low=number(asked["low"], locale),
            high=number(asked["high"], locale),
            points=points,
        )
    return t(
        INVITE,
        locale,
        title=survey["title"],
        deadline=moment(datetime.fromisoformat(survey["deadline"]), locale, tz),
        points=points,
    )


def _average(value: float, locale: str) -> str:
    shown = f"{value:.1f}"
    return digits(shown, locale).replace(".", "٫") if locale == "fa" else shown


def results_text(found: Results, locale: str) -> str:
    survey = found.survey
    lines = [
        t(
            RESULTS_HEAD,
            locale,
            id=digits(str(survey.id), locale),
            title=survey.title,
            responded=number(found.responded, locale),
            invited=number(found.invited, locale),
            rate=number(found.rate, locale),
        )
    ]
    for result in found.questions:
        lines.append(question_line(result.question, locale))
        if not result.answered:
            lines.append(t(NO_ANSWERS, locale))
            continue
        for label, count in result.counts:
            label = digits(label, locale) if result.question.kind != "choice" else label
            lines.append(f"  {label}: {number(count, locale)}")
        if result.average is not None:
            lines.append(t(AVERAGE, locale, average=_average(result.average, locale)))
        if result.nps is not None:
            lines.append(t(NPS, locale, nps=number(result.nps, locale)))
        lines += [f"  - {text}" for text in result.texts]
    return "\n".join(lines)


EXPORT_HEADERS = (N_("Question"), N_("Answer"), N_("Answers"))


def results_xlsx(found: Results, locale: str) -> bytes:
    """The results as a spreadsheet: a row per option or score with its count, and a row
    per text answer."""
    from openpyxl import Workbook  # only when an export is asked for

    book = Workbook()
    sheet = book.active
    sheet.title = t(N_("Survey"), locale)
    sheet.sheet_view.rightToLeft = locale == "fa"
    sheet.append([t(h, locale) for h in EXPORT_HEADERS])
    for result in found.questions:
        question = f"{result.question.position}. {result.question.text}"
        for label, count in result.counts:
            sheet.append([question, label, count])
        if result.average is not None:
            sheet.append([question, t(N_("average"), locale), round(result.average, 2)])
        if result.nps is not None:
            sheet.append([question, "NPS", result.nps])
        for text in result.texts:
            sheet.append([question, text, None])
    sheet.append([t(N_("Asked"), locale), None, found.invited])
    sheet.append([t(N_("Answered"), locale), None, found.responded])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
