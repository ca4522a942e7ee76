"""Moving an existing club in: members from a CSV file, validated row by row.

Columns (a header row names them; order is free): phone, first_name, last_name, birthday
(Jalali like 1370/05/12 or Gregorian like 1991-08-03), gender, balance (the opening
balance), tier (a tier's code or any of its names, e.g. «طلایی» or Gold). Only phone is
required. The file may be what Excel saves on Persian Windows: UTF-8 with or without a BOM,
UTF-16 ("Unicode text") or Windows-1256, its cells separated by `,`, `;`, `؛` or tabs
(whichever the header row uses). A row with an error is reported
with its line number and nothing of it is written; the others are imported once: a
phone already in the club is left alone, and the opening balance is a ledger row with
the key `import:<phone>`, so running the same file twice changes nothing.

Rows are written `CHUNK` to a transaction. An import stopped part-way (the process killed,
the database busy for too long) keeps the chunks it committed, and the same file imported
again goes on from there: the rows written before are skipped as already in the club.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

import jdatetime
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from loyalty import audit, ledger
from loyalty.clock import utcnow
from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.members import _unused_card_number, _unused_referral_code, credit_expiry
from loyalty.numbers import parse_int
from loyalty.phones import normalize_mobile
from loyalty.text import clean_name, to_ascii_digits
from models import Card, EntryKind, Gender, Member, Tier

# Rows per transaction: few enough that SQLite's one writer is held for tens of milliseconds
# (a purchase in the running bot waits that long), many enough that the commit's fsync is
# paid once per chunk: 3,000 rows took 35 s one per transaction, 9 s in chunks of 25.
CHUNK = 25
COLUMNS = ("phone", "first_name", "last_name", "birthday", "gender", "balance", "tier")
MAX_OPENING_BALANCE = 10_000_000
GENDERS = {
    "m": Gender.MALE,
    "male": Gender.MALE,
    "man": Gender.MALE,
    "مرد": Gender.MALE,
    "آقا": Gender.MALE,
    "f": Gender.FEMALE,
    "female": Gender.FEMALE,
    "woman": Gender.FEMALE,
    "زن": Gender.FEMALE,
    "خانم": Gender.FEMALE,
    "": Gender.UNSPECIFIED,
}
_DATE = re.compile(r"^(\d{4})[/\-.](\d{1,2})[/\-.](\d{1,2})$")
# Separators Excel writes: the list separator of the Windows region (`;` or the Arabic `؛`
# in much of the world, `,` in English), and tabs for "Unicode text".
DELIMITERS = (",", ";", "\u061b", "\t")
# Text that no spreadsheet writes in a cell: a file decoded into these is not CSV in the
# encoding tried (an .xlsx, a picture, a UTF-16 file without its BOM).
_BINARY = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_PERSIAN_YE = str.maketrans({"\u064a": "\u06cc"})
# A tier's name as typed: Arabic ye and kaf, the joiner in «نقره‌ای», spaces and case aside.
_TIER_KEY = str.maketrans({"\u064a": "\u06cc", "\u0643": "\u06a9", "\u200c": None, " ": None})


@dataclass(frozen=True)
class ImportRecord:
    line: int
    phone: str  # E.164
    first_name: str
    last_name: str
    birth_date: date | None
    gender: Gender
    balance: int
    tier_code: str | None


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    code: ErrorCode
    value: str
    values: dict[str, object] = field(default_factory=dict)  # what the sentence needs


@dataclass(frozen=True)
class ImportSummary:
    created: int
    skipped: int  # phones already in the club: untouched

    @property
    def done(self) -> int:
        return self.created + self.skipped


def parse_birthday(raw: str, today: date) -> date | None:
    """A birthday as written in Iran: Jalali when the year is before 1700, else Gregorian."""
    text = to_ascii_digits(raw).strip()
    if not text:
        return None
    match = _DATE.match(text)
    if match is None:
        raise LoyaltyError(ErrorCode.INVALID_DATE)
    year, month, day = (int(part) for part in match.groups())
    try:
        value = (
            jdatetime.date(year, month, day).togregorian()
            if year < 1700
            else date(year, month, day)
        )
    except ValueError:
        raise LoyaltyError(ErrorCode.INVALID_DATE) from None
    if value > today or value.year < 1900:
        raise LoyaltyError(ErrorCode.INVALID_DATE)
    return value


def decode_csv(data: bytes) -> str:
    """The text of a CSV file in any encoding Excel saves in Iran; `INVALID_FILE` otherwise."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings = ("utf-16",)
    else:
        # Windows-1256 gives every byte a letter, so it is tried last; UTF-8 first keeps a
        # BOM-less UTF-8 file from being read as Arabic code page mojibake.
        encodings = ("utf-8-sig", "cp1256")
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _BINARY.search(text):
            continue
        text = text.lstrip("\ufeff")
        # Windows-1256 has no Persian ye: Excel writes the Arabic one in its place.
        return text.translate(_PERSIAN_YE) if encoding == "cp1256" else text
    raise LoyaltyError(ErrorCode.INVALID_FILE)


def _tier_key(name: str) -> str:
    return name.strip().lower().translate(_TIER_KEY)


def parse_csv(
    text: str,
    tier_codes: Iterable[str],
    *,
    today: date,
    tier_names: Mapping[str, str] | None = None,
) -> tuple[list[ImportRecord], list[RowError]]:
    """Valid records and the errors of the others, by line number (the header is line 1).

    A tier cell holds a code of `tier_codes` or a name of `tier_names` (name to code)."""
    text = text.lstrip("\ufeff")
    reader = csv.DictReader(io.StringIO(text), delimiter=_delimiter(text))
    header = [(name or "").strip().lower() for name in reader.fieldnames or []]
    if "phone" not in header:
        return [], [RowError(1, "phone", ErrorCode.INVALID_PHONE, "")]
    reader.fieldnames = header
    tiers = {_tier_key(code): code.lower() for code in tier_codes}
    tiers |= {_tier_key(name): code.lower() for name, code in (tier_names or {}).items()}
    records: list[ImportRecord] = []
    errors: list[RowError] = []
    seen: set[str] = set()
    for row in reader:
        line = reader.line_num
        record, row_errors = _parse_row(
            line, {k: (v or "").strip() for k, v in row.items() if k}, tiers, today
        )
        if record is not None and record.phone in seen:
            row_errors = [
                RowError(line, "phone", ErrorCode.DUPLICATE_PHONE, row.get("phone") or "")
            ]
        if row_errors:
            errors.extend(row_errors)
        elif record is not None:
            seen.add(record.phone)
            records.append(record)
    return records, errors


def _delimiter(text: str) -> str:
    """The separator the header row uses most (a one-column file has none: a comma)."""
    header = text.split("\n", 1)[0]
    return max(DELIMITERS, key=header.count) if any(d in header for d in DELIMITERS) else ","


def _parse_row(
    line: int, row: dict[str, str], tiers: dict[str, str], today: date
) -> tuple[ImportRecord | None, list[RowError]]:
    errors: list[RowError] = []

    def cell(column: str, parse: Callable[[str], object]) -> object:
        try:
            return parse(row.get(column, ""))
        except LoyaltyError as error:
            errors.append(RowError(line, column, error.code, row.get(column, ""), error.values))
            return None

    phone = cell("phone", normalize_mobile)
    first = cell("first_name", lambda v: clean_name(v) if v else "")
    last = cell("last_name", lambda v: clean_name(v) if v else "")
    birth = cell("birthday", lambda v: parse_birthday(v, today))
    gender = cell("gender", _gender)
    balance = cell("balance", _balance)
    tier = cell("tier", lambda v: _tier(v, tiers))
    if errors:
        return None, errors
    return ImportRecord(
        line, str(phone), str(first), str(last), birth, gender, int(balance), tier
    ), []  # type: ignore[arg-type]


def _gender(raw: str) -> Gender:
    value = GENDERS.get(raw.strip().lower())
    if value is None:
        raise LoyaltyError(ErrorCode.INVALID_VALUE)
    return value


def _balance(raw: str) -> int:
    if not raw.strip():
        return 0
    try:
        return parse_int(raw, maximum=MAX_OPENING_BALANCE)
    except LoyaltyError:
        # One answer for a row's balance, whether it is no number or too large a one.
        raise LoyaltyError(ErrorCode.INVALID_AMOUNT, amount=raw) from None


def _tier(raw: str, tiers: dict[str, str]) -> str | None:
    key = _tier_key(raw)
    if not key:
        return None
    if key not in tiers:
        raise LoyaltyError(ErrorCode.INVALID_VALUE)
    return tiers[key]


async def import_records(
    records: list[ImportRecord],
    *,
    actor: str = "import",
    staff_id: int | None = None,
    now: datetime | None = None,
    progress: Callable[[ImportSummary], Awaitable[None] | None] | None = None,
    chunk: int = CHUNK,
) -> ImportSummary:
    """Write the valid records, `chunk` to a transaction; members already in the club are
    skipped. `progress` is told the rows committed so far after each chunk."""
    now = now or utcnow()
    tiers = {t.code: t for t in await Tier.all().order_by("threshold")}
    lowest = next(iter(tiers.values()), None)
    expires_at = await credit_expiry(now)
    summary = ImportSummary(0, 0)
    for start in range(0, len(records), chunk):
        part = records[start : start + chunk]
        created = 0
        async with in_transaction():
            present = await _members_among([record.phone for record in part])
            for record in part:
                tier = tiers.get(record.tier_code or "", lowest)
                if record.phone not in present and await _import_one(record, tier, expires_at, now):
                    created += 1
        summary = ImportSummary(summary.created + created, summary.skipped + len(part) - created)
        if progress is not None:
            told = progress(summary)
            if told is not None:  # a coroutine: the panel writes the progress to its row
                await told
    await audit.record(
        "import",
        staff_id=staff_id,
        actor=actor,
        now=now,
        created=summary.created,
        skipped=summary.skipped,
    )
    return summary


async def _members_among(phones: list[str]) -> set[str]:
    return set(await Member.filter(phone__in=phones).values_list("phone", flat=True))


async def _import_one(
    record: ImportRecord, tier: Tier | None, expires_at: datetime | None, now: datetime
) -> bool:
    try:
        # A savepoint: a phone that joined meanwhile undoes its own row, not the chunk.
        async with in_transaction():
            member = await Member.create(
                phone=record.phone,
                first_name=record.first_name,
                last_name=record.last_name,
                birth_date=record.birth_date,
                gender=record.gender,
                tier=tier,
                # The tier the old club gave stays theirs: the review keeps it as a floor.
                tier_floor=tier if record.tier_code else None,
                reachable_telegram=False,
                referral_code=await _unused_referral_code(),
                joined_at=now,
            )
            await Card.create(number=await _unused_card_number(), member=member, issued_at=now)
            if record.balance > 0:
                await ledger.post(
                    member.id,
                    EntryKind.ADJUST,
                    record.balance,
                    "import",
                    f"import:{record.phone}",
                    now=now,
                    expires_at=expires_at,
                )
    except IntegrityError:
        if await Member.exists(phone=record.phone):
            return False  # joined (by SMS, in Telegram) since the look-up: a member already
        raise
    return True
