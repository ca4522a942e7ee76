"""The composition root: settings, database, dispatcher, web app, scheduler, the CLI."""
