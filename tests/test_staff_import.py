"""Importing members from CSV: good, bad and repeated rows; the CLI and the Telegram upload."""

from __future__ import annotations

from datetime import date

import pytest

from loyalty import importing, members
from loyalty.errors import ErrorCode
from models import Channel, Gender, LedgerEntry, Member, Staff, StaffRole
from tests.conftest import NOW
from tests.staff_harness import CASHIER, OWNER, harness

pytestmark = pytest.mark.asyncio

CSV = (
    "phone,first_name,last_name,birthday,gender,balance,tier\n"
    "09121111111,Sara,Karimi,1369/01/01,female,150,silver\n"  # line 2: good, Jalali
    "۰۹۱۲۲۲۲۲۲۲۲,Reza,,1985-07-09,m,0,\n"  # line 3: good, Gregorian
    "12345,Bad,Phone,,,,\n"  # line 4: bad phone
    "09123333333,Ali,,1370/13/01,x,-5,platinum\n"  # line 5: four errors
    "09121111111,Sara,Again,,,,\n"  # line 6: repeated phone
)


async def test_parse_reports_line_numbers_and_reasons(db: str) -> None:
    records, errors = importing.parse_csv(CSV, ["bronze", "silver", "gold"], today=NOW.date())
    assert [(r.line, r.phone, r.birth_date, r.gender, r.balance, r.tier_code) for r in records] == [
        (2, "+989121111111", date(1990, 3, 21), Gender.FEMALE, 150, "silver"),
        (3, "+989122222222", date(1985, 7, 9), Gender.MALE, 0, None),
    ]
    assert [(e.line, e.column, e.code) for e in errors] == [
        (4, "phone", ErrorCode.INVALID_PHONE),
        (5, "birthday", ErrorCode.INVALID_DATE),
        (5, "gender", ErrorCode.INVALID_VALUE),
        (5, "balance", ErrorCode.INVALID_AMOUNT),
        (5, "tier", ErrorCode.INVALID_VALUE),
        (6, "phone", ErrorCode.DUPLICATE_PHONE),
    ]


async def test_a_balance_that_is_no_number_is_a_row_error(db: str) -> None:
    rows = "phone,balance\n09121111111,²\n09122222222,1" + "0" * 5000 + "\n09123333333,۰۰۰۱۲\n"
    records, errors = importing.parse_csv(rows, ["bronze"], today=NOW.date())
    assert [(e.line, e.column, e.code) for e in errors] == [
        (2, "balance", ErrorCode.INVALID_AMOUNT),
        (3, "balance", ErrorCode.INVALID_AMOUNT),
    ]
    assert [(r.line, r.balance) for r in records] == [(4, 12)]


async def test_import_twice_changes_nothing(any_db: str) -> None:
    records, _ = importing.parse_csv(CSV, ["bronze", "silver", "gold"], today=NOW.date())
    first = await importing.import_records(records, now=NOW)
    second = await importing.import_records(records, now=NOW)
    assert (first.created, first.skipped, second.created, second.skipped) == (2, 0, 0, 2)
    sara = await Member.get(phone="+989121111111").prefetch_related("tier", "cards")
    assert (sara.first_name, sara.last_name, sara.balance, sara.tier.code, len(sara.cards)) == (
        "Sara",
        "Karimi",
        150,
        "silver",
        1,
    )
    assert await Member.all().count() == 2
    assert await LedgerEntry.filter(idempotency_key="import:+989121111111").count() == 1
    assert await LedgerEntry.all().count() == 1  # no signup bonus for members moved in
    assert not await Member.exists(phone="+989123333333")


async def test_cli_import(db: str, tmp_path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from bot import cli
    from bot.settings import Settings

    path = tmp_path / "members.csv"
    path.write_text(CSV, encoding="utf-8")
    settings = Settings(default_locale="en", database_url=db, _env_file=None)
    args = cli.build_parser().parse_args(["import", str(path)])
    out = await cli._commands["import"](args, settings)
    assert out.split("\n") == [
        "Imported 2 new members; 0 were already in the club; 3 rows with errors.",
        "Line 4, column phone: That is not a valid mobile number.",
        "Line 5, column birthday: That date does not exist or is not a valid birthday.",
        "Line 5, column gender: This value is not understood.",
        "Line 5, column balance: The amount must be a positive whole number.",
        "Line 5, column tier: This value is not understood.",
        "Line 6, column phone: This phone number is on an earlier line too.",
    ]
    assert "[##############################] 2/2" in capsys.readouterr().err
    again = await cli._commands["import"](args, settings)
    assert (
        again.split("\n")[0]
        == "Imported 0 new members; 2 were already in the club; 3 rows with errors."
    )


async def test_owner_uploads_a_csv_and_cashier_may_not(db: str) -> None:
    from aiogram.types import Update

    from tests.fakes.bot_api import _document

    await Staff.create(telegram_id=CASHIER, role=StaffRole.CASHIER, created_at=NOW)
    async with harness() as h:
        for user in (CASHIER, OWNER):
            h.api.add_user(user, language_code="en")
            stored = h.api._store_file(CSV.encode(), "documents", "members.csv", "text/csv")
            update = h.api._push_user_message(
                user,
                {
                    "document": _document(stored),
                    "caption": "/import",
                    "caption_entities": [{"type": "bot_command", "offset": 0, "length": 7}],
                },
                None,
                "en",
            )
            await h.dp.feed_update(h.bot, Update.model_validate(update, context={"bot": h.bot}))
        assert h.api.last_message(CASHIER)["text"] == "Not allowed."
        assert h.api.last_message(OWNER)["text"].split("\n")[0] == (
            "Imported 2 new members; 0 were already in the club; 3 rows with errors."
        )
        assert h.api.rejected == []
    assert await Member.all().count() == 2


async def test_a_member_who_joins_while_the_import_runs_is_skipped(  # type: ignore[no-untyped-def]
    any_db: str, monkeypatch
) -> None:
    # Sara texts the club's number after the import looked her phone up, before it wrote her.
    records, _ = importing.parse_csv(CSV, ["bronze", "silver", "gold"], today=NOW.date())

    look_up = importing._members_among

    async def she_joins_meanwhile(phones: list[str]) -> set[str]:
        present = await look_up(phones)
        await members.register_member("09121111111", channel=Channel.SMS, now=NOW)
        return present

    monkeypatch.setattr(importing, "_members_among", she_joins_meanwhile)
    summary = await importing.import_records(records, now=NOW)
    assert (summary.created, summary.skipped) == (1, 1)
    sara = await Member.get(phone="+989121111111")
    assert (sara.first_name, sara.balance) == (
        "",
        20,
    )  # as she joined: the sign-up bonus, no import
    assert not await LedgerEntry.exists(idempotency_key="import:+989121111111")
    assert await Member.exists(phone="+989122222222")
