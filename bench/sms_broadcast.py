"""Benchmark 3: an SMS campaign to 10,000 members through the fake Kavenegar, then with faults.

    python -m bench.sms_broadcast                        # SQLite file in a temporary folder
    python -m bench.sms_broadcast --database-url postgres://postgres@127.0.0.1:5432/club_bench
    python -m bench.sms_broadcast --fail-ratio 0.1 --timeout-ratio 0.05

Two runs, each on a fresh database: a clean one, where 10,000 SMS must take exactly 50
`sendarray` calls of 200; and one where the fake answers 409 to `--fail-ratio` of the send
calls and never answers `--timeout-ratio` of them (half of those after sending: the answer
is lost, the SMS went out). In both, no number may receive the campaign twice and none
may miss it: the outbox sends the row id as `localid`, which Kavenegar (and the fake)
use to answer a repeated send from the first one instead of sending again.

The members and the campaign are made through the domain, as in bench.telegram_broadcast;
`club run` then sends. A campaign SMS is advertising, which waits out the quiet hours
(22:00-07:00 Tehran): the bench sets an empty quiet window (SMS_QUIET_START =
SMS_QUIET_END) so that it measures the same thing at any hour. The PostgreSQL database is
emptied first.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from collections import Counter
from pathlib import Path

from bench.club_process import (
    club_env,
    club_run,
    control,
    fake_bot_api,
    fake_kavenegar,
    free_port,
    wait_until,
)
from bench.telegram_broadcast import seed


def run(
    database_url: str, recipients: int, fail_ratio: float, timeout_ratio: float, folder: Path
) -> dict[str, object]:
    timings = asyncio.run(seed(database_url, recipients, "sms"))
    api_port, sms_port = free_port(), free_port()
    faults = ["--fail-ratio", str(fail_ratio), "--timeout-ratio", str(timeout_ratio), "--seed", "1"]
    with (
        (folder / "fakes.log").open("ab") as fake_log,
        (folder / "club.log").open("ab") as club_log,
        fake_bot_api(api_port, log=fake_log),
        fake_kavenegar(sms_port, log=fake_log, extra=faults),
    ):
        env = club_env(
            database_url,
            bot_api_port=api_port,
            kavenegar_port=sms_port,
            SMS_QUIET_START="00:00",
            SMS_QUIET_END="00:00",
            SMS_POLL_SECONDS="0",
            WEB_PORT=str(free_port()),
        )
        started = time.perf_counter()
        with club_run(env, log=club_log) as club:

            def delivered() -> int:
                if club.process.poll() is not None:
                    raise RuntimeError(f"club run exited; see {folder / 'club.log'}")
                return int(control(sms_port, "stats")["delivered"])

            wait_until(
                lambda: delivered() >= recipients, "every recipient", timeout=3600, every=1.0
            )
            seconds = time.perf_counter() - started
            time.sleep(2)  # anything sent twice would go out now
            stats = control(sms_port, "stats")
            sent = control(sms_port, "delivered")
    per_number = Counter(receptor for receptor, _ in sent)
    expected = {f"0912{n:07d}" for n in range(recipients)}
    return {
        "database": database_url.split(":", 1)[0],
        "fail_ratio": fail_ratio,
        "timeout_ratio": timeout_ratio,
        **timings,
        "seconds": round(seconds, 1),
        "sendarray_calls": stats["calls"].get("sms/sendarray", 0),
        "send_calls": stats["calls"].get("sms/send", 0),
        "struck": stats["injected"],  # the random faults that did strike
        "delivered": len(sent),
        "duplicates": sum(1 for n in per_number.values() if n > 1),
        "missing": len(expected - set(per_number)),
        "loadavg": Path("/proc/loadavg").read_text().split()[:3],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument(
        "--fail-ratio", type=float, default=0.1, help="send calls answered 409 in the second run"
    )
    parser.add_argument(
        "--timeout-ratio", type=float, default=0.05, help="send calls never answered"
    )
    args = parser.parse_args()
    runs = {}
    with tempfile.TemporaryDirectory() as folder:
        for name, fail, hang in (
            ("clean", 0.0, 0.0),
            ("faults", args.fail_ratio, args.timeout_ratio),
        ):
            url = (
                args.database_url
                or f"sqlite://{Path(folder) / f'{name}.sqlite3'}?busy_timeout=10000"
            )
            runs[name] = run(url, args.recipients, fail, hang, Path(folder))
    clean, faulty = runs["clean"], runs["faults"]
    result = {
        "benchmark": "sms_broadcast",
        "recipients": args.recipients,
        **{f"clean_{key}": value for key, value in clean.items()},
        **{f"faults_{key}": value for key, value in faulty.items()},
        "met": (
            clean["sendarray_calls"] == -(-args.recipients // 200)
            and clean["send_calls"] == 0
            and all(r["duplicates"] == 0 and r["missing"] == 0 for r in (clean, faulty))
        ),
    }
    for key, value in result.items():
        print(f"{key:>30}  {value}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
