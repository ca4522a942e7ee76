"""The owner imports members by sending a CSV file with the caption /import."""

from __future__ import annotations

from datetime import datetime

from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.types import Message

from handlers.format import number
from handlers.i18n import N_, t
from handlers.telegram.staff.common import say
from handlers.telegram.staff.texts import row_error_text
from handlers.telegram.workflow import Settings
from handlers.texts import tier_names
from loyalty import importing
from loyalty.staff.permissions import Action
from models import Staff, Tier

MAX_FILE = 5 * 1024 * 1024
MAX_ERROR_LINES = 30


def summary_text(
    summary: importing.ImportSummary, errors: list[importing.RowError], locale: str
) -> str:
    lines = [
        t(
            N_(
                "Imported {created} new members; {skipped} were already in the club; "
                "{errors} rows with errors."
            ),
            locale,
            created=number(summary.created, locale),
            skipped=number(summary.skipped, locale),
            errors=number(len({e.line for e in errors}), locale),
        )
    ]
    lines += [row_error_text(error, locale) for error in errors[:MAX_ERROR_LINES]]
    return "\n".join(lines)


async def on_import(
    message: Message, bot: Bot, staff: Staff, locale: str, settings: Settings, now: datetime
) -> None:
    document = message.document
    if document is None or not (document.file_name or "").lower().endswith(".csv"):
        await say(message, t(N_("Send the CSV file with the caption /import."), locale))
        return
    if (document.file_size or 0) > MAX_FILE:
        await say(message, t(N_("The file is too large."), locale))
        return
    data = await bot.download(document.file_id)
    assert data is not None
    text = importing.decode_csv(data.read())
    tiers = await Tier.all().values_list("code", "name")
    records, errors = importing.parse_csv(
        text,
        [code for code, _ in tiers],
        today=now.astimezone(settings.tz).date(),
        tier_names=tier_names(tiers),
    )
    summary = await importing.import_records(records, staff_id=staff.id, now=now)
    await say(message, summary_text(summary, errors, locale)[:4000])


def router() -> Router:
    commands = Router(name="staff.importing")
    commands.message.register(on_import, Command("import"), flags={"action": Action.IMPORT})
    return commands
