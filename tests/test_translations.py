"""Every sentence marked in the code has a translation in Persian and in English."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {"t": (1,), "N_": None}
FOLDERS = ("bot", "handlers", "loyalty", "jobs")


def msgids_in_code() -> dict[str, str]:
    """msgid → where it is first used."""
    found: dict[str, str] = {}
    for folder in FOLDERS:
        if not (ROOT / folder).exists():
            continue
        for filename, lineno, message, _comments, _context in extract_from_dir(
            ROOT / folder, method_map=[("**.py", "python")], keywords=KEYWORDS
        ):
            if isinstance(message, str) and message:
                found.setdefault(message, f"{folder}/{filename}:{lineno}")
    # The pages' templates call t("...") as the code does.
    for filename, lineno, message, _comments, _context in extract_from_dir(
        ROOT / "handlers" / "web" / "templates",
        method_map=[("**.html", "jinja2.ext:babel_extract")],
        keywords=KEYWORDS,
    ):
        if isinstance(message, str) and message:
            found.setdefault(message, f"handlers/web/templates/{filename}:{lineno}")
    return found


def translations(locale: str) -> dict[str, str]:
    result: dict[str, str] = {}
    for path in sorted((ROOT / "locales" / locale / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as handle:
            for message in read_po(handle, locale=locale):
                if (
                    message.id
                    and isinstance(message.id, str)
                    and message.string
                    and not message.fuzzy
                ):
                    result[message.id] = message.string
    return result


def test_the_code_marks_sentences() -> None:
    assert len(msgids_in_code()) > 50


@pytest.mark.parametrize("locale", ["fa", "en"])
def test_every_sentence_is_translated(locale: str) -> None:
    have = translations(locale)
    missing = [
        f"{where}: {msgid!r}" for msgid, where in msgids_in_code().items() if msgid not in have
    ]
    assert missing == []


@pytest.mark.parametrize("locale", ["fa", "en"])
def test_translations_keep_the_placeholders(locale: str) -> None:
    import string

    def fields(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    have = translations(locale)
    wrong = [
        msgid
        for msgid in msgids_in_code()
        if msgid in have and fields(msgid) != fields(have[msgid])
    ]
    assert wrong == []


def test_english_translations_equal_the_msgid() -> None:
    have = translations("en")
    assert [msgid for msgid, text in have.items() if text != msgid] == []
