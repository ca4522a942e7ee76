from tortoise import migrations
from tortoise.migrations import operations as ops

# A discount rule changes what a purchase costs, so, like the festivals (0014), any change
# of its table renews the set-up's token (0003_config_token): every process's copy of the
# set-up (`loyalty.rules.club_config`) holds the active rules and reads them again.
SQLITE = [
    f"CREATE TRIGGER config_token_discount_rule_{event.lower()} AFTER {event} ON discount_rule"
    " BEGIN INSERT OR REPLACE INTO config_token (id, token)"
    " VALUES (1, lower(hex(randomblob(16)))); END"
    for event in ("INSERT", "UPDATE", "DELETE")
]
POSTGRES = [
    "CREATE TRIGGER config_token_discount_rule"
    " AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON discount_rule"
    " FOR EACH STATEMENT EXECUTE FUNCTION renew_config_token()"
]


async def renew_token_on_discount_rules(apps: object, schema_editor) -> None:  # type: ignore[no-untyped-def]
    client = schema_editor.client
    for statement in POSTGRES if client.capabilities.dialect == "postgres" else SQLITE:
        await client.execute_script(statement)


class Migration(migrations.Migration):
    """Discount rules join the set-up every process keeps a copy of."""

    dependencies = [("models", "0016_charity")]

    initial = False

    operations = [ops.RunPython(renew_token_on_discount_rules)]
