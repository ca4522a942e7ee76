"""The composition root: settings, database, dispatcher, web app, scheduler, the CLI."""

from bot.lazy_models import install

# Before any module of the bot imports aiogram: its models are then built on first use.
install()
