"""Keys of the HTTP API: made by the owner in the bot and the terminal, shown once, revocable."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from loyalty import api_keys
from models import ApiKey, Branch, Staff, StaffRole
from tests.conftest import NOW
from tests.staff_harness import CASHIER, OWNER, harness

KEY = re.compile(r"club_[0-9a-f]{8}_[A-Za-z0-9_-]{43}")


async def test_a_key_is_stored_only_as_its_digest_and_stops_when_revoked(db: str) -> None:
    new = await api_keys.create_key(1, "purchases:write,members:read", "till1", now=NOW)
    assert KEY.fullmatch(new.secret)
    row = await ApiKey.get(id=new.key.id)
    assert row.scopes == "members:read,purchases:write"
    assert new.secret not in (row.digest, row.prefix) and row.digest == api_keys.digest(new.secret)
    assert (await api_keys.authenticate(new.secret)).id == row.id
    assert await api_keys.authenticate(new.secret[:-1] + "x") is None
    assert await api_keys.authenticate("Bearer " + new.secret) is None
    await api_keys.revoke_key(row.id, now=NOW)
    assert await api_keys.authenticate(new.secret) is None
    assert (await api_keys.revoke_key(row.id)).revoked_at == NOW  # again: unchanged


async def test_the_owner_manages_keys_in_the_bot(db: str) -> None:
    await Staff.create(
        telegram_id=CASHIER, role=StaffRole.CASHIER, branch_id=1, name="Kaveh", created_at=NOW
    )
    async with harness() as h:
        assert await h.send(CASHIER, "/apikeys") == ["Not allowed."]
        assert await h.send(OWNER, "/apikeys") == ["No API keys yet."]
        made = await h.send(OWNER, "/apikeys new 1 giftcards,members:read,vouchers:redeem till 1")
        assert len(made) == 1
        secret = KEY.search(made[0]).group(0)
        assert made[0] == (
            "API key 1 (till 1) for Main, scopes members:read,vouchers:redeem,giftcards:\n"
            f"{secret}\nKeep it safe: it is shown only this once."
        )
        assert (await api_keys.authenticate(secret)).name == "till 1"
        assert await h.send(OWNER, "/apikeys new 1 members:raed x") == [
            "Unknown scopes: members:raed. Choose from: "
            "members:read,members:write,purchases:write,vouchers:redeem,giftcards."
        ]
        assert await h.send(OWNER, "/apikeys new 9 members:read x") == ["No such branch."]
        listed = await h.send(OWNER, "/apikeys", language="fa")
        assert listed == [
            "#۱ till 1: مرکزی، members:read,vouchers:redeem,giftcards، "
            f"کلید club_{secret[5:13]}_…، "
            "ساخته‌شده در ۱۴۰۴/۱۲/۱۰"
        ]
        assert secret not in listed[0]
        assert await h.send(OWNER, "/apikeys revoke ۱") == [
            "API key 1 (till 1) is revoked: it no longer works."
        ]
        assert await api_keys.authenticate(secret) is None
        assert await h.send(OWNER, "/apikeys revoke 5") == ["No API key with that number."]
        assert (await h.send(OWNER, "/apikeys delete 1"))[0].startswith("Usage:\n/apikeys")
        assert await ApiKey.all().count() == 1
        assert h.api.rejected == []


def test_keys_from_the_terminal(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite://{tmp_path}/club.sqlite3",
        "DEFAULT_LOCALE": "en",
        "BOT_TOKEN": "",
    }

    def club(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot.cli", "apikey", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    made = club(
        "create",
        "--branch",
        "1",
        "--scopes",
        "members:read,purchases:write,giftcards",
        "--name",
        "till1",
    )
    assert made.returncode == 0, made.stderr
    secret = KEY.search(made.stdout).group(0)
    assert made.stdout.startswith(
        "API key 1 (till1) for Main, scopes members:read,purchases:write,giftcards:"
    )
    listed = club("list")
    assert listed.stdout.startswith(
        f"#1 till1: Main, members:read,purchases:write,giftcards, key club_{secret[5:13]}_…"
    )
    assert secret not in listed.stdout
    wrong = club("create", "--branch", "1", "--scopes", "all", "--name", "x")
    assert (wrong.returncode, wrong.stderr.strip()) == (
        1,
        "Unknown scopes: all. Choose from: "
        "members:read,members:write,purchases:write,vouchers:redeem,giftcards.",
    )
    assert club("revoke", "1").stdout.strip() == "API key 1 (till1) is revoked: it no longer works."
    assert "(revoked " in club("list").stdout
    assert club("revoke", "2").stderr.strip() == "No API key with that number."


@pytest.mark.parametrize("scopes", ["", ",", "members:read,nope"])
async def test_scopes_must_be_known(db: str, scopes: str) -> None:
    from loyalty.errors import LoyaltyError

    with pytest.raises(LoyaltyError):
        await api_keys.create_key(1, scopes, "x")
    assert not await ApiKey.exists()
    assert await Branch.exists(id=1)
