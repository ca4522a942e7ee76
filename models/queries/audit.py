"""The audit trail: a row for every staff action, and the rows about a member."""

from __future__ import annotations

from models.staff import AuditEntry
from models.statements import Insert, Statement, is_postgres

insert = Insert(AuditEntry)

# JSON is read differently by the two databases.
_about_sqlite = Statement(
    AuditEntry, "SELECT id FROM audit_entry WHERE json_extract(details, '$.member') = ?"
)
_about_postgres = Statement(AuditEntry, "SELECT id FROM audit_entry WHERE details->>'member' = ?")


async def ids_about_member(member_id: int) -> list[int]:
    """The audit rows whose details name the member."""
    if is_postgres(AuditEntry):
        rows = await _about_postgres.rows(str(member_id))
    else:
        rows = await _about_sqlite.rows(member_id)
    return [row["id"] for row in rows]
