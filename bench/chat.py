"""Benchmark 1: `club run` long-polling the fake Bot API, 10,000 members pressing buttons
and cashiers recording purchases; throughput, latency at a fixed rate, and memory.

    python -m bench.chat                      # SQLite file in a temporary folder
    python -m bench.chat --database-url postgres://postgres@127.0.0.1:5432/club_c

The PostgreSQL database is emptied first: never point it at a club in use.

Set-up (not measured): 10,000 members with Telegram ids, cards and a signup bonus are
written in bulk (the domain's register_member would take minutes for that many); the
owner, the rewards and the cashiers' cap go through the domain. Then every member who will
press a button sends /start and gets the main menu, as a member opens the bot.

"Handled" is the fake's record: the bot's reply (a message sent or edited in the chat) has
arrived and, for a button press, answerCallbackQuery too. Latency is from the moment the
update was available to getUpdates to that moment.

1. Throughput: BURST updates pushed at once (presses of "My points", "History" and
   "Rewards" on the menu, and one in ten a cashier's `/earn CARD AMOUNT`); the rate is
   BURST over the time from the push to the last update handled. Target: 300/s.
2. Latency: updates offered at RATE per second (paced by the fake) for SECONDS; p50, p95,
   p99 of the latency. Target: p99 within 100 ms at 100/s.
3. Memory: peak resident memory of `club run` over the whole run. Target: 250 MB.

Presses come from members who have not pressed before (each sees the menu), and `/earn`
names members who never press, so a purchase notification never counts as a reply. The
cashiers are several tills: one cashier typing 500 purchases at once would meet the
flood control (15 messages per 10 s), as a real one would.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from stdnum import luhn

from bench.club_process import Child, club_env, club_run, fake_bot_api, free_port
from bench.ledger import _reset_postgres
from bot import patches
from bot.db import close_db, open_db
from bot.settings import Settings
from handlers.i18n import N_, t
from loyalty.clock import utcnow
from loyalty.members import credit_expiry
from loyalty.rules import default_branch, get_rules, tiers
from loyalty.staff import catalogue, club_settings
from models import Card, EntryKind, LedgerEntry, Member, Staff, StaffRole

MEMBERS = 10_000
CASHIERS = 50
FIRST_MEMBER = 200_000_000  # Telegram ids
FIRST_CASHIER = 100_000_000
OWNER = 99_999_999
EARN_SHARE = 10  # one update in ten is a cashier's /earn
LOCALE = "fa"
BUTTONS = (N_("My points"), N_("History"), N_("Rewards"))
REWARDS = (("Coffee", 15), ("Cake", 40), ("Lunch", 120))


@dataclass
class Club:
    members: list[tuple[int, str]]  # Telegram id, card number
    cashiers: list[int]


def card_number(n: int) -> str:
    body = str(1_000_000 + n)
    return body + luhn.calc_check_digit(body)


async def seed(database_url: str, members: int, cashiers: int) -> Club:
    await open_db(database_url)
    if database_url.startswith("postgres"):
        await _reset_postgres()
        await close_db()
        await open_db(database_url)
    now = utcnow()
    branch = await default_branch()
    owner = await Staff.create(
        telegram_id=OWNER, name="Owner", role=StaffRole.OWNER, created_at=now
    )
    await club_settings.set_rule(owner, "cashier_daily_cap", str(2_000_000_000), now=now)
    for name, cost in REWARDS:
        await catalogue.add_reward(owner, name, cost, now=now)
    await Staff.bulk_create(
        [
            Staff(
                telegram_id=FIRST_CASHIER + i,
                name=f"Till {i}",
                role=StaffRole.CASHIER,
                branch_id=branch.id,
                created_at=now,
            )
            for i in range(cashiers)
        ]
    )
    rules = await get_rules()
    lowest = (await tiers())[0]
    await Member.bulk_create(
        [
            Member(
                phone=f"+98912{i:07d}",
                telegram_id=FIRST_MEMBER + i,
                first_name=f"Member {i}",
                locale=LOCALE,
                tier_id=lowest.id,
                referral_code=f"bench{i:07d}",
                balance=rules.signup_bonus,
                joined_at=now,
            )
            for i in range(members)
        ],
        batch_size=1_000,
    )
    ids = dict(await Member.filter(telegram_id__gte=FIRST_MEMBER).values_list("telegram_id", "id"))
    cards = {telegram_id: card_number(n) for n, telegram_id in enumerate(sorted(ids))}
    await Card.bulk_create(
        [Card(number=cards[tg], member_id=ids[tg], issued_at=now) for tg in ids], batch_size=1_000
    )
    expires = await credit_expiry(now, rules)
    await LedgerEntry.bulk_create(
        [
            LedgerEntry(
                member_id=member_id,
                kind=EntryKind.BONUS,
                amount=rules.signup_bonus,
                reason="signup",
                idempotency_key=f"signup:{member_id}",
                expires_at=expires,
                created_at=now,
            )
            for member_id in ids.values()
        ],
        batch_size=1_000,
    )
    await close_db()
    return Club(
        members=[(tg, cards[tg]) for tg in sorted(ids)],
        cashiers=[FIRST_CASHIER + i for i in range(cashiers)],
    )


class Fake:
    """The fake Bot API's control endpoint, seen from the benchmark."""

    def __init__(self, session: aiohttp.ClientSession, port: int) -> None:
        self.session = session
        self.base = f"http://127.0.0.1:{port}/_fake"

    async def push(self, actions: list[dict[str, Any]], per_second: float | None = None) -> None:
        async with self.session.post(
            f"{self.base}/push_batch", json={"actions": actions, "per_second": per_second}
        ) as resp:
            body = await resp.json()
            if not body["ok"]:
                raise RuntimeError(body["description"])

    async def timings(self, since: int) -> list[dict[str, Any]]:
        async with self.session.get(f"{self.base}/timings", params={"since": since}) as resp:
            return await resp.json()

    async def stats(self) -> dict[str, Any]:
        async with self.session.get(f"{self.base}/stats") as resp:
            return await resp.json()

    async def wait_handled(self, since: int, count: int, timeout: float) -> list[dict[str, Any]]:
        """The timings of the `count` updates from `since` on, once all are handled."""
        deadline = time.monotonic() + timeout
        while True:
            records = await self.timings(since)
            if len(records) >= count and all(r["handled_at"] is not None for r in records[:count]):
                return records[:count]
            if time.monotonic() > deadline:
                done = sum(r["handled_at"] is not None for r in records)
                raise TimeoutError(f"{done} of {count} updates handled after {timeout:.0f} s")
            await asyncio.sleep(0.25)


def start(user_id: int) -> dict[str, Any]:
    return {"action": "push_message", "kwargs": {"user_id": user_id, "text": "/start"}}


def mix(
    count: int,
    pressers: list[int],
    buyers: list[tuple[int, str]],
    cashiers: list[int],
    labels: list[str],
    serial: int,
) -> list[dict[str, Any]]:
    """`count` updates: presses by members in `pressers` (one each), one in ten a purchase."""
    actions: list[dict[str, Any]] = []
    presses = iter(pressers)
    for i in range(count):
        if i % EARN_SHARE == EARN_SHARE - 1:
            n = (serial + i) // EARN_SHARE  # purchases so far: each till and buyer in turn
            _, card = buyers[n % len(buyers)]
            text = f"/earn {card} {100_000 + (n % 50) * 10_000}"
            actions.append(
                {
                    "action": "push_message",
                    "kwargs": {"user_id": cashiers[n % len(cashiers)], "text": text},
                }
            )
        else:
            actions.append(
                {
                    "action": "press",
                    "kwargs": {"user_id": next(presses), "text": labels[i % len(labels)]},
                }
            )
    return actions


def presses_in(count: int) -> int:
    return count - count // EARN_SHARE


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


class Peak:
    """Samples a process's resident memory and CPU time in a thread until stopped."""

    def __init__(self, child: Child, every: float = 0.1) -> None:
        self.child = child
        self.every = every
        self.rss_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.rss_mb = max(self.rss_mb, self.child.rss_mb())
            except (FileNotFoundError, ProcessLookupError, StopIteration):
                return

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.rss_mb


async def drive(
    fake: Fake, club: Club, child: Child, burst: int, rate: float, seconds: float
) -> dict[str, Any]:
    labels = [t(label, LOCALE) for label in BUTTONS]
    steady = int(rate * seconds)
    pressers = [tg for tg, _ in club.members[: presses_in(burst) + presses_in(steady)]]
    buyers = club.members[len(pressers) :]
    if not buyers:
        raise SystemExit("too few members for these --burst and --rate/--seconds")

    # warm-up: every member who will press opens the menu, the buyers have opened the bot
    # once (their purchase notifications reach them), not measured
    started = time.perf_counter()
    await fake.push([{"action": "add_user", "kwargs": {"user_id": tg}} for tg, _ in buyers])
    await fake.push([start(tg) for tg in pressers])
    await fake.wait_handled(1, len(pressers), timeout=600)
    warm_up = time.perf_counter() - started
    next_id = 1 + len(pressers)

    # 1. throughput
    cpu_before = child.cpu_seconds()
    await fake.push(mix(burst, pressers[: presses_in(burst)], buyers, club.cashiers, labels, 0))
    records = await fake.wait_handled(next_id, burst, timeout=600)
    burst_cpu = child.cpu_seconds() - cpu_before
    burst_seconds = max(r["handled_at"] for r in records) - min(r["pushed_at"] for r in records)
    next_id += burst

    # 2. latency at a fixed rate
    await fake.push(
        mix(steady, pressers[presses_in(burst) :], buyers, club.cashiers, labels, burst),
        per_second=rate,
    )
    records = await fake.wait_handled(next_id, steady, timeout=seconds + 600)
    latencies = [(r["handled_at"] - r["pushed_at"]) * 1000 for r in records]
    by_kind = {
        kind: [(r["handled_at"] - r["pushed_at"]) * 1000 for r in records if r["kind"] == kind]
        for kind in ("callback_query", "message")
    }
    offered = (len(records) - 1) / (
        max(r["pushed_at"] for r in records) - min(r["pushed_at"] for r in records)
    )
    return {
        "warm_up_updates": len(pressers),
        "warm_up_seconds": round(warm_up, 1),
        "burst_updates": burst,
        "burst_seconds": round(burst_seconds, 2),
        "burst_per_second": round(burst / burst_seconds, 1),
        "burst_cpu_ms_per_update": round(burst_cpu / burst * 1000, 2),
        "steady_updates": steady,
        "steady_offered_per_second": round(offered, 1),
        "latency_p50_ms": round(percentile(latencies, 50), 1),
        "latency_p95_ms": round(percentile(latencies, 95), 1),
        "latency_p99_ms": round(percentile(latencies, 99), 1),
        "latency_max_ms": round(max(latencies), 1),
        "press_p99_ms": round(percentile(by_kind["callback_query"], 99), 1),
        "earn_p99_ms": round(percentile(by_kind["message"], 99), 1),
    }


async def measure(
    bot_api_port: int, club: Club, child: Child, args: argparse.Namespace
) -> dict[str, Any]:
    async with aiohttp.ClientSession() as session:
        fake = Fake(session, bot_api_port)
        result = await drive(fake, club, child, args.burst, args.rate, args.seconds)
        stats = await fake.stats()
    result["rejected_by_fake"] = len(stats["rejected"])
    result["batch_errors"] = len(stats["batch_errors"])
    return result


def run(database_url: str, args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    club = asyncio.run(seed(database_url, args.members, args.cashiers))
    port = free_port()
    with (
        open(folder / "fake.log", "wb") as fake_log,
        open(folder / "club.log", "wb") as club_log,
        fake_bot_api(port, log=fake_log),
        club_run(club_env(database_url, bot_api_port=port), log=club_log) as child,
    ):
        peak = Peak(child)
        try:
            result = asyncio.run(measure(port, club, child, args))
        except BaseException:
            print((folder / "club.log").read_text()[-3000:])
            raise
        finally:
            rss = peak.stop()
    return {
        "benchmark": "chat",
        "database": database_url.split(":", 1)[0],
        "members": args.members,
        **result,
        "rss_peak_mb": round(rss, 1),
        "loadavg": Path("/proc/loadavg").read_text().split()[0],
        "targets_met": {
            "throughput_300": result["burst_per_second"] >= 300,
            "p99_100ms": result["latency_p99_ms"] <= 100,
            "rss_250mb": rss < 250,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--members", type=int, default=MEMBERS)
    parser.add_argument("--cashiers", type=int, default=CASHIERS)
    parser.add_argument("--burst", type=int, default=5_000, help="updates pushed at once")
    parser.add_argument("--rate", type=float, default=100.0, help="updates per second offered")
    parser.add_argument("--seconds", type=float, default=30.0, help="how long the rate is offered")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite://{Path(folder) / 'bench.sqlite3'}?busy_timeout=10000"
        result = run(url, args, Path(folder))
    for key, value in result.items():
        print(f"{key:>28}  {value}")
    print(json.dumps(result))


if __name__ == "__main__":
    patches.apply(Settings())  # as `club` does at start-up, before aiogram is imported
    main()
