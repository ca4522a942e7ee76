"""Surveys: the owner's questions, sent to a campaign audience, answered once for points.

A survey is built as a draft (title, points, deadline, audience, then its questions),
sent as a campaign (so every invitation goes through the outbox exactly once, with the
campaign's consent, quiet hours and opt-out rules), and takes answers until its deadline
or until the owner closes it. A member completes it once: the response row (unique per
survey and member) and the ledger row of its points (key survey:<id>:<member>) are
written in one transaction, so two completions sent at once pay once. Every check is
made before anything is written, so refused input never reaches the database.

Question kinds: `choice` (one of its options), `rating` (1 to 5), `nps` (0 to 10, "would
you recommend us"), `text` (a short answer). The SMS line asks one question at most: the
first choice, rating or recommend question, answered with a number.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from loyalty import audit, campaigns, ledger
from loyalty.audiences import check, scoped
from loyalty.clock import utcnow
from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.members import get_member
from loyalty.numbers import INT_MAX
from models import (
    Campaign,
    EntryKind,
    OutboxMessage,
    Survey,
    SurveyAnswer,
    SurveyQuestion,
    SurveyResponse,
)

KINDS = ("choice", "rating", "nps", "text")
NUMBERED = ("choice", "rating", "nps")  # answered with a number: the kinds SMS may ask
MAX_TITLE = 100
MAX_QUESTION = 200
MAX_QUESTIONS = 20
MAX_OPTION = 40
MIN_OPTIONS, MAX_OPTIONS = 2, 9  # one digit each: an SMS answer is one number
MAX_TEXT_ANSWER = 500
REASON = "survey"
# NPS: 9 and 10 promote, 0 to 6 detract.
PROMOTER, DETRACTOR = 9, 6


@dataclass(frozen=True)
class Completed:
    """A completed survey: the points paid and the member's balance after them."""

    survey: Survey
    points: int
    balance: int


@dataclass
class QuestionResult:
    question: SurveyQuestion
    answered: int = 0
    counts: list[tuple[str, int]] = field(default_factory=list)  # (label, answers)
    average: float | None = None  # rating and nps
    nps: int | None = None  # promoters minus detractors, in percent of those who answered
    texts: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Results:
    survey: Survey
    invited: int
    responded: int
    questions: list[QuestionResult]

    @property
    def rate(self) -> int:
        """Responses in percent of the members invited, rounded."""
        return round(100 * self.responded / self.invited) if self.invited else 0


def bounds(question: SurveyQuestion) -> tuple[int, int]:
    """The numbers a question's answer may be."""
    if question.kind == "choice":
        return 1, len(question.options)
    if question.kind == "rating":
        return 1, 5
    return 0, 10


# --- the owner builds ------------------------------------------------------------------


def _clean(text: str, most: int) -> str:
    cleaned = " ".join((text or "").split())
    if not cleaned:
        raise LoyaltyError(ErrorCode.EMPTY_TEXT)
    if len(cleaned) > most:
        raise LoyaltyError(ErrorCode.TEXT_TOO_LONG, max=most)
    return cleaned


async def add_survey(
    title: str,
    points: int,
    deadline: datetime,
    audience: dict[str, Any],
    *,
    staff_id: int | None = None,
    actor: str = "",
    key: str | None = None,
    now: datetime | None = None,
) -> Survey:
    """A new draft; with `key`, the one added under that key before, if any. A manager of
    one branch asks that branch's members only."""
    now = now or utcnow()
    title = _clean(title, MAX_TITLE)
    if not 0 <= points <= INT_MAX:
        raise LoyaltyError(ErrorCode.INVALID_AMOUNT, amount=points)
    if deadline <= now:
        raise LoyaltyError(ErrorCode.SURVEY_DEADLINE_PAST)
    audience = await scoped(audience, staff_id)
    await check(audience)
    if key is not None and (earlier := await Survey.get_or_none(request_key=key)) is not None:
        return earlier
    survey = await Survey.create(
        title=title,
        points=points,
        deadline=deadline,
        audience=audience,
        created_at=now,
        request_key=key,
    )
    await audit.record(
        "survey_added", staff_id=staff_id, actor=actor, now=now, survey=survey.id, title=title
    )
    return survey


async def get_survey(survey_id: int) -> Survey:
    survey = await Survey.get_or_none(id=survey_id)
    if survey is None:
        raise LoyaltyError(ErrorCode.SURVEY_NOT_FOUND, survey=survey_id)
    return survey


async def questions_of(survey_id: int) -> list[SurveyQuestion]:
    return await SurveyQuestion.filter(survey_id=survey_id).order_by("position")


async def add_question(
    survey_id: int,
    kind: str,
    text: str,
    options: list[str] | None = None,
    *,
    optional: bool = False,
    staff_id: int | None = None,
    actor: str = "",
    now: datetime | None = None,
) -> SurveyQuestion:
    """A question at the end of a draft survey."""
    if kind not in KINDS:
        raise ValueError(f"unknown question kind {kind!r}")  # the doors offer only these
    survey = await get_survey(survey_id)
    if survey.status != "draft":
        raise LoyaltyError(ErrorCode.SURVEY_SENT, survey=survey_id)
    text = _clean(text, MAX_QUESTION)
    cleaned = [_clean(option, MAX_OPTION) for option in options or []]
    if kind == "choice" and not MIN_OPTIONS <= len(cleaned) <= MAX_OPTIONS:
        raise LoyaltyError(ErrorCode.SURVEY_OPTIONS, min=MIN_OPTIONS, max=MAX_OPTIONS)
    if kind != "choice":
        cleaned = []
    count = await SurveyQuestion.filter(survey_id=survey_id).count()
    if count >= MAX_QUESTIONS:
        raise LoyaltyError(ErrorCode.SURVEY_TOO_MANY, max=MAX_QUESTIONS)
    question = await SurveyQuestion.create(
        survey_id=survey_id,
        position=count + 1,
        kind=kind,
        text=text,
        options=cleaned,
        optional=optional,
    )
    await audit.record(
        "survey_question_added",
        staff_id=staff_id,
        actor=actor,
        now=now or utcnow(),
        survey=survey_id,
        question=question.position,
    )
    return question


def sms_question(questions: list[SurveyQuestion]) -> SurveyQuestion | None:
    """The one question the SMS line asks: the first answered with a number."""
    return next((q for q in questions if q.kind in NUMBERED), None)


def invitation(survey: Survey, questions: list[SurveyQuestion]) -> dict[str, Any]:
    """What an invitation says, rendered in each member's language when it is sent."""
    asked = sms_question(questions)
    sms = None
    if asked is not None:
        low, high = bounds(asked)
        sms = {"kind": asked.kind, "text": asked.text, "options": asked.options}
        sms |= {"low": low, "high": high}
    return {
        "id": survey.id,
        "title": survey.title,
        "points": survey.points,
        "deadline": survey.deadline.isoformat(),
        "sms": sms,
    }


async def send(
    survey_id: int,
    channel: str,
    *,
    staff_id: int | None = None,
    actor: str = "",
    now: datetime | None = None,
) -> Survey:
    """Invite the survey's audience: a campaign due now, which the campaign job sends. A
    survey sent already is left as it is (a repeated command invites no one twice)."""
    now = now or utcnow()
    survey = await get_survey(survey_id)
    if survey.status != "draft":
        return survey
    questions = await questions_of(survey_id)
    if not questions:
        raise LoyaltyError(ErrorCode.SURVEY_NO_QUESTIONS, survey=survey_id)
    if survey.deadline <= now:
        raise LoyaltyError(ErrorCode.SURVEY_DEADLINE_PAST)
    if channel != "telegram" and sms_question(questions) is None:
        raise LoyaltyError(ErrorCode.SURVEY_NO_SMS_QUESTION)
    async with in_transaction():
        # The conditional UPDATE first: of two sends at once, one creates the campaign.
        if not await Survey.filter(id=survey_id, status="draft").update(status="sent"):
            return await get_survey(survey_id)
        campaign = await campaigns.create(
            survey.audience,
            channel,
            survey.title,
            send_at=now,
            staff_id=staff_id,
            actor=actor,
            now=now,
        )
        await Survey.filter(id=survey_id).update(campaign_id=campaign.id)
    await audit.record(
        "survey_sent", staff_id=staff_id, actor=actor, now=now, survey=survey_id, channel=channel
    )
    return await get_survey(survey_id)


async def invitation_params(campaign_id: int) -> dict[str, Any]:
    """The outbox values of a survey's invitation, for the campaign that sends it ({}: the
    campaign sends no survey)."""
    survey = await Survey.get_or_none(campaign_id=campaign_id)
    if survey is None:
        return {}
    return {"survey": invitation(survey, await questions_of(survey.id))}


async def close(
    survey_id: int, *, staff_id: int | None = None, actor: str = "", now: datetime | None = None
) -> Survey:
    """Take no more answers; a closed survey stays closed."""
    now = now or utcnow()
    await get_survey(survey_id)
    if await Survey.filter(id=survey_id, status__in=("draft", "sent")).update(
        status="closed", closed_at=now
    ):
        await audit.record(
            "survey_closed", staff_id=staff_id, actor=actor, now=now, survey=survey_id
        )
    return await get_survey(survey_id)


async def listed() -> list[Survey]:
    return await Survey.all().order_by("-id").limit(20)


# --- members answer --------------------------------------------------------------------


def is_open(survey: Survey, now: datetime) -> bool:
    return survey.status == "sent" and now < survey.deadline


async def invited(survey: Survey, member_id: int) -> bool:
    return survey.campaign_id is not None and await OutboxMessage.exists(  # type: ignore[attr-defined]
        campaign_id=survey.campaign_id,  # type: ignore[attr-defined]
        member_id=member_id,
    )


async def waiting_for(member_id: int, now: datetime) -> list[Survey]:
    """The open surveys the member was invited to and has not completed, oldest first."""
    campaign_ids = await OutboxMessage.filter(
        member_id=member_id, campaign_id__not_isnull=True
    ).values_list("campaign_id", flat=True)
    done = await SurveyResponse.filter(member_id=member_id).values_list("survey_id", flat=True)
    return (
        await Survey.filter(campaign_id__in=list(campaign_ids), status="sent", deadline__gt=now)
        .exclude(id__in=list(done))
        .order_by("id")
    )


async def latest_invitation(member_id: int) -> Survey | None:
    """The survey the member was invited to last, whatever its state (for an SMS answer)."""
    campaign_ids = await OutboxMessage.filter(
        member_id=member_id, campaign_id__not_isnull=True
    ).values_list("campaign_id", flat=True)
    return await Survey.filter(campaign_id__in=list(campaign_ids)).order_by("-id").first()


async def can_answer(survey: Survey, member_id: int, now: datetime) -> None:
    """SURVEY_CLOSED, SURVEY_NOT_INVITED or SURVEY_ANSWERED when the member may not answer."""
    if not is_open(survey, now):
        raise LoyaltyError(ErrorCode.SURVEY_CLOSED)
    if not await invited(survey, member_id):
        raise LoyaltyError(ErrorCode.SURVEY_NOT_INVITED)
    if await SurveyResponse.exists(survey_id=survey.id, member_id=member_id):
        raise LoyaltyError(ErrorCode.SURVEY_ANSWERED)


def check_answer(question: SurveyQuestion, value: int | str | None) -> int | str | None:
    """An answer as the rules keep it: a number within the question's bounds, a text, or
    None (skipped: only where the question is optional)."""
    if value is None or value == "":
        if not question.optional:
            raise LoyaltyError(ErrorCode.SURVEY_ANSWER_MISSING, question=question.position)
        return None
    if question.kind == "text":
        return _clean(str(value), MAX_TEXT_ANSWER)
    low, high = bounds(question)
    if not isinstance(value, int) or not low <= value <= high:
        raise LoyaltyError(ErrorCode.SURVEY_ANSWER_RANGE, low=low, high=high)
    return value


async def complete(
    survey_id: int,
    member_id: int,
    answers: dict[int, int | str | None],
    *,
    channel: str,
    now: datetime | None = None,
) -> Completed:
    """Record a member's answers (question id: answer) and pay the survey's points, once.

    Every question is answered or skipped where it may be; by SMS only the SMS question is
    asked, so only it is needed. A second completion, even at the same moment, is refused
    (SURVEY_ANSWERED) and pays nothing."""
    now = now or utcnow()
    survey = await get_survey(survey_id)
    await get_member(member_id)
    await can_answer(survey, member_id, now)
    questions = await questions_of(survey_id)
    if channel == "sms":
        asked = sms_question(questions)
        questions = [asked] if asked is not None else []
    kept = {q.id: check_answer(q, answers.get(q.id)) for q in questions}
    key = f"survey:{survey_id}:{member_id}"
    try:
        async with in_transaction():
            response = await SurveyResponse.create(
                survey_id=survey_id, member_id=member_id, channel=channel, created_at=now
            )
            await SurveyAnswer.bulk_create(
                [
                    SurveyAnswer(
                        response_id=response.id,
                        question_id=question_id,
                        value=value if isinstance(value, int) else None,
                        text=value if isinstance(value, str) else "",
                    )
                    for question_id, value in kept.items()
                    if value is not None
                ]
            )
            balance = None
            if survey.points:
                posted = await ledger.post(
                    member_id,
                    EntryKind.BONUS,
                    survey.points,
                    REASON,
                    key,
                    now=now,
                    note=survey.title,
                )
                await SurveyResponse.filter(id=response.id).update(entry_id=posted.entry.id)
                balance = posted.balance
    except IntegrityError:
        # Completed a moment ago by another request: the unique pair refused this one.
        raise LoyaltyError(ErrorCode.SURVEY_ANSWERED) from None
    if balance is None:
        balance = await ledger.balance_of(member_id)
    return Completed(survey, survey.points, balance)


# --- results ---------------------------------------------------------------------------


async def results(survey_id: int) -> Results:
    """Per question: answers per option (or per score), the average, the NPS, the texts;
    and the response rate over the members invited."""
    survey = await get_survey(survey_id)
    questions = await questions_of(survey_id)
    invited_count = (
        await OutboxMessage.filter(campaign_id=survey.campaign_id).count()  # type: ignore[attr-defined]
        if survey.campaign_id is not None  # type: ignore[attr-defined]
        else 0
    )
    responded = await SurveyResponse.filter(survey_id=survey_id).count()
    rows = (
        await SurveyAnswer.filter(response__survey_id=survey_id)
        .order_by("id")
        .values_list("question_id", "value", "text")
    )
    found: list[QuestionResult] = []
    for question in questions:
        result = QuestionResult(question)
        values = [v for q, v, _ in rows if q == question.id and v is not None]
        if question.kind == "text":
            result.texts = [text for q, _, text in rows if q == question.id and text]
            result.answered = len(result.texts)
        else:
            low, high = bounds(question)
            labels = question.options or [str(n) for n in range(low, high + 1)]
            result.counts = [(labels[n - low], values.count(n)) for n in range(low, high + 1)]
            result.answered = len(values)
            if question.kind != "choice" and values:
                result.average = sum(values) / len(values)
            if question.kind == "nps" and values:
                promoters = sum(v >= PROMOTER for v in values)
                detractors = sum(v <= DETRACTOR for v in values)
                result.nps = round(100 * (promoters - detractors) / len(values))
        found.append(result)
    return Results(survey, invited_count, responded, found)


async def reach(survey: Survey, now: datetime, tz: ZoneInfo) -> int:
    """The members a sent survey invites: counted until its campaign starts, then the
    invitations queued; 0 for a draft."""
    if survey.campaign_id is None:  # type: ignore[attr-defined]
        return 0
    campaign = await Campaign.get(id=survey.campaign_id)  # type: ignore[attr-defined]
    return await campaigns.reach(campaign, now, tz)
