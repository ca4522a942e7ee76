from tortoise import migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

# The panel finds members by any part of a name: `first_name ILIKE '%x%'`, which Tortoise
# writes as UPPER(CAST(first_name AS VARCHAR)) LIKE UPPER(?). No b-tree serves a match in
# the middle of a word; among 1,000,000 members every search read the whole table (1.3 s).
# On PostgreSQL, trigram indexes (pg_trgm, shipped with PostgreSQL and a trusted extension:
# the database's owner may create it) on exactly that expression answer it from the index.
# SQLite has no such index: a SQLite club searches by scanning, as before.
# tests/test_member_search.py holds the ORM's statement to the indexes' expression.
INDEXES = {
    "member_first_name_search": "first_name",
    "member_last_name_search": "last_name",
}


async def add_name_search(apps: object, schema_editor) -> None:  # type: ignore[no-untyped-def]
    client = schema_editor.client
    if client.capabilities.dialect != "postgres":
        return
    await client.execute_script("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in INDEXES.items():
        await client.execute_script(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "member"'
            f' USING gin (UPPER(CAST("{column}" AS VARCHAR)) gin_trgm_ops)'
        )
    # The expressions' statistics, now: without them the planner guessed a common name rare
    # and sorted all its 20,000 holders (0.2 s) rather than walk the newest members (16 ms).
    # Autovacuum analyses a table only after many changes, not after a new index.
    await client.execute_script("ANALYZE member")


async def drop_name_search(apps: object, schema_editor) -> None:  # type: ignore[no-untyped-def]
    client = schema_editor.client
    if client.capabilities.dialect != "postgres":
        return
    for name in INDEXES:
        await client.execute_script(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    """Trigram indexes for the panel's search by a part of a name (PostgreSQL only), and the
    cards indexed by member."""

    dependencies = [("models", "0028_look")]

    initial = False

    operations = [
        ops.RunPython(add_name_search, drop_name_search),
        ops.AddIndex(model_name="Card", index=Index(fields=["member_id"])),
    ]
