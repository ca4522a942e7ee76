"""Members' imports from the owner's panel and their progress (`loyalty.staff.imports`)."""

from tortoise import fields
from tortoise.models import Model


class ImportJob(Model):
    """One uploaded file being imported in the background: its counts as the rows are
    committed, and its bad rows; kept after it ends, so its result outlives a restart."""

    id = fields.IntField(primary_key=True)
    staff = fields.ForeignKeyField("models.Staff", related_name=False, on_delete=fields.RESTRICT)
    state = fields.CharField(max_length=12)  # running, done, failed
    total = fields.IntField(default=0)  # valid rows to write
    created = fields.IntField(default=0)
    skipped = fields.IntField(default=0)  # phones already in the club
    # The rows refused before writing: line, column, code, value, values (for the sentence).
    errors = fields.JSONField(default=list)
    created_at = fields.DatetimeField()
    # When the running import last wrote a chunk: one silent for long was stopped (a restart).
    beat_at = fields.DatetimeField()
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "import_job"
        table_description = "A members' import from the owner's panel and its progress."
