"""The `club` command as an owner uses it: real process, real SQLite file."""

import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture
def club(tmp_path: Path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite://{tmp_path}/club.sqlite3",
        "DEFAULT_LOCALE": "en",
        "BOT_TOKEN": "",
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot.cli", *args],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )

    return run


def test_member_life_from_the_terminal(club) -> None:
    assert club("migrate").returncode == 0
    added = club("member", "add", "۰۹۱۲۱۲۳۴۵۶۷", "--first-name", "Ali")
    assert added.returncode == 0, added.stderr
    assert "Welcome! 20 points for joining." in added.stdout
    earned = club("earn", "09121234567", "250000", "--receipt", "R1")
    assert earned.stdout.strip() == (
        "25 points earned; balance 45; tier Bronze.\nNext tier: Silver, 475 points away."
    )
    again = club("earn", "+989121234567", "250000", "--receipt", "R1")
    assert "recorded before" in again.stdout and "balance 45" in again.stdout
    assert club("reward", "add", "Coffee", "30").returncode == 0
    redeemed = club("redeem", "09121234567", "1")
    assert "for Coffee" in redeemed.stdout and "balance 15" in redeemed.stdout
    code = redeemed.stdout.split()[1]
    assert club("voucher", "use", code).stdout.strip() == "Voucher accepted: give Coffee."
    used_twice = club("voucher", "use", code)
    assert used_twice.returncode == 1
    assert used_twice.stderr.strip() == "This voucher has already been used."
    shown = club("member", "show", "09121234567")
    assert "Balance: 15 points" in shown.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("earn", "09129999999", "1000"), "No member with that phone or card number."),
        (("earn", "0912", "1000"), "That is not a valid mobile number."),
        (("member", "add", "12345"), "That is not a valid mobile number."),
        (("voucher", "use", "NOPE2345"), "No voucher with that code."),
    ],
)
def test_bad_input_is_one_line_and_non_zero(club, args: tuple[str, ...], message: str) -> None:
    result = club(*args)
    assert result.returncode == 1
    assert result.stderr.strip() == message
    assert "Traceback" not in result.stderr


def test_amounts_above_the_limits_are_refused_with_the_limit(club) -> None:
    assert club("member", "add", "09121234567").returncode == 0
    for amount in ("999999999999999999999", "1000000001"):
        refused = club("earn", "09121234567", amount, "--receipt", "R1")
        assert (refused.returncode, refused.stderr.strip()) == (
            1,
            "The amount is above the club's maximum purchase of 1,000,000,000.",
        )
    assert club("earn", "09121234567", "250000", "--receipt", "R1").returncode == 0
    refund = club("refund", "R1", "999999999999999999999")
    assert (refund.returncode, refund.stderr.strip()) == (
        1,
        "Only 250,000 of this purchase is left to refund.",
    )
    shown = club("member", "show", "09121234567")
    assert "Balance: 45 points" in shown.stdout


def test_negative_amount_is_refused_before_the_database(club) -> None:
    result = club("earn", "09121234567", "-5")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr


def test_status_in_persian(club, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "status"],
        env={
            **os.environ,
            "DATABASE_URL": f"sqlite://{tmp_path}/c.sqlite3",
            "DEFAULT_LOCALE": "fa",
            "BOT_TOKEN": "",
        },
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0
    assert "۰" in result.stdout


def test_numbers_as_people_type_them_and_ids_too_large(club) -> None:
    assert club("member", "add", "09121234567").returncode == 0
    earned = club("earn", "09121234567", "۲۵۰،۰۰۰", "--receipt", "R1")
    assert (earned.returncode, "balance 45" in earned.stdout) == (0, True)
    refused = club("redeem", "09121234567", "99999999999")
    assert refused.returncode == 2
    assert refused.stderr.strip().endswith("99999999999 (at most 2147483647)")
    assert "Traceback" not in refused.stderr


def test_reward_add_keeps_the_catalogue_rules_and_leaves_an_audit_row(club, tmp_path: Path) -> None:
    import json
    import sqlite3

    assert club("migrate").returncode == 0
    too_big = club(
        "reward", "add", "Half off", "40", "--kind", "percent_discount", "--value", "150"
    )
    assert too_big.returncode == 1
    assert "Traceback" not in too_big.stderr
    added = club("reward", "add", "  Tea ", "30", "--stock", "5")
    assert added.stdout.strip() == "Reward 1 added: Tea for 30 points."
    with sqlite3.connect(tmp_path / "club.sqlite3") as db:
        rewards = db.execute("SELECT name, cost, stock, kind FROM reward").fetchall()
        audit = db.execute("SELECT staff_id, action, details FROM audit_entry").fetchall()
    assert rewards == [("Tea", 30, 5, "product")]
    assert [(staff, action) for staff, action, _ in audit] == [(None, "reward_add")]
    details = json.loads(audit[0][2])
    assert (details["reward"], details["cost"], details["stock"]) == (1, 30, 5)


def test_a_voucher_cancelled_from_the_terminal_gives_its_points_back_once(
    club, tmp_path: Path
) -> None:
    import sqlite3

    assert club("migrate").returncode == 0
    assert club("member", "add", "09121234567").returncode == 0
    assert club("reward", "add", "Tea", "15").returncode == 0
    code = club("redeem", "09121234567", "1").stdout.split()[1]
    cancelled = club("voucher", "cancel", code)
    assert cancelled.stdout.strip() == (
        f"Voucher {code} cancelled: 15 points back to the member. Balance: 20."
    )
    again = club("voucher", "cancel", code)
    assert (again.returncode, again.stderr.strip()) == (1, "This voucher was cancelled.")
    assert club("voucher", "use", code).stderr.strip() == "This voucher was cancelled."
    with sqlite3.connect(tmp_path / "club.sqlite3") as db:
        returned = db.execute(
            "SELECT COUNT(*) FROM ledger_entry WHERE reason = 'voucher_cancelled'"
        ).fetchone()
        told = db.execute(
            "SELECT COUNT(*) FROM outbox_message WHERE template = 'voucher_cancelled'"
        ).fetchone()
        audited = db.execute(
            "SELECT COUNT(*) FROM audit_entry WHERE action = 'voucher_cancel'"
        ).fetchone()
    assert (returned, told, audited) == ((1,), (1,), (1,))
