"""A consistent copy of the SQLite database, taken while the bot keeps writing.

SQLite's online backup API copies the pages of one read transaction: in WAL mode that
is a snapshot of the last commit, and writers are not blocked while it is taken. The
copy is written next to the target and renamed into place, so a crash never leaves a
half-written file under the target's name.

The target is never the database itself nor anything in the database's folder: a copy
renamed onto the live file (or next to its -wal and -shm files) replaces the club's data
under the running bot, and every purchase after the copy is lost.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

from loyalty.pictures import NAME


def sqlite_path(database_url: str) -> Path | None:
    """The database file of a `sqlite://` URL; None for any other database or :memory:."""
    if not database_url.startswith("sqlite://"):
        return None
    path = database_url.removeprefix("sqlite://").split("?", 1)[0]
    return None if not path or path == ":memory:" else Path(path)


class TargetInDataFolder(ValueError):
    """The target is the database, or lies in the folder that holds it."""

    def __init__(self, folder: Path) -> None:
        super().__init__(str(folder))
        self.folder = folder


def check_target(source: Path, target: Path) -> None:
    """Refuse a target that is the database (by any link to it) or inside its folder."""
    database = source.resolve()
    folder = database.parent
    resolved = target.resolve()
    inside = resolved == folder or folder in resolved.parents
    if inside or (target.exists() and target.samefile(source)):
        raise TargetInDataFolder(folder)


def backup_sqlite(source: Path, target: Path) -> Path:
    """Copy `source` to `target` in one snapshot; returns the target's absolute path."""
    if not source.exists():
        raise FileNotFoundError(source)
    check_target(source, target)
    target = target.absolute()
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(source, timeout=30)
    try:
        dst = sqlite3.connect(partial)
        try:
            # pages=-1: the whole file in one step, hence one snapshot. A paged copy
            # restarts whenever another connection writes, and may never finish.
            src.backup(dst, pages=-1)
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            dst.close()
    finally:
        src.close()
    with open(partial, "rb") as handle:
        os.fsync(handle.fileno())
    partial.replace(target)
    return target


def copy_pictures(media: Path, folder: Path) -> int:
    """Copy the uploaded pictures in `media` that `folder` lacks; how many were copied.

    A picture's name is its content's hash and a stored picture never changes, so one
    folder serves every backup beside it, and a picture already there is not copied again.
    """
    if not media.is_dir():
        return 0
    copied = 0
    for picture in sorted(media.iterdir()):
        target = folder / picture.name
        if not NAME.fullmatch(picture.name) or target.exists():
            continue
        folder.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        shutil.copyfile(picture, partial)
        partial.replace(target)
        copied += 1
    return copied
