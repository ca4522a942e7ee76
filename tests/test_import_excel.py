"""`club import` with the files Excel writes on Persian Windows, and its one-line refusals.

Most cases call the command's `main` in this process (a new interpreter per call costs
seconds); the missing file runs as a real process, as an owner types it.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests import cli_harness
from tests.cli_harness import Club

club = cli_harness.club  # the fixture

# Persian names, Persian tier names (one typed with the Arabic ye and no joiner), a code.
ROWS = [
    ["phone", "first_name", "last_name", "tier", "balance"],
    ["09121111111", "مریم", "کریمی", "طلایی", "1,500"],
    ["09122222222", "رضا", "", "نقره اي", "0"],
    ["09123333333", "Sara", "", "Gold", ""],
    ["09124444444", "علی", "", "bronze", ""],
]


def csv_bytes(separator: str, encoding: str) -> bytes:
    """The rows as Excel saves them: quoted where needed, CRLF, and in Windows-1256 the
    Persian ye (which it lacks) written as the Arabic one."""
    out = io.StringIO()
    csv.writer(out, delimiter=separator, lineterminator="\r\n").writerows(ROWS)
    text = out.getvalue()
    if encoding == "cp1256":
        text = text.replace("ی", "ي")
    return text.encode(encoding)


def tier_of(club: Club, phone: str) -> str:
    code, out, err = club("member", "show", phone)
    assert code == 0, err
    return next(line for line in out.splitlines() if line.startswith(("Tier", "سطح")))


@pytest.mark.parametrize(
    ("separator", "encoding"),
    [
        (";", "cp1256"),
        ("\u061b", "cp1256"),
        (",", "cp1256"),
        (",", "utf-8-sig"),
        (";", "utf-8"),
        ("\t", "utf-16"),
    ],
)
def test_an_excel_file_from_persian_windows_is_imported(
    club: Callable[[str], Club], tmp_path: Path, separator: str, encoding: str
) -> None:
    (tmp_path / "members.csv").write_bytes(csv_bytes(separator, encoding))
    fa = club("fa")
    code, out, err = fa("import", "members.csv")
    assert code == 0, err
    assert out.strip() == "۴ عضو تازه وارد شد؛ ۰ نفر از قبل عضو بودند؛ ۰ ردیف خطا دارد."
    assert tier_of(fa, "09121111111") == "سطح: طلایی"
    assert tier_of(fa, "09122222222") == "سطح: نقره‌ای"
    en = club("en")
    assert tier_of(en, "09123333333") == "Tier: Gold"
    assert tier_of(en, "09124444444") == "Tier: Bronze"
    maryam = en("member", "show", "09121111111")[1]
    assert "Member: مریم کریمی" in maryam and "Balance: 1,500 points" in maryam


def test_an_unknown_tier_name_is_a_row_error_in_english(
    club: Callable[[str], Club], tmp_path: Path
) -> None:
    (tmp_path / "m.csv").write_text("phone;tier\n09121111111;Platinum\n", encoding="utf-8")
    code, out, _ = club("en")("import", "m.csv")
    assert (code, out.strip().split("\n")) == (
        0,
        [
            "Imported 0 new members; 0 were already in the club; 1 rows with errors.",
            "Line 2, column tier: This value is not understood.",
        ],
    )


@pytest.mark.parametrize(
    ("locale", "name", "content", "message"),
    [
        ("en", "missing.csv", None, "There is no file missing.csv."),
        (
            "en",
            "folder",
            "folder",
            "The file folder cannot be read: is it a folder, or not yours to read?",
        ),
        (
            "en",
            "members.xlsx",
            b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00",
            "The file cannot be read as CSV text: in Excel choose Save As, CSV (UTF-8 or comma "
            "delimited).",
        ),
        (
            "fa",
            "members.csv",
            "phone\n09121111111\n".encode("utf-16-le"),  # UTF-16 without its mark
            "این پرونده به شکل متن CSV خوانده نمی‌شود: در اکسل «ذخیره با نام» و نوع CSV "
            "(UTF-8 یا جداشده با ویرگول) را برگزینید.",
        ),
    ],
)
def test_an_unreadable_file_is_one_line(
    club: Callable[[str], Club],
    tmp_path: Path,
    locale: str,
    name: str,
    content: bytes | str | None,
    message: str,
) -> None:
    if content == "folder":
        (tmp_path / name).mkdir()
    elif isinstance(content, bytes):
        (tmp_path / name).write_bytes(content)
    code, out, err = club(locale)("import", name)
    assert (code, err.strip(), out) == (1, message, "")


def test_a_missing_file_is_one_persian_line_from_the_command(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "import", "اعضا.csv"],
        env={
            **os.environ,
            "DATABASE_URL": f"sqlite://{tmp_path}/club.sqlite3",
            "DEFAULT_LOCALE": "fa",
            "BOT_TOKEN": "",
        },
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (result.returncode, result.stderr, result.stdout) == (
        1,
        "پرونده‌ای با نشانی اعضا.csv نیست.\n",
        "",
    )


async def upload(h, user: int, data: bytes, language: str) -> str:  # type: ignore[no-untyped-def]
    from aiogram.types import Update

    from tests.fakes.bot_api import _document

    h.api.add_user(user, language_code=language)
    stored = h.api._store_file(data, "documents", "members.csv", "text/csv")
    update = h.api._push_user_message(
        user,
        {
            "document": _document(stored),
            "caption": "/import",
            "caption_entities": [{"type": "bot_command", "offset": 0, "length": 7}],
        },
        None,
        language,
    )
    await h.dp.feed_update(h.bot, Update.model_validate(update, context={"bot": h.bot}))
    return h.api.last_message(user)["text"]


async def test_the_owner_uploads_what_excel_saved_in_telegram(db: str) -> None:
    from models import Member
    from tests.staff_harness import OWNER, harness

    async with harness() as h:
        xlsx = b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00"
        assert await upload(h, OWNER, xlsx, "fa") == (
            "این پرونده به شکل متن CSV خوانده نمی‌شود: در اکسل «ذخیره با نام» و نوع CSV "
            "(UTF-8 یا جداشده با ویرگول) را برگزینید."
        )
        assert await upload(h, OWNER, csv_bytes(";", "cp1256"), "fa") == (
            "۴ عضو تازه وارد شد؛ ۰ نفر از قبل عضو بودند؛ ۰ ردیف خطا دارد."
        )
        assert h.api.rejected == []
    maryam = await Member.get(phone="+989121111111").prefetch_related("tier")
    assert (maryam.first_name, maryam.last_name, maryam.tier.code, maryam.balance) == (
        "مریم",
        "کریمی",
        "gold",
        1500,
    )
    assert (await Member.get(phone="+989124444444")).first_name == "علی"  # Persian ye again
