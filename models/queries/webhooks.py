"""When ids read from the club's tables are final: no transaction still holds a smaller one.

PostgreSQL hands out ids before commit, so a transaction may commit a smaller id after a
larger one was read. Every id it took was taken after it began: once no transaction that
began before a moment is still open, every id read before that moment is final.
SQLite has one writer at a time, which commits its ids before the next takes any.

PostgreSQL shows the start of another role's transactions only to a privileged role: the
club's processes must all use the club's one database role (as `DATABASE_URL` does).
"""

from __future__ import annotations

from datetime import datetime

from models.api import WebhookCursor
from models.statements import Statement, is_postgres

# The database's own clock on both sides, so no clock of this machine enters the rule.
# Only the club's database and client sessions: autovacuum's transactions take no ids.
_horizon = Statement(
    WebhookCursor,
    "SELECT clock_timestamp() AS now, (SELECT min(xact_start) FROM pg_stat_activity"
    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
    " AND backend_type = 'client backend' AND xact_start IS NOT NULL) AS oldest",
)


async def open_transactions() -> tuple[datetime, datetime | None] | None:
    """On PostgreSQL the database's time now and the start of the oldest other open
    transaction (None: none is open); None on SQLite, where every id read is final."""
    if not is_postgres(WebhookCursor):
        return None
    row = (await _horizon.rows())[0]
    return row["now"], row["oldest"]
