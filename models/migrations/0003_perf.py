from tortoise import migrations
from tortoise.migrations import operations as ops

# 0001 once named the column "member" in two composite indexes: SQLite took the quoted
# name for a string constant and indexed nothing useful, PostgreSQL refused it. 0001 now
# names member_id; this drops the useless SQLite indexes of databases built before and
# builds the right ones where they are missing (same names as 0001 gives them).
SQL = [
    'DROP INDEX IF EXISTS "idx_ledger_entr_member_ba86e2"',
    'DROP INDEX IF EXISTS "idx_purchase_member_4b9099"',
    'CREATE INDEX IF NOT EXISTS "idx_ledger_entr_member__d232e0" ON "ledger_entry" ("member_id", "created_at")',
    'CREATE INDEX IF NOT EXISTS "idx_purchase_member__4a2573" ON "purchase" ("member_id", "created_at")',
]


class Migration(migrations.Migration):
    dependencies = [('models', '0002_member'), ('models', '0002_staff')]

    initial = False

    operations = [ops.RunSQL(SQL)]
