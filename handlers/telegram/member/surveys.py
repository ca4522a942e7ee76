"""Surveys: the member picks a survey waiting for them and answers it a question at a time
(buttons for choices and scores, typed text for text questions; Back, and Skip where the
question may be skipped). The answers are kept in the dialog and recorded together at the
end, with the survey's points: a survey left half-way records nothing."""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.filters import MagicData
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import Dialog, DialogManager, StartMode, Window
from aiogram_dialog.widgets.kbd import Button, Group, Row, Select
from aiogram_dialog.widgets.text import Format

from handlers.format import digits, moment, number
from handlers.i18n import N_, t
from handlers.surveys import INVITATION_PREFIX, thanks
from handlers.telegram.member.common import current_member
from handlers.telegram.member.states import SurveySG
from handlers.telegram.widgets import Tr, buttons_only, choices, esc, leave, locale_of, text_input
from handlers.texts import error_text
from loyalty import surveys
from loyalty.clock import utcnow
from loyalty.errors import LoyaltyError
from models import SurveyQuestion

CHOOSE = N_("Please choose from the buttons.")


def _now(manager: DialogManager) -> Any:
    return manager.middleware_data.get("clock", utcnow)()


async def surveys_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    locale = locale_of(dialog_manager)
    member = await current_member(dialog_manager)
    waiting = await surveys.waiting_for(member.id, _now(dialog_manager)) if member else []
    tz = dialog_manager.middleware_data.get("tz")
    return {
        "surveys": [
            {
                "id": s.id,
                "label": t(
                    N_("{title}: {points} points, until {deadline}"),
                    locale,
                    title=s.title,
                    points=number(s.points, locale),
                    deadline=moment(s.deadline, locale, tz),
                ),
            }
            for s in waiting
        ],
        "empty": not waiting,
    }


async def _refuse(
    event: CallbackQuery | Message, error: LoyaltyError, manager: DialogManager
) -> None:
    text = error_text(error, locale_of(manager))
    if isinstance(event, CallbackQuery):
        await event.answer(text, show_alert=True)
    else:
        await event.answer(text)


async def on_survey(
    callback: CallbackQuery, widget: Any, manager: DialogManager, item_id: str
) -> None:
    member = await current_member(manager)
    if member is None:
        return
    try:
        survey = await surveys.get_survey(int(item_id))
        await surveys.can_answer(survey, member.id, _now(manager))
    except LoyaltyError as error:
        await _refuse(callback, error, manager)
        return
    manager.dialog_data.update(survey_id=survey.id, index=0, answers={})
    await manager.switch_to(SurveySG.question)


async def on_invitation(callback: CallbackQuery, dialog_manager: DialogManager) -> None:
    """The button under an invitation: straight to the survey's first question."""
    member = await current_member(dialog_manager)
    raw = (callback.data or "").removeprefix(INVITATION_PREFIX)
    if member is None or not raw.isdigit():
        await callback.answer()
        return
    try:
        survey = await surveys.get_survey(int(raw))
        await surveys.can_answer(survey, member.id, _now(dialog_manager))
    except LoyaltyError as error:
        await _refuse(callback, error, dialog_manager)
        return
    await callback.answer()
    await dialog_manager.start(
        SurveySG.question, data={"survey_id": survey.id}, mode=StartMode.RESET_STACK
    )


async def on_dialog_start(start_data: Any, manager: DialogManager) -> None:
    if isinstance(start_data, dict) and start_data.get("survey_id"):
        manager.dialog_data.update(survey_id=start_data["survey_id"], index=0, answers={})


def invitations_router() -> Router:
    router = Router(name="member-survey-invitations")
    # MagicData, an aiogram Filter, runs on the loop; a bare F.data... would run in a thread.
    router.callback_query.register(
        on_invitation, MagicData(F.event.data.startswith(INVITATION_PREFIX))
    )
    return router


async def _questions(manager: DialogManager) -> list[SurveyQuestion]:
    return await surveys.questions_of(manager.dialog_data["survey_id"])


async def question_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    locale = locale_of(dialog_manager)
    questions = await _questions(dialog_manager)
    index = dialog_manager.dialog_data.get("index", 0)
    question = questions[index]
    low, high = surveys.bounds(question)
    items = []
    if question.kind == "choice":
        items = [{"id": n, "label": option} for n, option in enumerate(question.options, 1)]
    elif question.kind in ("rating", "nps"):
        items = [{"id": n, "label": digits(str(n), locale)} for n in range(low, high + 1)]
    return {
        "progress": t(
            N_("Question {n} of {total}:"),
            locale,
            n=number(index + 1, locale),
            total=number(len(questions), locale),
        ),
        "text": esc(question.text),
        "typed": question.kind == "text",
        "options": items if question.kind == "choice" else [],
        "scale": items if question.kind != "choice" else [],
        "optional": question.optional,
    }


async def _answer(
    event: CallbackQuery | Message, manager: DialogManager, value: int | str | None
) -> None:
    """Keep the answer and go to the next question; after the last, record them all."""
    questions = await _questions(manager)
    index = manager.dialog_data["index"]
    question = questions[index]
    try:
        kept = surveys.check_answer(question, value)
    except LoyaltyError as error:
        await _refuse(event, error, manager)
        return
    manager.dialog_data["answers"][str(question.id)] = kept
    if index + 1 < len(questions):
        manager.dialog_data["index"] = index + 1
        return
    member = await current_member(manager)
    if member is None:
        return
    answers = {int(key): value for key, value in manager.dialog_data["answers"].items()}
    try:
        completed = await surveys.complete(
            manager.dialog_data["survey_id"],
            member.id,
            answers,
            channel="telegram",
            now=_now(manager),
        )
    except LoyaltyError as error:
        await _refuse(event, error, manager)
        await manager.switch_to(SurveySG.surveys)
        return
    manager.dialog_data["thanks"] = thanks(completed, locale_of(manager))
    await manager.switch_to(SurveySG.thanks)


async def on_choice(
    callback: CallbackQuery, widget: Any, manager: DialogManager, item_id: str
) -> None:
    await _answer(callback, manager, int(item_id))


async def on_typed(message: Message, widget: Any, manager: DialogManager, text: str) -> None:
    questions = await _questions(manager)
    if questions[manager.dialog_data["index"]].kind != "text":
        await message.answer(t(CHOOSE, locale_of(manager)))
        return
    await _answer(message, manager, text)


async def on_skip(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    await _answer(callback, manager, None)


async def on_back(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    index = manager.dialog_data.get("index", 0)
    if index == 0:
        await manager.switch_to(SurveySG.surveys)
    else:
        manager.dialog_data["index"] = index - 1


async def thanks_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    return {"thanks": esc(dialog_manager.dialog_data.get("thanks", ""))}


def dialog() -> Dialog:
    """A fresh dialog: a router can belong to one dispatcher only."""
    return Dialog(
        Window(
            Tr(N_("Surveys waiting for your answers: choose one."), when="surveys"),
            Tr(N_("No survey is waiting for your answers."), when="empty"),
            choices("surveys", on_survey, "survey"),
            leave(),
            buttons_only(),
            getter=surveys_getter,
            state=SurveySG.surveys,
        ),
        Window(
            Format("{progress}\n{text}"),
            Tr(N_("Type your answer."), when="typed"),
            choices("options", on_choice, "option"),
            Group(
                Select(
                    Format("{item[label]}"),
                    id="score",
                    item_id_getter=lambda item: item["id"],
                    items="scale",
                    on_click=on_choice,
                ),
                width=6,
            ),
            *text_input("answer", on_typed),
            Row(
                Button(Tr(N_("Back")), id="back", on_click=on_back),
                Button(Tr(N_("Skip")), id="skip", on_click=on_skip, when="optional"),
            ),
            getter=question_getter,
            state=SurveySG.question,
        ),
        Window(
            Format("{thanks}"),
            leave(),
            buttons_only(),
            getter=thanks_getter,
            state=SurveySG.thanks,
        ),
        on_start=on_dialog_start,
    )
