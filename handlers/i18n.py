"""Translations: every sentence a member or staff member reads, in Persian and English.

The catalogues are `locales/<lang>/LC_MESSAGES/*.po`, one file per area so that work on
the member chat, the staff commands and SMS does not collide. They are compiled into one
`messages.mo` per language whenever a `.po` is newer (at start-up and in tests), so a
checkout never runs with stale or missing compiled catalogues.
"""

from __future__ import annotations

import gettext
from pathlib import Path
from threading import Lock

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
LOCALES = ("fa", "en")
DOMAIN = "messages"


def _merged_catalog(lang_dir: Path, locale: str) -> Catalog:
    merged = Catalog(locale=locale, domain=DOMAIN)
    for po_path in sorted(lang_dir.glob("*.po")):
        with po_path.open("rb") as handle:
            for message in read_po(handle, locale=locale):
                if message.id and message.string and not message.fuzzy:
                    merged[message.id] = message
    return merged


def compile_catalogs(root: Path = LOCALES_DIR) -> None:
    """Write `messages.mo` for each language whose `.po` files changed since the last build."""
    for locale in LOCALES:
        lang_dir = root / locale / "LC_MESSAGES"
        mo_path = lang_dir / f"{DOMAIN}.mo"
        sources = [p for p in lang_dir.glob("*.po")]
        if not sources:
            continue
        newest = max(p.stat().st_mtime for p in sources)
        if mo_path.exists() and mo_path.stat().st_mtime >= newest:
            continue
        catalog = _merged_catalog(lang_dir, locale)
        tmp = mo_path.with_suffix(".mo.tmp")
        with tmp.open("wb") as handle:
            write_mo(handle, catalog)
        tmp.replace(mo_path)


class Translator:
    """Loads the compiled catalogues once and answers `gettext(msgid, locale)`."""

    def __init__(self, root: Path = LOCALES_DIR, default_locale: str = "fa") -> None:
        self.root = root
        self.default_locale = default_locale
        self._catalogs: dict[str, gettext.NullTranslations] = {}
        self._lock = Lock()

    def _catalog(self, locale: str) -> gettext.NullTranslations:
        if locale not in self._catalogs:
            with self._lock:
                compile_catalogs(self.root)
                self._catalogs[locale] = gettext.translation(
                    DOMAIN, localedir=str(self.root), languages=[locale], fallback=True
                )
        return self._catalogs[locale]

    def gettext(self, msgid: str, locale: str | None = None) -> str:
        locale = locale if locale in LOCALES else self.default_locale
        return self._catalog(locale).gettext(msgid)


translator = Translator()


def pick_locale(*choices: str | None, default: str) -> str:
    """The reader's language: the first of `choices` the catalogues have, else `default`.

    Each door passes what it knows, the most specific first: a language chosen in a dialog,
    the member's stored one, the Telegram app's language code ("en-US" reads as "en").
    """
    for choice in choices:
        code = (choice or "")[:2].lower()
        if code in LOCALES:
            return code
    return default


def N_(msgid: str) -> str:
    """Marks a sentence for the catalogues where it is defined, translated where it is shown."""
    return msgid


def t(msgid: str, locale: str | None, **values: object) -> str:
    """The sentence in the reader's language, with its values filled in."""
    text = translator.gettext(msgid, locale)
    return text.format(**values) if values else text
