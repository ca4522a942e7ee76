"""Every change the club makes to a library's behaviour, applied by one call at start-up.

Each patch names why it exists, the library versions it was made and tested for, and is
switched by the setting PATCHES (`all`, `none`, or a comma list of names). A patch whose
library is outside its range is skipped with one warning, not applied blindly: it leans
on that library's internals. The club is correct with every patch off; the patches make
it faster or smaller, or (`dialog_ids`) avoid a rare reset of a member's menu.

`apply(settings)` runs in `club` (bot/cli.py), in the tests' conftest and in the
benchmarks, before anything imports aiogram: `lazy_models` only works then. Patches that
act later (the session class, the SQLite connection, the collector's freeze) ask
`applied(name)` at the one place that uses them.
"""

from __future__ import annotations

import gc
import logging
import re
import secrets
import sys
from collections.abc import Callable, Collection
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version

from bot.settings import Settings

log = logging.getLogger("club.patches")

Version = tuple[int, ...]

# The youngest generation is collected every 10,000 allocations instead of 700, the older
# ones a little less often: at 700 the objects of the updates in flight were promoted
# while still in use, and the full collections they brought walked every chat's state.
GC_THRESHOLDS = (10_000, 20, 20)


@dataclass(frozen=True)
class Patch:
    name: str
    reason: str
    # distribution name ("python" for the interpreter) -> [lowest, first unknown) version
    made_for: dict[str, tuple[Version, Version]]
    install: Callable[[], bool]  # False: it could not take effect (said in the log)


def _lazy_models() -> bool:
    from bot.lazy_models import install

    if install():
        return True
    log.warning("patch lazy_models skipped: aiogram was imported before the patches")
    return False


def _responses() -> bool:
    from bot.lazy_models import keep_responses

    keep_responses()
    return True


def _dialog_ids() -> bool:
    from aiogram_dialog.api.entities import stack

    # Short enough for callback data (64 bytes); a collision is practically impossible.
    stack.new_int_id = lambda: secrets.randbits(40)
    return True


def _sqlite_inline() -> bool:
    from bot.sqlite_engine import ClubConnection

    ClubConnection.inline = True
    return True


def _gc_freeze() -> bool:
    gc.set_threshold(*GC_THRESHOLDS)
    return True  # the freeze itself comes after start-up: freeze_garbage()


def _json_session() -> bool:
    return True  # build_bot picks bot/telegram_session.py's JsonSession when applied


PATCHES: tuple[Patch, ...] = (
    Patch(
        "lazy_models",
        "aiogram builds all 444 pydantic models at import; built on first use, most of the "
        "bot's memory is never spent (pydantic's model_rebuild, aiogram issue #1513)",
        {"aiogram": ((3, 20), (3, 32)), "pydantic": ((2, 9), (2, 14))},
        _lazy_models,
    ),
    Patch(
        "responses",
        "pydantic drops each Response[<result>] model when unused, so aiogram built one "
        "again for every request: a tenth of the bot's CPU (aiogram's Response)",
        {"aiogram": ((3, 20), (3, 32)), "pydantic": ((2, 9), (2, 14))},
        _responses,
    ),
    Patch(
        "dialog_ids",
        "aiogram-dialog's ids (this second + one of 100 values) collide for two dialogs "
        "opened in one second, resetting the member's menu; 40 random bits do not",
        {"aiogram-dialog": ((2, 3), (2, 7))},
        _dialog_ids,
    ),
    Patch(
        "sqlite_inline",
        "SQLite statements run on the event loop's thread instead of aiosqlite's: the "
        "hand-over cost more than the statement (aiosqlite internals)",
        {"aiosqlite": ((0, 20), (0, 23))},
        _sqlite_inline,
    ),
    Patch(
        "gc_freeze",
        "start-up's objects frozen out of the collector and its thresholds raised: full "
        "collections walked them all while the bot waited (gc.freeze)",
        {"python": ((3, 11), (3, 14))},
        _gc_freeze,
    ),
    Patch(
        "json_session",
        "requests without a file are sent as one JSON body instead of aiogram's form with "
        "JSON inside each field: one serialisation per answer (aiogram's session)",
        {"aiogram": ((3, 20), (3, 32))},
        _json_session,
    ),
)
NAMES = tuple(patch.name for patch in PATCHES)

_applied: set[str] = set()


def selected(setting: str, known: Collection[str] = NAMES) -> frozenset[str]:
    """The names PATCHES asks for: `all`, `none`, or a comma list (unknown names refused)."""
    text = setting.strip().lower()
    if text in ("", "all"):
        return frozenset(known)
    if text == "none":
        return frozenset()
    names = frozenset(part.strip() for part in text.split(",") if part.strip())
    unknown = sorted(names - set(known))
    if unknown:
        raise ValueError(f"unknown patch {', '.join(unknown)}; known: {', '.join(known)}")
    return names


def installed_version(distribution: str) -> Version | None:
    if distribution == "python":
        return tuple(sys.version_info[:3])
    try:
        text = version(distribution)
    except PackageNotFoundError:
        return None
    return tuple(int(part) for part in re.findall(r"\d+", text.split("+")[0])[:3])


def _outside(patch: Patch) -> str | None:
    """Why the installed libraries are outside what `patch` was made for; None if inside."""
    for distribution, (low, high) in patch.made_for.items():
        found = installed_version(distribution)
        if found is None or not low <= found < high:
            shown = ".".join(map(str, found)) if found else "not installed"
            known = f"{'.'.join(map(str, low))} to before {'.'.join(map(str, high))}"
            return f"{distribution} {shown}, made for {known}"
    return None


def apply(settings: Settings, patches: Collection[Patch] = PATCHES) -> frozenset[str]:
    """Apply the patches PATCHES selects, each once; the names in effect after it."""
    wanted = selected(settings.patches, [patch.name for patch in patches])
    for patch in patches:
        if patch.name not in wanted or patch.name in _applied:
            continue
        why = _outside(patch)
        if why is not None:
            log.warning("patch %s skipped: %s", patch.name, why)
            continue
        if patch.install():
            _applied.add(patch.name)
    return frozenset(_applied)


def applied(name: str) -> bool:
    return name in _applied


def freeze_garbage() -> None:
    """After start-up (or before a fork): what it built leaves the collector's rounds."""
    if applied("gc_freeze"):
        gc.collect()
        gc.freeze()
