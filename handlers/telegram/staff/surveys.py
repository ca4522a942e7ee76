"""/survey: the owner's surveys paid in points: build one, add its questions, send it to an
audience (as a campaign), close it, read its results (text, charts, spreadsheet)."""

from __future__ import annotations

import asyncio
from datetime import datetime

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, Message

from handlers.format import number
from handlers.i18n import N_, t
from handlers.notifications import OPT_OUT
from handlers.sms.text import sms_parts
from handlers.surveys import (
    invitation,
    question_line,
    results_text,
    results_xlsx,
    staff_line,
    survey_text,
)
from handlers.telegram.staff.campaigns import filter_refusal, not_understood, parse_audience
from handlers.telegram.staff.common import request_of, say
from handlers.telegram.staff.report_charts import Chart
from handlers.telegram.workflow import Settings
from loyalty import festivals, surveys
from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.numbers import INT_MAX, parse_id, parse_int
from loyalty.staff.permissions import Action
from loyalty.surveys import Results
from models import Staff

USAGE = N_(
    "Usage:\n/survey — the surveys\n"
    "/survey add <points> <deadline day> <title> [filters]\n"
    "/survey q <number> choice|rating|nps|text <question> [| <option> | <option> ...]\n"
    "/survey show <number>\n/survey send <number> [telegram|sms|telegram_sms]\n"
    "/survey close <number>\n/survey results <number>\n"
    "Add ? to the kind (text?) when the question may be skipped."
)
NONE = N_("No surveys yet. Add one: /survey add 20 1405/10/01 Our coffee")
ADDED = N_("Survey added (a draft): add its questions with /survey q, then /survey send.")
QUESTION_ADDED = N_("Question added.")
SENT = N_("Survey sent: {count} members are invited.")
CLOSED = N_("Survey closed: it takes no more answers.")
# The question kinds as the command spells them, English and Persian.
KINDS = {
    "choice": "choice",
    "گزینه": "choice",
    "rating": "rating",
    "امتیاز": "rating",
    "nps": "nps",
    "توصیه": "nps",
    "text": "text",
    "متن": "text",
}
CHANNELS = ("telegram", "sms", "telegram_sms")


async def on_survey(
    message: Message,
    command: CommandObject,
    staff: Staff,
    locale: str,
    settings: Settings,
    now: datetime,
) -> None:
    words = (command.args or "").split(maxsplit=1)
    verb = words[0].lower() if words else "list"
    rest = words[1] if len(words) > 1 else ""
    if verb in ("list", "فهرست") and not rest:
        shown = [
            staff_line(s, len(await surveys.questions_of(s.id)), locale, settings.tz)
            for s in await surveys.listed()
        ]
        await say(message, "\n".join(shown) or t(NONE, locale))
    elif verb in ("add", "افزودن") and rest:
        await _add(message, rest.split(), staff, locale, settings, now)
    elif verb in ("q", "سوال") and rest:
        await _question(message, rest, staff, locale)
    elif verb in ("show", "نمایش") and len(rest.split()) == 1:
        await _show(message, parse_id(rest), locale, settings)
    elif verb in ("send", "ارسال") and 1 <= len(rest.split()) <= 2:
        await _send(message, rest.split(), staff, locale, settings, now)
    elif verb in ("close", "بستن") and len(rest.split()) == 1:
        await surveys.close(parse_id(rest), staff_id=staff.id, now=now)
        await say(message, t(CLOSED, locale))
    elif verb in ("results", "نتایج") and len(rest.split()) == 1:
        await _results(message, parse_id(rest), locale)
    else:
        await say(message, t(USAGE, locale))


async def _add(
    message: Message,
    words: list[str],
    staff: Staff,
    locale: str,
    settings: Settings,
    now: datetime,
) -> None:
    """`<points> <deadline> <title> [filters]`: every value read before anything is written."""
    filters = []
    while words and "=" in words[-1]:
        filters.insert(0, words.pop())
    if len(words) < 3:
        await say(message, t(USAGE, locale))
        return
    points = parse_int(words[0], maximum=INT_MAX)
    if points < 0:
        raise LoyaltyError(ErrorCode.INVALID_AMOUNT, amount=words[0])
    deadline = festivals.read_day(words[1], settings.tz, end=True, now=now)
    try:
        audience, _ = parse_audience(filters, settings.tz, now)
    except ValueError as error:
        await say(message, not_understood(str(error), locale))
        return
    try:
        survey = await surveys.add_survey(
            " ".join(words[2:]),
            points,
            deadline,
            audience,
            staff_id=staff.id,
            key=request_of(message),
            now=now,
        )
    except LoyaltyError as error:
        await say(message, filter_refusal(error, locale))
        return
    await say(message, t(ADDED, locale) + "\n" + staff_line(survey, 0, locale, settings.tz))


def read_question(raw: str) -> tuple[int, str, str, list[str], bool] | None:
    """`<survey> <kind>[?] <question> [| option | option]`; None when it is not that."""
    words = raw.split(maxsplit=2)
    if len(words) < 3:
        return None
    optional = words[1].endswith(("?", "؟"))
    kind = KINDS.get(words[1].rstrip("?؟").lower())
    if kind is None:
        return None
    text, *options = [part.strip() for part in words[2].split("|")]
    if options and kind != "choice":
        return None
    return parse_id(words[0]), kind, text, options, optional


async def _question(message: Message, raw: str, staff: Staff, locale: str) -> None:
    read = read_question(raw)
    if read is None:
        await say(message, t(USAGE, locale))
        return
    survey_id, kind, text, options, optional = read
    question = await surveys.add_question(
        survey_id, kind, text, options, optional=optional, staff_id=staff.id
    )
    await say(message, t(QUESTION_ADDED, locale) + "\n" + question_line(question, locale))


async def _show(message: Message, survey_id: int, locale: str, settings: Settings) -> None:
    survey = await surveys.get_survey(survey_id)
    questions = await surveys.questions_of(survey_id)
    await say(message, survey_text(survey, questions, locale, settings.tz))


def sms_fits(survey_params: dict[str, object], settings: Settings) -> int:
    """The most SMS parts the invitation takes, in either language (with the opt-out)."""
    return max(
        sms_parts(f"{invitation(survey_params, locale, True, settings.tz)}\n{OPT_OUT}")
        for locale in ("fa", "en")
    )


async def check_sms(survey_id: int, channel: str, settings: Settings) -> None:
    """An invitation by SMS fits one part in both languages (SURVEY_SMS_TOO_LONG)."""
    if channel == "telegram":
        return
    survey = await surveys.get_survey(survey_id)
    questions = await surveys.questions_of(survey_id)
    if survey.status != "draft":
        return  # sent already: sending again changes nothing
    if not questions:
        raise LoyaltyError(ErrorCode.SURVEY_NO_QUESTIONS, survey=survey_id)
    if surveys.sms_question(questions) is None:
        raise LoyaltyError(ErrorCode.SURVEY_NO_SMS_QUESTION)
    parts = sms_fits(surveys.invitation(survey, questions), settings)
    if parts > 1:
        raise LoyaltyError(ErrorCode.SURVEY_SMS_TOO_LONG, parts=parts)


async def _send(
    message: Message,
    words: list[str],
    staff: Staff,
    locale: str,
    settings: Settings,
    now: datetime,
) -> None:
    channel = words[1].lower() if len(words) == 2 else "telegram_sms"
    if channel not in CHANNELS:
        await say(message, t(USAGE, locale))
        return
    survey_id = parse_id(words[0])
    await check_sms(survey_id, channel, settings)
    survey = await surveys.send(survey_id, channel, staff_id=staff.id, now=now)
    count = await surveys.reach(survey, now, settings.tz)
    await say(message, t(SENT, locale, count=number(count, locale)))


def results_charts(found: Results, locale: str) -> list[Chart]:
    """A bar chart for each question answered with a number: answers per option or score."""
    return [
        Chart(
            f"survey-{found.survey.id}-{result.question.position}.png",
            f"{result.question.position}. {result.question.text}",
            tuple(label for label, _ in result.counts),
            (("", tuple(count for _, count in result.counts)),),
            locale,
        )
        for result in found.questions
        if result.counts
    ]


async def _results(message: Message, survey_id: int, locale: str) -> None:
    found = await surveys.results(survey_id)
    await say(message, results_text(found, locale))
    from handlers.telegram.staff.charts import draw  # matplotlib: only when asked

    for chart in results_charts(found, locale):
        png = await asyncio.to_thread(draw, chart)
        await message.answer_photo(BufferedInputFile(png, filename=chart.filename))
    data = await asyncio.to_thread(results_xlsx, found, locale)
    await message.answer_document(
        BufferedInputFile(data, filename=f"survey-{survey_id}.xlsx"),
        caption=t(N_("Survey {id}: the answers as a spreadsheet."), locale, id=survey_id),
    )


def router() -> Router:
    commands = Router(name="staff.surveys")
    commands.message.register(on_survey, Command("survey"), flags={"action": Action.SURVEYS})
    return commands
