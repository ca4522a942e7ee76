"""The Persian catalogue calls each thing by one name (locales/glossary.toml)."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.test_translations import translations

GLOSSARY = Path(__file__).resolve().parent.parent / "locales" / "glossary.toml"

# What staff and programs type stays English in both languages, so it names no term:
# placeholders, commands, filters and scopes (tier=gold, members:read), choices (a|b).
_CODE = re.compile(r"\{[^}]*\}|/\w+|\S*(?:\w:\w|[=|_])\S*")


@dataclass(frozen=True)
class Term:
    en: str
    pattern: re.Pattern[str]
    fa: tuple[str, ...]
    banned: tuple[str, ...]
    unless: dict[str, str]

    def wrong(self, msgid: str, text: str) -> bool:
        """Not the chosen word, or a banned one the English does not call for."""

        def called_for(word: str) -> bool:
            english = self.unless.get(word)
            return english is not None and re.search(rf"\b{english}", msgid, re.I) is not None

        banned = [word for word in self.banned if word in text and not called_for(word)]
        return not any(form in text for form in self.fa) or bool(banned)


def _load() -> tuple[list[Term], set[str]]:
    data = tomllib.loads(GLOSSARY.read_text(encoding="utf-8"))
    terms = [
        Term(
            en=entry["en"],
            pattern=re.compile(
                entry.get("pattern") or rf"\b{re.escape(entry['en'])}(?:e?s)?\b", re.IGNORECASE
            ),
            fa=tuple(entry["fa"]),
            banned=tuple(entry["banned"]),
            unless=dict(entry.get("unless", {})),
        )
        for entry in data["term"]
    ]
    return terms, set(data["literal"]["msgids"])


TERMS, LITERAL = _load()


def _names(msgid: str, term: Term) -> bool:
    return msgid not in LITERAL and bool(term.pattern.search(_CODE.sub(" ", msgid)))


@pytest.mark.parametrize("term", TERMS, ids=[term.en for term in TERMS])
def test_each_term_has_one_persian_name(term: Term) -> None:
    persian = translations("fa")
    wrong = [
        f"{msgid!r} → {text!r}"
        for msgid, text in persian.items()
        if _names(msgid, term) and term.wrong(msgid, text)
    ]
    assert wrong == []


def test_the_glossary_reads_the_catalogue() -> None:
    # A pattern that matches nothing checks nothing.
    persian = translations("fa")
    unused = [term.en for term in TERMS if not any(_names(m, term) for m in persian)]
    assert unused == []
