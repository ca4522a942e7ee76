"""The library patches (bot/patches.py): each in effect exactly when PATCHES says so, and
skipped with one warning when its library is outside the versions it was made for."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot import patches
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[1]

# What each patch changes, looked at from outside, in a fresh process (a patch cannot be
# taken back, and `lazy_models` needs aiogram not yet imported).
EFFECTS = textwrap.dedent("""
    import gc, json, sys, weakref
    from typing import Literal

    from bot import patches
    from bot.settings import Settings

    settings = Settings(_env_file=None, patches=sys.argv[1])
    applied = sorted(patches.apply(settings))
    import aiogram.types
    from aiogram.methods.base import Response
    from aiogram_dialog.api.entities import stack

    from bot.app import build_bot
    from bot.sqlite_engine import ClubConnection

    def response_kept():
        # pydantic keeps the last hundred or so generic models itself: a few hundred more.
        response = weakref.ref(Response[Literal["probe"]])
        for n in range(300):
            Response[Literal[n]]
        gc.collect()
        return response() is not None

    patches.freeze_garbage()
    print(json.dumps({
        "applied": applied,
        "lazy_models": not aiogram.types.Message.__pydantic_complete__,
        "responses": response_kept(),
        "dialog_ids": stack.new_int_id.__module__ == "bot.patches",
        "sqlite_inline": ClubConnection.inline,
        "gc_freeze": gc.get_threshold() == patches.GC_THRESHOLDS and gc.get_freeze_count() > 0,
        "json_session": type(build_bot(settings).session).__name__ == "JsonSession",
    }))
""")


def effects(setting: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", EFFECTS, setting],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize(
    ("setting", "on"),
    [
        ("all", set(patches.NAMES)),
        ("none", set()),
        ("dialog_ids, json_session", {"dialog_ids", "json_session"}),
        ("lazy_models,sqlite_inline,gc_freeze", {"lazy_models", "sqlite_inline", "gc_freeze"}),
    ],
)
def test_each_patch_is_in_effect_exactly_when_patches_names_it(setting: str, on: set[str]) -> None:
    seen = effects(setting)
    assert seen.pop("applied") == sorted(on)
    assert seen == {name: name in on for name in patches.NAMES}


def test_an_unknown_patch_name_is_refused_at_start_up() -> None:
    with pytest.raises(ValidationError, match="unknown patch speed"):
        Settings(_env_file=None, patches="dialog_ids,speed")


def test_a_patch_outside_its_library_versions_is_skipped_with_one_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(patches, "_applied", set())
    installed: list[str] = []

    def patch(name: str, made_for: dict[str, tuple[patches.Version, patches.Version]]) -> object:
        return patches.Patch(name, "a reason", made_for, lambda: installed.append(name) or True)

    version = patches.installed_version("aiogram")
    assert version is not None
    inside = patch("inside", {"aiogram": (version, version[:1] + (version[1] + 1,))})
    newer = patch("newer", {"aiogram": ((3, 0), version)})  # made for versions before this one
    missing = patch("missing", {"no-such-library": ((0, 1), (9, 0))})
    with caplog.at_level(logging.WARNING, logger="club.patches"):
        applied = patches.apply(Settings(_env_file=None, patches="all"), [inside, newer, missing])
    assert installed == ["inside"]
    assert applied == {"inside"}
    shown = ".".join(map(str, version))
    assert [r.getMessage() for r in caplog.records] == [
        f"patch newer skipped: aiogram {shown}, made for 3.0 to before {shown}",
        "patch missing skipped: no-such-library not installed, made for 0.1 to before 9.0",
    ]
