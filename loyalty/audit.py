"""Who did what, when: every staff action leaves a row."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from loyalty.clock import utcnow
from models import AuditEntry
from models.queries import audit as audit_sql


async def record(
    action: str,
    *,
    staff_id: int | None = None,
    actor: str = "",
    now: datetime | None = None,
    **details: Any,
) -> AuditEntry:
    return await audit_sql.insert(
        staff_id=staff_id, actor=actor, action=action, details=details, created_at=now or utcnow()
    )
