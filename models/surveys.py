"""Surveys: the owner's questions, sent to an audience, answered for points (`loyalty.surveys`)."""

from tortoise import fields
from tortoise.models import Model


class Survey(Model):
    """A survey: its questions, the audience it goes to (a campaign's filters), until when it
    takes answers, and the points a member earns for completing it (once)."""

    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=100)
    points = fields.IntField()
    deadline = fields.DatetimeField()
    audience = fields.JSONField(default=dict)
    # draft (questions may be added), sent (taking answers until the deadline), closed.
    status = fields.CharField(max_length=8, default="draft")
    campaign = fields.ForeignKeyField(
        "models.Campaign", related_name=False, null=True, on_delete=fields.RESTRICT
    )
    created_at = fields.DatetimeField()
    closed_at = fields.DatetimeField(null=True)
    # The request that added it (a chat message): one delivered twice adds one survey.
    request_key = fields.CharField(max_length=64, null=True, unique=True)

    class Meta:
        table = "survey"
        table_description = "A survey members answer for points."


class SurveyQuestion(Model):
    """One question: single choice (its `options`), rating 1-5, 0-10 recommend, or text."""

    id = fields.IntField(primary_key=True)
    survey = fields.ForeignKeyField("models.Survey", related_name=False, on_delete=fields.CASCADE)
    position = fields.IntField()
    kind = fields.CharField(max_length=8)
    text = fields.CharField(max_length=200)
    options = fields.JSONField(default=list)
    optional = fields.BooleanField(default=False)

    class Meta:
        table = "survey_question"
        table_description = "A question of a survey."
        unique_together = (("survey", "position"),)


class SurveyResponse(Model):
    """A member's completed survey: one a member and survey (the unique pair refuses a second,
    even sent at once), with the ledger row of the points paid for it (none for 0 points)."""

    id = fields.IntField(primary_key=True)
    survey = fields.ForeignKeyField("models.Survey", related_name=False, on_delete=fields.CASCADE)
    member = fields.ForeignKeyField("models.Member", related_name=False, on_delete=fields.RESTRICT)
    entry = fields.ForeignKeyField(
        "models.LedgerEntry", related_name=False, null=True, unique=True, on_delete=fields.RESTRICT
    )
    channel = fields.CharField(max_length=8)
    created_at = fields.DatetimeField()

    class Meta:
        table = "survey_response"
        table_description = "A member's completed survey and the points paid for it."
        unique_together = (("survey", "member"),)


class SurveyAnswer(Model):
    """One answer of a response: a number (the option, the rating, the score) or a text."""

    id = fields.IntField(primary_key=True)
    response = fields.ForeignKeyField(
        "models.SurveyResponse", related_name=False, on_delete=fields.CASCADE
    )
    question = fields.ForeignKeyField(
        "models.SurveyQuestion", related_name=False, on_delete=fields.CASCADE
    )
    value = fields.IntField(null=True)
    text = fields.CharField(max_length=500, default="")

    class Meta:
        table = "survey_answer"
        table_description = "One answer in a completed survey."
