from orjson import loads
from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    """Surveys: the owner's surveys and their questions, and members' completed responses
    (one a member and survey, with the ledger row of the points paid) and their answers."""

    dependencies = [("models", "0020_agents")]

    initial = False

    operations = [
        ops.CreateModel(
            name="Survey",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("title", fields.CharField(max_length=100)),
                ("points", fields.IntField()),
                ("deadline", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("audience", fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                ("status", fields.CharField(default="draft", max_length=8)),
                (
                    "campaign",
                    fields.ForeignKeyField(
                        "models.Campaign",
                        source_field="campaign_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("closed_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("request_key", fields.CharField(null=True, unique=True, max_length=64)),
            ],
            options={
                "table": "survey",
                "app": "models",
                "pk_attr": "id",
                "table_description": "A survey members answer for points.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="SurveyQuestion",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "survey",
                    fields.ForeignKeyField(
                        "models.Survey",
                        source_field="survey_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("position", fields.IntField()),
                ("kind", fields.CharField(max_length=8)),
                ("text", fields.CharField(max_length=200)),
                ("options", fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ("optional", fields.BooleanField(default=False)),
            ],
            options={
                "table": "survey_question",
                "app": "models",
                "unique_together": (("survey", "position"),),
                "pk_attr": "id",
                "table_description": "A question of a survey.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="SurveyResponse",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "survey",
                    fields.ForeignKeyField(
                        "models.Survey",
                        source_field="survey_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "member",
                    fields.ForeignKeyField(
                        "models.Member",
                        source_field="member_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "entry",
                    fields.ForeignKeyField(
                        "models.LedgerEntry",
                        source_field="entry_id",
                        null=True,
                        unique=True,
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("channel", fields.CharField(max_length=8)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "survey_response",
                "app": "models",
                "unique_together": (("survey", "member"),),
                "pk_attr": "id",
                "table_description": "A member's completed survey and the points paid for it.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="SurveyAnswer",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "response",
                    fields.ForeignKeyField(
                        "models.SurveyResponse",
                        source_field="response_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "question",
                    fields.ForeignKeyField(
                        "models.SurveyQuestion",
                        source_field="question_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("value", fields.IntField(null=True)),
                ("text", fields.CharField(default="", max_length=500)),
            ],
            options={
                "table": "survey_answer",
                "app": "models",
                "pk_attr": "id",
                "table_description": "One answer in a completed survey.",
            },
            bases=["Model"],
        ),
    ]
