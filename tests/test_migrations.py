"""The migrations describe the models exactly: a model change without a migration fails here."""

import sqlite3
from pathlib import Path

import asyncpg
import pytest
from tortoise import Tortoise
from tortoise.context import TortoiseContext
from tortoise.exceptions import IntegrityError
from tortoise.migrations.api import migrate
from tortoise.migrations.autodetector import MigrationAutodetector

from bot.db import apply_migrations, tortoise_config
from models import InboundSms, Member
from tests.conftest import NOW, POSTGRES_URL, _backends, _forget_compiled_queries


async def test_models_and_migrations_agree(tmp_path) -> None:
    config = tortoise_config(f"sqlite://{tmp_path}/check.sqlite3")
    async with TortoiseContext() as ctx:
        await ctx.init(config=config)
        detector = MigrationAutodetector(ctx.apps, config["apps"])
        pending = await detector.changes()
    assert [writer.operations for writer in pending] == []


def _sqlite_indexes(path: Path) -> dict[str, set[tuple[bool, tuple[str, ...]]]]:
    """Each table's indexes as (unique, columns), whatever their names."""
    with sqlite3.connect(path) as db:
        tables = [
            row[0]
            for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if not row[0].startswith(("sqlite_", "tortoise_"))
        ]
        found = {}
        for table in tables:
            found[table] = {
                (
                    bool(unique),
                    tuple(c[2] for c in db.execute(f'PRAGMA index_info("{name}")')),
                )
                for _, name, unique, origin, _ in db.execute(f'PRAGMA index_list("{table}")')
                if origin != "pk"
            }
    db.close()
    return found


async def test_the_migrated_tables_have_every_index_the_models_declare(tmp_path: Path) -> None:
    """SQLite alters a column by building its table anew: the migrations must leave the
    indexes the models declare (0022 put back those the ledger and the outbox had lost)."""
    await apply_migrations(f"sqlite://{tmp_path}/migrated.sqlite3")
    await Tortoise.close_connections()
    await Tortoise.init(config=tortoise_config(f"sqlite://{tmp_path}/declared.sqlite3"))
    await Tortoise.generate_schemas()
    await Tortoise.close_connections()
    migrated = _sqlite_indexes(tmp_path / "migrated.sqlite3")
    declared = _sqlite_indexes(tmp_path / "declared.sqlite3")
    # config_token is the migrations' own (0003), kept by triggers, with no model.
    assert set(migrated) - {"config_token"} == set(declared)
    assert {t: declared[t] - migrated[t] for t in declared if declared[t] - migrated[t]} == {}
    assert ("ledger_entry" in declared) and (False, ("member_id", "created_at")) in migrated[
        "ledger_entry"
    ]


async def test_birthday_keys_filled_for_members_saved_before_they_existed(tmp_path) -> None:
    url = f"sqlite://{tmp_path}/old.sqlite3"
    config = tortoise_config(url)
    await migrate(config=config, target="models.0001_initial")
    await Tortoise.close_connections()
    await Tortoise.init(config=config)
    connection = Tortoise.get_connection("default")
    for n, born in enumerate(["2021-03-20", "2000-02-29", None]):
        await connection.execute_query(
            "INSERT INTO member (phone, first_name, last_name, gender, birth_date, "
            "customer_type, company_name,"
            " locale, preferred_channel, consent_telegram, consent_sms, reachable_telegram, "
            "reachable_sms,"
            " balance, referral_code, joined_at) VALUES (?, '', '', 'unspecified', ?, "
            "'individual', '', 'fa',"
            " 'telegram', 1, 1, 1, 1, 0, ?, '2026-01-01 00:00:00+00:00')",
            [f"+98912000000{n}", born, f"R{n}"],
        )
    await Tortoise.close_connections()
    await apply_migrations(url)
    await Tortoise.init(config=config)
    keys = await Member.all().order_by("id").values_list("birthday_jalali", "birthday_gregorian")
    await Tortoise.close_connections()
    assert keys == [(1230, 320), (1210, 229), (None, None)]  # 1399-12-30, 1378-12-10


async def test_member_audience_columns_are_indexed(db: str) -> None:
    connection = Tortoise.get_connection("default")
    indexes = await connection.execute_query_dict("PRAGMA index_list('member')")
    columns = set()
    for index in indexes:
        rows = await connection.execute_query_dict(f"PRAGMA index_info('{index['name']}')")
        columns.add(tuple(row["name"] for row in rows))
    assert {
        ("birthday_jalali",),
        ("birthday_gregorian",),
        ("tier_id", "last_purchase_at"),
    } <= columns


@pytest.mark.parametrize("backend", _backends())
async def test_kavenegar_ids_stored_before_become_text_and_still_deduplicate(
    backend: str, tmp_path
) -> None:
    url = f"sqlite://{tmp_path}/old.sqlite3" if backend == "sqlite" else POSTGRES_URL
    if backend == "postgres":
        connection = await asyncpg.connect(POSTGRES_URL)
        try:
            await connection.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
        finally:
            await connection.close()
    config = tortoise_config(url)
    await migrate(config=config, target="models.0004_staff_day_index")
    await Tortoise.close_connections()
    await Tortoise.init(config=config)
    await Tortoise.get_connection("default").execute_query(
        "INSERT INTO inbound_sms (messageid, sender, receptor, text, outcome, received_at)"
        " VALUES (501, '+989121234567', '', 'JOIN', 'answered', '2026-01-01 00:00:00+00:00')"
    )
    await Tortoise.close_connections()
    await apply_migrations(url)
    _forget_compiled_queries()
    await Tortoise.init(config=config)
    try:
        assert await InboundSms.all().values_list("messageid", flat=True) == ["501"]
        with pytest.raises(IntegrityError):
            await InboundSms.create(
                messageid="501", sender="+989121234567", text="JOIN", received_at=NOW
            )
    finally:
        await Tortoise.close_connections()


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
async def test_a_club_from_before_the_maximum_purchase_gets_it(tmp_path, backend: str) -> None:
    from models import ClubRules
    from tests import conftest

    if backend == "postgres":
        if not conftest.POSTGRES_URL:
            pytest.skip("TEST_POSTGRES_URL is not set: no PostgreSQL to test on")
        conftest._postgres_fresh = False
        await conftest._fresh_postgres_schema()
    url = conftest.POSTGRES_URL if backend == "postgres" else f"sqlite://{tmp_path}/old.sqlite3"
    config = tortoise_config(url)
    await migrate(config=config, target="models.0004_staff_day_index")
    await Tortoise.close_connections()
    await Tortoise.init(config=config)
    await Tortoise.get_connection("default").execute_query(
        "INSERT INTO club_rules (id, name, points_name, currency_unit, earn_rate, min_purchase,"
        " signup_bonus, birthday_bonus, referral_bonus_referrer, referral_bonus_referred,"
        " feedback_bonus, expiry_days, voucher_valid_days, tier_window_days, cashier_daily_cap,"
        " updated_at) VALUES (1, 'Cafe', '', 10000, 1, 0, 20, 0, 50, 20, 5, 365, 30, 365, 1000,"
        " '2026-01-01 00:00:00+00:00')"
    )
    await Tortoise.close_connections()
    await apply_migrations(url)
    conftest._forget_compiled_queries()
    await Tortoise.init(config=config)
    rules = await ClubRules.get(id=1)
    await Tortoise.close_connections()
    assert (rules.name, rules.max_purchase) == ("Cafe", 1_000_000_000)
    # And its look (0028): the pages' colour, no pictures, no contact details yet.
    assert (rules.colour, rules.logo, rules.cover, rules.phone, rules.about) == (
        "#0f766e",
        None,
        None,
        "",
        "",
    )
