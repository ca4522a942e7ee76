from decimal import Decimal

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops


def _fk(model: str, column: str) -> fields.ForeignKeyField:
    return fields.ForeignKeyField(
        model,
        source_field=column,
        null=True,
        db_constraint=True,
        to_field="id",
        related_name=False,
        on_delete=OnDelete.RESTRICT,
    )


# A festival changes what a purchase earns, so, like the rules, branches, groups and tiers,
# any change of its table renews the set-up's token (0003_config_token): every process's
# copy of the set-up (`loyalty.rules.club_config`) is read again.
SQLITE = [
    f"CREATE TRIGGER config_token_festival_{event.lower()} AFTER {event} ON festival BEGIN"
    " INSERT OR REPLACE INTO config_token (id, token) VALUES (1, lower(hex(randomblob(16)))); END"
    for event in ("INSERT", "UPDATE", "DELETE")
]
POSTGRES = [
    "CREATE TRIGGER config_token_festival AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON festival"
    " FOR EACH STATEMENT EXECUTE FUNCTION renew_config_token()"
]


async def renew_token_on_festivals(apps: object, schema_editor) -> None:  # type: ignore[no-untyped-def]
    client = schema_editor.client
    for statement in POSTGRES if client.capabilities.dialect == "postgres" else SQLITE:
        await client.execute_script(statement)


class Migration(migrations.Migration):
    """Festivals (time-bound earning multipliers) and a reward's value in money."""

    dependencies = [("models", "0013_gift_cards")]

    initial = False

    operations = [
        ops.CreateModel(
            name="Festival",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("name", fields.CharField(max_length=64)),
                (
                    "multiplier",
                    fields.DecimalField(max_digits=6, decimal_places=2, default=Decimal("1")),
                ),
                ("starts_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("ends_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("branch", _fk("models.Branch", "branch_id")),
                ("product_group", _fk("models.ProductGroup", "product_group_id")),
                ("tier", _fk("models.Tier", "tier_id")),
                ("ended_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("request_key", fields.CharField(null=True, unique=True, max_length=64)),
            ],
            options={
                "table": "festival",
                "app": "models",
                "pk_attr": "id",
                "table_description": "A time-bound earning multiplier, by branch, product group or tier.",
            },
            bases=["Model"],
        ),
        ops.RunPython(renew_token_on_festivals),
        ops.AddField(
            model_name="Reward",
            name="value_money",
            field=fields.BigIntField(null=True),
        ),
    ]
