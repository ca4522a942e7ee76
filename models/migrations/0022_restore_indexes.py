from tortoise import migrations
from tortoise.migrations import operations as ops

# On SQLite, Tortoise alters a column by building the table anew, and the new table had
# none of the old one's indexes: the ledger's (by member, staff, time and expiry), the
# outbox's and the inbound SMS's were gone, and every member's history, points and tier
# read the whole ledger. PostgreSQL alters in place and kept them: there, these are no-ops.
# tests/test_migrations.py now holds the migrated indexes equal to the models'.
INDEXES = [
    'CREATE INDEX IF NOT EXISTS "idx_ledger_entr_member__d232e0"'
    ' ON "ledger_entry" ("member_id", "created_at")',
    'CREATE INDEX IF NOT EXISTS "idx_ledger_entr_staff_i_f10572"'
    ' ON "ledger_entry" ("staff_id", "created_at")',
    'CREATE INDEX IF NOT EXISTS "idx_ledger_entr_created_b7ce0f" ON "ledger_entry" ("created_at")',
    'CREATE INDEX IF NOT EXISTS "idx_ledger_entr_expires_b8998e" ON "ledger_entry" ("expires_at")',
    'CREATE INDEX IF NOT EXISTS "idx_outbox_mess_campaig_60100f" ON "outbox_message" ("campaign_id")',
    'CREATE INDEX IF NOT EXISTS "idx_outbox_mess_next_at_9c52b3"'
    ' ON "outbox_message" ("next_attempt_at")',
    'CREATE INDEX IF NOT EXISTS "idx_inbound_sms_outcome_b9a4ec" ON "inbound_sms" ("outcome")',
    'CREATE INDEX IF NOT EXISTS "idx_inbound_sms_receive_5129db" ON "inbound_sms" ("received_at")',
    'CREATE INDEX IF NOT EXISTS "idx_inbound_sms_sender_41a0ad" ON "inbound_sms" ("sender")',
]


async def restore_indexes(apps: object, schema_editor) -> None:  # type: ignore[no-untyped-def]
    client = schema_editor.client
    for statement in INDEXES:
        await client.execute_script(statement)


class Migration(migrations.Migration):
    """The indexes SQLite lost when earlier migrations altered their tables' columns."""

    dependencies = [("models", "0021_surveys")]

    initial = False

    operations = [ops.RunPython(restore_indexes)]
