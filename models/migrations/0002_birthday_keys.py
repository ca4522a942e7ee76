from collections import defaultdict

from tortoise import fields, migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from models.members import birthday_keys

CHUNK = 500  # ids per UPDATE, well under SQLite's limit of bound values


async def fill_birthday_keys(apps, schema_editor) -> None:
    """Birthday keys for the members who gave a birth date before the keys existed."""
    member = apps.get_model("models", "Member")
    rows = await member.filter(birth_date__not_isnull=True).values_list("id", "birth_date")
    ids_by_keys: dict[tuple[int | None, int | None], list[int]] = defaultdict(list)
    for member_id, born in rows:
        ids_by_keys[birthday_keys(born)].append(member_id)
    for (jalali, gregorian), ids in ids_by_keys.items():
        for start in range(0, len(ids), CHUNK):
            await member.filter(id__in=ids[start : start + CHUNK]).update(
                birthday_jalali=jalali, birthday_gregorian=gregorian
            )


class Migration(migrations.Migration):
    dependencies = [("models", "0001_initial")]

    initial = False

    operations = [
        ops.AddField(
            model_name="Member",
            name="birthday_gregorian",
            field=fields.SmallIntField(null=True),
        ),
        ops.AddField(
            model_name="Member",
            name="birthday_jalali",
            field=fields.SmallIntField(null=True),
        ),
        ops.AddIndex(
            model_name="Member",
            index=Index(fields=["tier_id", "last_purchase_at"]),
        ),
        ops.AddIndex(
            model_name="Member",
            index=Index(fields=["birthday_jalali"]),
        ),
        ops.AddIndex(
            model_name="Member",
            index=Index(fields=["birthday_gregorian"]),
        ),
        ops.RunPython(fill_birthday_keys, ops.RunPython.noop),
    ]
