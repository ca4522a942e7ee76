"""Persian text helpers for SMS: keyword normalisation and SMS part counting."""

from __future__ import annotations

# Arabic letters that Arabic keyboards (and many phones) produce instead of the Persian
# ones; without this a member typing «امتياز» would not match the keyword «امتیاز».
_LETTERS = {"\u064a": "\u06cc", "\u0649": "\u06cc", "\u0643": "\u06a9"}

_PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹"
_ARABIC_INDIC_DIGITS = "٠١٢٣٤٥٦٧٨٩"

# Invisible characters that phones insert (joiners, direction marks, BOM) and the
# tatweel used to stretch words: they change nothing a reader sees, so a keyword
# must match with or without them.
_INVISIBLE = (
    "\u200c\u200d"  # ZWNJ, ZWJ
    "\u200e\u200f\u061c"  # LRM, RLM, Arabic letter mark
    "\u202a\u202b\u202c\u202d\u202e"  # bidi embeddings and overrides
    "\u2066\u2067\u2068\u2069"  # bidi isolates
    "\ufeff"  # BOM / zero-width no-break space
    "\u0640"  # Arabic tatweel
)

_NORMALIZE = str.maketrans(
    {
        **_LETTERS,
        **{c: str(i) for i, c in enumerate(_PERSIAN_DIGITS)},
        **{c: str(i) for i, c in enumerate(_ARABIC_INDIC_DIGITS)},
        **{c: None for c in _INVISIBLE},
    }
)

_TO_PERSIAN_DIGITS = str.maketrans(
    {
        **{str(i): c for i, c in enumerate(_PERSIAN_DIGITS)},
        **{a: p for a, p in zip(_ARABIC_INDIC_DIGITS, _PERSIAN_DIGITS, strict=True)},
    }
)


def normalize(text: str) -> str:
    """Fold what members type into one form for keyword matching.

    Arabic ي ى ك become Persian ی ک, Persian and Arabic-Indic digits become ASCII,
    invisible marks and tatweel are dropped, runs of whitespace become one space and
    the text is casefolded, so «  BALANCE » and «balance» match alike.
    """
    return " ".join(text.translate(_NORMALIZE).split()).casefold()


def to_persian_digits(s: str) -> str:
    """Write ASCII (and Arabic-Indic) digits as Persian digits, for Persian readers."""
    return s.translate(_TO_PERSIAN_DIGITS)


# GSM 03.38 default alphabet (ESC, 0x1B, left out: it is not a character of its own).
_GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The extension table: each of these is sent as ESC + char, so it costs two septets.
_GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

_GSM7_SINGLE, _GSM7_MULTI = 160, 153  # septets; a multipart header takes 7 of them
_UCS2_SINGLE, _UCS2_MULTI = 70, 67  # UTF-16 code units


def is_gsm7(text: str) -> bool:
    """True when the whole text fits the GSM-7 alphabet (basic or extension table)."""
    return all(c in _GSM7_BASIC or c in _GSM7_EXTENSION for c in text)


def _units(text: str, gsm7: bool) -> list[int]:
    """Cost of each character in the encoding the whole message will use."""
    if gsm7:
        return [2 if c in _GSM7_EXTENSION else 1 for c in text]
    # Outside the BMP a character is a surrogate pair: two UCS-2 units.
    return [2 if ord(c) > 0xFFFF else 1 for c in text]


def sms_parts(text: str) -> int:
    """How many SMS parts (each billed) the text takes; 0 for empty text.

    One non-GSM character (any Persian letter) switches the whole message to UCS-2.
    Parts are filled greedily because a phone never splits an escape sequence or a
    surrogate pair across two parts, so plain division can undercount by one.
    """
    gsm7 = is_gsm7(text)
    units = _units(text, gsm7)
    single, multi = (_GSM7_SINGLE, _GSM7_MULTI) if gsm7 else (_UCS2_SINGLE, _UCS2_MULTI)
    total = sum(units)
    if total == 0:
        return 0
    if total <= single:
        return 1
    parts, used = 1, 0
    for unit in units:
        if used + unit > multi:
            parts, used = parts + 1, 0
        used += unit
    return parts
