"""The pages at 1,000,000 members: member search, the lists, the dashboard, a member's page.

    python -m bench.pages --database-url postgres://postgres@127.0.0.1:5432/bench_pages
    python -m bench.pages --quick               # 20,000 members in a temporary SQLite file
    python -m bench.pages --members 200000 --requests 100 --database-url ...

Set-up (not measured): members with Persian names, phones, home branches, a card each and
a ledger (a sign-up bonus each, purchases for a third of them, a long history for the
members whose pages are opened), written in bulk as bench/fill.py writes. A marker table
(`bench_pages_fill`) records what was written: a later run with the same `--members`
reuses the data instead of writing it again. Otherwise the PostgreSQL database is
emptied first: never point it at a club in use.

Then the pages app (handlers/web, as `club run` mounts it, in a process of its own) serves
on 127.0.0.1; the owner signs in through a real link from `/panel` (the panel's
`issue_link`), a member by Telegram's signed sign-in data, and an aiohttp client times
each page over HTTP, one request at a time: the search by phone, by card, by a part of a
first name and by a part of no name, the member list (filtered by tier, by branch, sorted
by balance, its last page), the dashboard (its figures kept for a minute: the first,
uncached opening counts among its requests and is also shown apart), a member's page (its
first and a late page of history) and a member's card page.
Prints p50/p95/max per page and one JSON line; exits 1 when any page's p95 is 200 ms or
more (the target of issue 21).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp

from bot import patches
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "123456:BENCH-token-of-the-club-bot"
OWNER = 99_999_999
TARGET_MS = 200.0
# The dashboard's first opening computes its figures (/report 7) that the next minute's
# openings reuse: it is among the dashboard's own requests, and also shown apart, untargeted.
NO_TARGET = ("dashboard (first)",)
FILL_VERSION = 1  # bumped when the data written changes: older data is written again
MARKER = "bench_pages_fill"
BRANCHES = ("مرکزی", "ونک", "تجریش", "صادقیه", "نارمک", "پونک", "شهرک غرب", "سعادت‌آباد")
FIRST_NAMES = (
    "محمد", "علی", "حسین", "رضا", "مهدی", "امیر", "ابوالفضل", "حمید", "سعید", "مجید",
    "مصطفی", "جواد", "احمد", "محسن", "کامران", "بهرام", "فرهاد", "پژمان", "کیوان", "آرش",
    "سیاوش", "داریوش", "بابک", "نیما", "پویا", "فاطمه", "زهرا", "مریم", "زینب", "سارا",
    "نرگس", "الهام", "لیلا", "نازنین", "مینا", "شیرین", "پریسا", "سمیرا", "هانیه", "مهسا",
    "نگار", "یاسمن", "آزاده", "ترانه", "رویا", "شقایق", "کوثر", "ریحانه", "فرناز", "بهاره",
)  # fmt: skip
LAST_NAMES = (
    "محمدی", "حسینی", "احمدی", "رضایی", "موسوی", "کریمی", "جعفری", "صادقی", "رحیمی", "هاشمی",
    "قاسمی", "ابراهیمی", "نوری", "اکبری", "حیدری", "کاظمی", "عباسی", "مرادی", "یوسفی", "سلیمانی",
    "طاهری", "شریفی", "بهرامی", "نجفی", "ملکی", "زارعی", "امینی", "فراهانی", "تهرانی", "شیرازی",
    "اصفهانی", "کرمانی", "رستمی", "خسروی", "پارسا", "نیک‌نام", "فرهادی", "کامرانی", "یزدانی",
    "توکلی",
)  # fmt: skip
# Parts of first names a cashier would type: three or four letters, mostly from the start.
NOBODY = ("ژیلا", "کوروش", "Smith")  # in no name: the search that must not scan the table
NAME_PARTS = ("زهر", "مهد", "فاطم", "سار", "امیر", "نرگ", "کیو", "یاسم", "رویا", "بابک", "هانی")
HEAVY = 20  # members with a long history, whose pages are opened
HEAVY_ENTRIES = 400
CARD_BASE = 2_000_000  # card bodies are 7 digits: member n has CARD_BASE + n and a check digit


# ---- the data ----------------------------------------------------------------------------------


def card_number(n: int) -> str:
    from stdnum import luhn

    body = str(CARD_BASE + n)
    return body + luhn.calc_check_digit(body)


def heavy_ids(members: int) -> list[int]:
    """Members (ids, from 1) whose pages are opened: spread over the club, none deleted
    (deletions in bench.fill leave a phone empty; these are checked after the fill)."""
    step = max(1, members // HEAVY)
    return [1 + step * k + step // 2 for k in range(min(HEAVY, members))]


async def _filled(connection: Any) -> int | None:
    try:
        rows = await connection.execute_query_dict(f"SELECT members, version FROM {MARKER}")
    except Exception:  # no marker table: nothing written yet
        return None
    if rows and int(rows[0]["version"]) == FILL_VERSION:
        return int(rows[0]["members"])
    return None


async def _copy(connection: Any, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    if connection.capabilities.dialect == "postgres":
        async with connection.acquire_connection() as raw:
            await raw.copy_records_to_table(table, records=rows, columns=columns)
    else:
        marks = ", ".join("?" * len(columns))
        insert = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
        await connection.execute_many(insert, [list(row) for row in rows])


async def fill(database_url: str, members: int) -> float | None:
    """Write the club unless the marker says it is there; the seconds taken, None if reused."""
    from tortoise import Tortoise

    from bench.fill import BATCH, COLUMNS, TIER_SHARES, _member
    from bench.ledger import _reset_postgres
    from bot.db import close_db, open_db
    from models import Branch, Tier

    await open_db(database_url)
    connection = Tortoise.get_connection("default")
    postgres = connection.capabilities.dialect == "postgres"
    if await _filled(connection) == members:
        await close_db()
        return None
    started = time.perf_counter()
    await connection.execute_script(f"DROP TABLE IF EXISTS {MARKER}")
    if postgres:
        await _reset_postgres()
        await close_db()
        await open_db(database_url)
        connection = Tortoise.get_connection("default")
    now = datetime.now(UTC)
    rng = random.Random(11)
    for name in BRANCHES:
        await Branch.create(name=name, created_at=now)
    branches = [b.id for b in await Branch.all().order_by("id")]
    by_code = {t.code: t.id for t in await Tier.all()}
    tiers, weights = [by_code[c] for c, _ in TIER_SHARES], [w for _, w in TIER_SHARES]
    heavy = set(heavy_ids(members))
    member_columns = (*COLUMNS, "branch_id")
    first, last = COLUMNS.index("first_name"), COLUMNS.index("last_name")
    balance_at, deleted_at = COLUMNS.index("balance"), COLUMNS.index("deleted_at")
    phone_at, telegram_at = COLUMNS.index("phone"), COLUMNS.index("telegram_id")
    ledger_columns = (
        "member_id", "kind", "amount", "reason", "note", "idempotency_key", "created_at",
        "expires_at", "branch_id",
    )  # fmt: skip
    card_columns = ("number", "member_id", "active", "issued_at")
    for start in range(0, members, BATCH):
        people, cards, entries = [], [], []
        for n in range(start, min(members, start + BATCH)):
            row = list(_member(n, rng, tiers, weights, now))
            member_id = n + 1  # ids from 1 in the order written, in an emptied database
            if member_id in heavy:  # opened by the benchmark: present, on Telegram
                row[deleted_at], row[phone_at] = None, f"+98912{n:07d}"
                row[telegram_at] = 10_000_000 + n
            row[first], row[last] = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            branch = rng.choice(branches) if rng.random() < 0.9 else None
            joined = row[COLUMNS.index("joined_at")]
            cards.append((card_number(n), member_id, True, joined))
            balance = 0
            count = HEAVY_ENTRIES if member_id in heavy else 1 + (rng.random() < 0.3) * 4
            for k in range(count):
                at = joined + (now - joined) * (k / count)
                amount = 200 if k == 0 else rng.randrange(10, 500)
                reason, kind = ("signup", "bonus") if k == 0 else ("purchase", "earn")
                if k and rng.random() < 0.15 and balance > 600:
                    amount, reason, kind = -500, "reward", "redeem"
                balance += amount
                entries.append(
                    (member_id, kind, amount, reason, "", f"bench:{member_id}:{k}", at,
                     at + timedelta(days=365) if amount > 0 else None, branch)
                )  # fmt: skip
            row[balance_at] = balance
            people.append((*row, branch))
        await _copy(connection, "member", member_columns, people)
        await _copy(connection, "card", card_columns, cards)
        await _copy(connection, "ledger_entry", ledger_columns, entries)
    await connection.execute_script(f"CREATE TABLE {MARKER} (members INTEGER, version INTEGER)")
    await connection.execute_query(
        f"INSERT INTO {MARKER} (members, version) VALUES ({members}, {FILL_VERSION})"
    )
    await connection.execute_script("ANALYZE" if not postgres else "VACUUM ANALYZE")
    await close_db()
    return time.perf_counter() - started


async def sign_in_link(database_url: str) -> str:
    """A one-time panel link for the owner, as `/panel` in the bot gives it."""
    from bot.db import close_db, open_db
    from loyalty.staff import panel
    from loyalty.staff.access import identify

    await open_db(database_url, run_migrations=False)
    try:
        owner = await identify(OWNER, [OWNER])
        assert owner is not None
        return f"/club/panel/signin?token={await panel.issue_link(owner)}"
    finally:
        await close_db()


def init_data(user_id: int) -> str:
    """Telegram's signed sign-in data for a Mini App opened now by `user_id` (as Telegram
    signs it: https://core.telegram.org/bots/webapps#validating-data-received-via-the-web-app)."""
    user = {"id": user_id, "first_name": "Bench", "language_code": "fa"}
    fields = {
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": json.dumps(user, separators=(",", ":")),
        "auth_date": str(int(time.time())),
    }
    check = "\n".join(f"{key}={value}" for key, value in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", TOKEN.encode(), hashlib.sha256).digest()
    fields["hash"] = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    return urlencode(fields)


# ---- the pages app in a process of its own -----------------------------------------------------


def _settings(database_url: str, port: int) -> Settings:
    return Settings(
        bot_token=TOKEN,
        owner_ids=[OWNER],
        database_url=database_url,
        web_host="127.0.0.1",
        web_port=port,
        default_locale="fa",
        timezone="Asia/Tehran",
        _env_file=None,
    )


async def serve(database_url: str, port: int) -> None:
    """The pages as `club run` mounts them on its web app, without the bot."""
    from aiohttp import web

    from bot.app import add_pages, serving
    from bot.db import open_db

    settings = _settings(database_url, port)
    await open_db(database_url, run_migrations=False)
    app = web.Application()
    add_pages(app, settings)
    patches.freeze_garbage()
    async with serving(app, settings):
        await asyncio.Event().wait()


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), 0.2).close()
    except OSError:
        return False
    return True


def start_server(database_url: str, log: Path) -> tuple[subprocess.Popen[bytes], int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    args = [sys.executable, "-m", "bench.pages", "--serve", str(port)]
    args += ["--database-url", database_url]
    server = subprocess.Popen(
        args,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdin=subprocess.DEVNULL,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while not _listening(port):
        if server.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the pages app did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.1)
    return server, port


# ---- the measurement ---------------------------------------------------------------------------


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))]


def _client() -> aiohttp.ClientSession:
    # unsafe: aiohttp keeps no cookies from an IP address (127.0.0.1) otherwise.
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


def _cycle(values: list[str]) -> Iterator[str]:
    while True:
        yield from values


async def _timed(
    session: aiohttp.ClientSession, base: str, paths: Iterator[str], count: int, expect: str
) -> list[float]:
    """Milliseconds for each of `count` requests, to the last byte of the answer; each answer
    must be a 200 whose page holds `expect` (so an error page is not timed as a page)."""
    times = []
    for _ in range(count):
        path = next(paths)
        started = time.perf_counter()
        async with session.get(base + path, allow_redirects=False) as answer:
            body = await answer.text()
        times.append((time.perf_counter() - started) * 1000)
        if answer.status != 200 or expect not in body:
            raise RuntimeError(f"GET {path}: {answer.status}, {expect!r} not in the page")
    return times


async def measure(port: int, link: str, members: int, count: int) -> dict[str, list[float]]:
    base = f"http://127.0.0.1:{port}"
    rng = random.Random(3)
    heavy = heavy_ids(members)
    picks = [rng.randrange(members) for _ in range(count)]  # may be deleted: not found then
    times: dict[str, list[float]] = {}
    async with _client() as owner:
        async with owner.get(base + link, allow_redirects=False) as answer:
            if answer.status != 303:
                raise RuntimeError(f"the panel link was refused: {answer.status}")
        # The dashboard first, while its figures are not kept yet: that opening is shown apart.
        cold = await _timed(owner, base, _cycle(["/club/panel/"]), 1, 'id="members"')
        times["dashboard"] = cold + await _timed(
            owner, base, _cycle(["/club/panel/"]), count - 1, 'id="members"'
        )
        times["dashboard (first)"] = cold
        members_page = "/club/panel/members"
        times["search by phone"] = await _timed(
            owner,
            base,
            _cycle([f"{members_page}?q=0912{n:07d}" for n in picks]),
            count,
            'id="total"',
        )
        times["search by card"] = await _timed(
            owner, base, _cycle([f"{members_page}?q={card_number(n)}" for n in picks]), count,
            'id="total"',
        )  # fmt: skip
        times["search by name"] = await _timed(
            owner, base, _cycle([f"{members_page}?q={part}" for part in NAME_PARTS]), count,
            'id="total"',
        )  # fmt: skip
        times["search by name, none found"] = await _timed(
            owner, base, _cycle([f"{members_page}?q={part}" for part in NOBODY]), count,
            'id="total"',
        )  # fmt: skip
        times["members"] = await _timed(owner, base, _cycle([members_page]), count, 'id="total"')
        times["members by tier"] = await _timed(
            owner, base, _cycle([f"{members_page}?tier={t}" for t in (1, 2, 3)]), count,
            'id="total"',
        )  # fmt: skip
        times["members by branch"] = await _timed(
            owner, base, _cycle([f"{members_page}?branch={b}" for b in range(1, 10)]), count,
            'id="total"',
        )  # fmt: skip
        times["members by balance"] = await _timed(
            owner, base, _cycle([f"{members_page}?sort=balance"]), count, 'id="total"'
        )
        times["members, last page"] = await _timed(
            owner, base, _cycle([f"{members_page}?tier=2&page=999999"]), count, 'id="total"'
        )
        times["member's page"] = await _timed(
            owner, base, _cycle([f"{members_page}/{i}" for i in heavy]), count, 'id="adjust"'
        )
        times["member's page, late history"] = await _timed(
            owner, base, _cycle([f"{members_page}/{i}?page=18" for i in heavy]), count,
            'id="adjust"',
        )  # fmt: skip
    card: list[float] = []
    per_member = -(-count // len(heavy))
    for member_id in heavy:
        if len(card) >= count:
            break
        async with _client() as member:
            form = {"init_data": init_data(10_000_000 + member_id - 1)}
            async with member.post(f"{base}/club/signin", data=form, allow_redirects=False) as a:
                if a.status != 303:
                    raise RuntimeError(f"member {member_id} could not sign in: {a.status}")
            card += await _timed(
                member,
                base,
                _cycle(["/club/card"]),
                min(per_member, count - len(card)),
                'id="card-number"',
            )
    times["card page"] = card
    return times


def run(database_url: str, members: int, count: int, folder: Path) -> dict[str, Any]:
    fill_seconds = asyncio.run(fill(database_url, members))
    link = asyncio.run(sign_in_link(database_url))
    server, port = start_server(database_url, folder / "pages.log")
    try:
        times = asyncio.run(measure(port, link, members, count))
    except BaseException:
        print((folder / "pages.log").read_text()[-3000:])
        raise
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(15)
    pages = {
        name: {
            "requests": len(values),
            "p50_ms": round(percentile(values, 50), 1),
            "p95_ms": round(percentile(values, 95), 1),
            "max_ms": round(max(values), 1),
        }
        for name, values in times.items()
    }
    return {
        "benchmark": "pages",
        "database": database_url.split(":", 1)[0],
        "members": members,
        "fill_seconds": "reused" if fill_seconds is None else round(fill_seconds, 1),
        "pages": pages,
        "target_met": all(
            p["p95_ms"] < TARGET_MS for name, p in pages.items() if name not in NO_TARGET
        ),
        "load_average": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: SQLite in a temporary folder")
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=100, help="timed requests a page")
    parser.add_argument("--quick", action="store_true", help="20,000 members, 30 requests a page")
    parser.add_argument("--serve", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve(args.database_url, args.serve))
        return
    members, count = (20_000, 30) if args.quick else (args.members, args.requests)
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite://{Path(folder) / 'bench.sqlite3'}?busy_timeout=10000"
        result = run(url, members, count, Path(folder))
    print(f"{'page':<30} {'requests':>8} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for name, p in result["pages"].items():
        print(f"{name:<30} {p['requests']:>8} {p['p50_ms']:>8} {p['p95_ms']:>8} {p['max_ms']:>8}")
    for key in ("database", "members", "fill_seconds", "target_met", "load_average"):
        print(f"{key:>30}  {result[key]}")
    print(json.dumps(result, ensure_ascii=False))
    sys.exit(0 if result["target_met"] else 1)


if __name__ == "__main__":
    patches.apply(Settings())  # as `club` does at start-up, before aiogram is imported
    main()
