"""The member settings from the terminal: `club member tier|replace-card|company`,
`club tier name`, `club reward add --for`, and the tier an import brings kept as a floor."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.db import close_db, open_db
from jobs import tiers as tier_review
from models import Card
from tests import cli_harness
from tests.cli_harness import Club

club = cli_harness.club  # the fixture

PHONE = "09121111111"


def review(days: int) -> int:
    """The daily tier review, run `days` from now (the time injected, as the scheduler does)."""

    async def run() -> int:
        await open_db(os.environ["DATABASE_URL"], run_migrations=False)
        try:
            return await tier_review.run(datetime.now(UTC) + timedelta(days=days))
        finally:
            await close_db()

    return asyncio.run(run())


def cards() -> list[tuple[str, bool]]:
    async def run() -> list[tuple[str, bool]]:
        await open_db(os.environ["DATABASE_URL"], run_migrations=False)
        try:
            rows = await Card.all().order_by("id").values_list("number", "active")
            return [(number, active) for number, active in rows]
        finally:
            await close_db()

    return asyncio.run(run())


def line(out: str, start: str) -> str:
    return next(x for x in out.splitlines() if x.startswith(start))


def test_an_imported_gold_member_stays_gold_at_the_review(
    club: Callable[[str], Club], tmp_path: Path
) -> None:
    (tmp_path / "m.csv").write_text(
        f"phone,first_name,tier\n{PHONE},Sara,Gold\n09122222222,Reza,\n", encoding="utf-8"
    )
    en = club("en")
    assert en("import", "m.csv")[0] == 0
    assert review(1) == 0
    assert review(400) == 0
    shown = en("member", "show", PHONE)[1].splitlines()
    assert (shown[4], shown[5]) == ("Tier: Gold", "Tier floor: Gold")
    assert line(en("member", "show", "09122222222")[1], "Tier") == "Tier: Bronze"
    assert "Tier floor" not in en("member", "show", "09122222222")[1]

    code, out, _ = en("member", "tier", PHONE, "off")
    assert (code, out.strip()) == (
        0,
        "No tier floor: from the next review the points decide. Tier: Gold.",
    )
    assert review(401) == 1
    assert line(en("member", "show", PHONE)[1], "Tier") == "Tier: Bronze"


def test_a_floor_set_in_the_terminal_and_points_above_it(club: Callable[[str], Club]) -> None:
    en = club("en")
    assert en("member", "add", PHONE, "--first-name", "Sara")[0] == 0
    code, out, _ = en("member", "tier", PHONE, "Silver")
    assert (code, out.strip()) == (
        0,
        "Tier floor Silver: the review keeps the member at least there. Tier: Silver.",
    )
    # 16,842,200 less silver's 5% is 16,000,090 paid: 1,600 points × 1.25 = 2,000: gold.
    code, out, _ = en("earn", PHONE, "16842200")
    assert out.strip().splitlines()[-1] == "2,000 points earned; balance 2,020; tier Gold."
    assert review(1) == 0
    assert review(400) == 1  # the purchase is out of the window: down to the floor
    assert line(en("member", "show", PHONE)[1], "Tier") == "Tier: Silver"

    fa = club("fa")
    code, _, err = fa("member", "tier", PHONE, "الماس")
    assert (code, err.strip()) == (1, "سطحی به نام الماس وجود ندارد.")


def test_a_lost_card_replaced_in_the_terminal_is_refused_after(
    club: Callable[[str], Club],
) -> None:
    en = club("en")
    assert en("member", "add", PHONE)[0] == 0
    [(old, _)] = cards()
    code, out, _ = en("member", "replace-card", old)
    now = cards()
    new = now[1][0]
    assert now == [(old, False), (new, True)]
    assert (code, out.strip()) == (0, f"New card: {new}. Card {old} no longer works.")
    code, _, err = en("member", "show", old)
    assert (code, err.strip()) == (1, f"Card {old} was replaced by a new card and no longer works.")
    code, _, err = club("fa")("earn", old, "100000")
    assert (code, err.strip()) == (1, f"کارت {old} با کارت تازه‌ای جایگزین شده و دیگر کار نمی‌کند.")
    assert line(en("member", "show", new)[1], "Card") == f"Card: {new}"


def test_a_company_customer_and_a_company_only_reward_in_the_terminal(
    club: Callable[[str], Club],
) -> None:
    en = club("en")
    assert en("member", "add", PHONE)[0] == 0
    code, out, _ = en("reward", "add", "Hamper", "10", "--for", "company")
    assert code == 0
    code, _, err = en("redeem", PHONE, "1")
    assert (code, err.strip()) == (1, "This reward is for company customers only.")
    code, _, err = club("fa")("redeem", PHONE, "1")
    assert (code, err.strip()) == (1, "این جایزه فقط برای مشتریان شرکتی است.")

    code, _, err = en("member", "company", PHONE, "--rate", "2")
    assert (code, err.strip()) == (
        1,
        "This member is not a company customer: give the company's name first.",
    )
    code, out, _ = en("member", "company", PHONE, "Acme Ltd", "--rate", "2.5")
    assert (code, out.strip()) == (
        0,
        "A company customer, for Acme Ltd, earning 2.5 points per currency unit.",
    )
    # 250,000 toman: 25 currency units × 2.5 = 62 points (rounded down), not 25.
    assert "Company: Acme Ltd" in en("member", "show", PHONE)[1].splitlines()
    code, out, _ = en("earn", PHONE, "250000")
    assert (code, out.strip()) == (
        0,
        "62 points earned; balance 82; tier Bronze.\nNext tier: Silver, 438 points away.",
    )
    code, out, _ = en("redeem", PHONE, "1")
    assert code == 0 and out.strip().endswith("balance 72.")
    code, out, _ = en("member", "company", PHONE, "off")
    assert (code, out.strip()) == (0, "An individual customer.")


def test_the_owner_renames_a_tier_and_members_read_it_as_typed(
    club: Callable[[str], Club],
) -> None:
    en, fa = club("en"), club("fa")
    assert en("member", "add", PHONE, "--locale", "en")[0] == 0
    assert fa("member", "add", "09122222222", "--locale", "fa")[0] == 0
    code, out, _ = en("tier", "name", "silver", "Silver Star ⭐")
    assert (code, out.strip()) == (0, "Tier silver is shown as Silver Star ⭐.")
    code, out, _ = fa("tier", "name", "برنزی", "مس")  # by its Persian name
    assert (code, out.strip()) == (0, "سطح bronze با نام مس نشان داده می‌شود.")
    assert en("sms", PHONE, "POINTS")[1].strip() == (
        "20 points. Tier مس; 500 more points to Silver Star ⭐."
    )
    assert fa("sms", "09122222222", "امتیاز")[1].strip() == (
        "موجودی ۲۰ امتیاز. سطح مس؛ ۵۰۰ امتیاز تا Silver Star ⭐."
    )
    code, out, _ = en("tier", "list")
    assert out.splitlines() == [
        "bronze: مس, from 0 points",
        "silver: Silver Star ⭐, from 500 points",
        "gold: Gold, from 2,000 points",
    ]
    # Without a name: the usual one again, in each language.
    code, out, _ = fa("tier", "name", "silver")
    assert (code, out.strip()) == (0, "سطح silver با نام نقره‌ای نشان داده می‌شود.")
    code, _, err = en("tier", "name", "platinum", "Plat")
    assert (code, err.strip()) == (1, "There is no tier platinum.")
