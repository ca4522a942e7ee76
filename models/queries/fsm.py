"""The dialogs' state (`bot/fsm_storage.py`): every update reads and writes these rows, and
the ORM's query building cost more than the statements."""

from __future__ import annotations

from models.fsm import FsmRecord
from models.statements import Statement

read = Statement(FsmRecord, 'SELECT state, data FROM fsm_record WHERE "key" = ?')
# One statement per set of known fields: a field not known is left as the row has it.
write_both = Statement(
    FsmRecord,
    """
    INSERT INTO fsm_record ("key", state, data) VALUES (?, ?, ?)
    ON CONFLICT ("key") DO UPDATE SET state = excluded.state, data = excluded.data""",
)
write_data = Statement(
    FsmRecord,
    """
    INSERT INTO fsm_record ("key", state, data) VALUES (?, NULL, ?)
    ON CONFLICT ("key") DO UPDATE SET data = excluded.data""",
)
write_state = Statement(
    FsmRecord,
    """
    INSERT INTO fsm_record ("key", state, data) VALUES (?, ?, '{}')
    ON CONFLICT ("key") DO UPDATE SET state = excluded.state""",
)
delete_if_empty = Statement(
    FsmRecord,
    """
    DELETE FROM fsm_record WHERE "key" = ? AND state IS NULL AND data = '{}'""",
)
