"""A token that changes with every change of the club's set-up, kept by triggers.

The purchase path caches the rules, branches, product groups and tiers in the process
(`loyalty.rules.club_config`) and reads this token in a statement it runs anyway: a
different token means the set-up changed, in this process or another, by the ORM, the
command line or by hand. Triggers rather than application code, so that no way of
writing these tables can forget it. A random token rather than a counter, so that a copy
of a database (the tests' template, a restored backup) cannot pass for another.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

TABLES = ("club_rules", "branch", "product_group", "tier")

SQLITE = [
    "CREATE TABLE config_token (id INTEGER PRIMARY KEY, token TEXT NOT NULL)",
    "INSERT INTO config_token (id, token) VALUES (1, lower(hex(randomblob(16))))",
] + [
    f"CREATE TRIGGER config_token_{table}_{event.lower()} AFTER {event} ON {table} BEGIN"
    " INSERT OR REPLACE INTO config_token (id, token) VALUES (1, lower(hex(randomblob(16)))); END"
    for table in TABLES
    for event in ("INSERT", "UPDATE", "DELETE")
]

POSTGRES = [
    "CREATE TABLE config_token (id INT PRIMARY KEY, token TEXT NOT NULL)",
    "INSERT INTO config_token (id, token) VALUES (1, gen_random_uuid()::text)",
    """CREATE FUNCTION renew_config_token() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO config_token (id, token) VALUES (1, gen_random_uuid()::text)
        ON CONFLICT (id) DO UPDATE SET token = EXCLUDED.token;
        RETURN NULL;
    END $$""",
] + [
    f"CREATE TRIGGER config_token_{table} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}"
    " FOR EACH STATEMENT EXECUTE FUNCTION renew_config_token()"
    for table in TABLES
]


async def create_token(apps: object, schema_editor) -> None:  # type: ignore[no-untyped-def]
    client = schema_editor.client
    for statement in POSTGRES if client.capabilities.dialect == "postgres" else SQLITE:
        await client.execute_script(statement)


class Migration(migrations.Migration):
    dependencies = [("models", "0002_birthday_keys")]

    operations = [ops.RunPython(create_token)]
