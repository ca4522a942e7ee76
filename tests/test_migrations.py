"""The migrations describe the models exactly: a model change without a migration fails here."""

from tortoise.context import TortoiseContext
from tortoise.migrations.autodetector import MigrationAutodetector

from bot.db import tortoise_config


async def test_models_and_migrations_agree(tmp_path) -> None:
    config = tortoise_config(f"sqlite://{tmp_path}/check.sqlite3")
    async with TortoiseContext() as ctx:
        await ctx.init(config=config)
        detector = MigrationAutodetector(ctx.apps, config["apps"])
        pending = await detector.changes()
    assert [writer.operations for writer in pending] == []
