"""The `club` command run in this process: its `main` with the settings of the environment.

A new interpreter per call costs seconds on a busy machine; the tests that must see the
real process (exit status and message of an uncaught SystemExit) start one themselves.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot import cli
from bot.settings import get_settings

Club = Callable[..., tuple[int, str, str]]


@pytest.fixture
def club(
    sqlite_template: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Iterator[Callable[[str], Club]]:
    """`club(locale)(*args)` runs `club *args` with DEFAULT_LOCALE=locale on a fresh club:
    the exit status, stdout and stderr."""
    shutil.copy(sqlite_template, tmp_path / "club.sqlite3")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite://{tmp_path}/club.sqlite3")
    monkeypatch.setenv("BOT_TOKEN", "")

    def in_language(locale: str) -> Club:
        def run(*args: str) -> tuple[int, str, str]:
            monkeypatch.setenv("DEFAULT_LOCALE", locale)
            get_settings.cache_clear()
            capsys.readouterr()
            try:
                code = cli.main(list(args))
            except SystemExit as stop:  # what the interpreter does with it at the top
                code = 1 if isinstance(stop.code, str) else int(stop.code or 0)
                if isinstance(stop.code, str):
                    print(stop.code, file=sys.stderr)
            out, err = capsys.readouterr()
            return code, out, err

        return run

    yield in_language
    get_settings.cache_clear()
