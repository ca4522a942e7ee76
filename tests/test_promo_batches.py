"""Promo batches through the doors: the owner's /campaign and /promo batch, the campaign job
and the outbox (Telegram and SMS), the cashier's /earn and /refund, /report and `club earn`;
codes used and refunds made at once on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from bot.outbox import OutboxSender
from bot.sms_gateway import SmsGateway
from handlers.sms.text import sms_parts
from handlers.telegram.staff import campaigns as campaign_doors
from jobs import campaigns as campaign_job
from loyalty import campaigns, notify
from loyalty.clock import utcnow
from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.staff import counter
from loyalty.staff.promo_codes import PromoSpec, add_batch
from models import (
    Branch,
    LedgerEntry,
    Member,
    OutboxMessage,
    PromoBatch,
    PromoCode,
    PromoUse,
    Purchase,
    Staff,
    StaffRole,
)
from tests import cli_harness
from tests.cli_harness import Club
from tests.conftest import NOW
from tests.fakes.kavenegar import FakeKavenegar
from tests.helpers import member as make_member
from tests.staff_harness import CASHIER, OWNER, Harness, harness

club = cli_harness.club  # the fixture
TZ = ZoneInfo("Asia/Tehran")
CODE = re.compile(r"SPRING-[A-Z2-9]{10}")
TEXT = "Spring sale: show {code} at the till for 10% off"


def sending_time() -> datetime:
    """After the campaign's send time (the real clock's now) and at noon in Tehran, so its
    SMS are not held for the night."""
    return (utcnow() + timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)


@pytest.fixture
async def h(any_db: str) -> AsyncIterator[Harness]:
    await Staff.create(
        telegram_id=CASHIER,
        role=StaffRole.CASHIER,
        branch=await Branch.first(),
        name="Kaveh",
        created_at=NOW,
    )
    async with harness() as harness_:
        harness_.dp.include_router(campaign_doors.router())
        yield harness_
        assert harness_.api.rejected == []


async def members() -> tuple[Member, Member, Member]:
    """Two members on Telegram and one by SMS only, reading English."""
    tg1 = await make_member(NOW, phone="09121111111", telegram_id=700_001, locale="en")
    tg2 = await make_member(NOW, phone="09122222222", telegram_id=700_002, locale="en")
    sms = await make_member(NOW, phone="09123333333", locale="en")
    return tg1, tg2, sms


async def campaign_with_batch(
    h: Harness, value: str = "10%", gives: str = "10% off", options: str = "min=100000"
) -> None:
    """Campaign 1 by Telegram, SMS for those not on Telegram, confirmed; batch SPRING on it."""
    await h.send(OWNER, f"/campaign telegram_sms | {TEXT}")
    preview = h.api.last_message(OWNER)
    assert preview is not None
    await h.click(OWNER, preview["message_id"], "cmp:ok:1")
    assert await h.send(OWNER, f"/promo batch spring {value} campaign=1 {options}") == [
        f"Promo batch SPRING added to campaign 1: each recipient gets their own code, {gives}, "
        "for one purchase of theirs."
    ]


async def code_of(member: Member) -> str:
    return (await PromoCode.get(member_id=member.id)).code


def gateway(fake: FakeKavenegar) -> SmsGateway:
    async def no_wait(_: float) -> None:
        return None

    return SmsGateway(fake.api_key, "10008663", fake.base_url, attempts=1, sleep=no_wait)


async def test_each_recipient_gets_their_own_code_by_telegram_and_by_sms(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    tg1, tg2, sms = await members()
    for m in (tg1, tg2):
        h.api.add_user(m.telegram_id)
    await campaign_with_batch(h)
    at = sending_time()
    # A crash after the codes were made and before the messages were queued: the job's
    # next run finishes the campaign, and nobody's code changes.
    real = notify.enqueue_many

    async def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("killed")

    monkeypatch.setattr(notify, "enqueue_many", crash)
    with pytest.raises(RuntimeError):
        await campaign_job.run(at, TZ)
    first = {m.id: await code_of(m) for m in (tg1, tg2, sms)}
    monkeypatch.setattr(notify, "enqueue_many", real)
    assert await campaign_job.run(at + timedelta(minutes=1), TZ) == [1]
    assert await campaign_job.run(at + timedelta(minutes=2), TZ) == []
    assert {m.id: await code_of(m) for m in (tg1, tg2, sms)} == first
    assert all(CODE.fullmatch(code) for code in first.values())
    assert len(set(first.values())) == 3
    assert await PromoCode.filter(batch_id__not_isnull=True).count() == 3
    assert await OutboxMessage.filter(campaign_id=1).count() == 3
    async with FakeKavenegar() as kave:
        sender = OutboxSender(bot=h.bot, gateway=gateway(kave), tz=TZ)
        assert (await sender.drain(at + timedelta(minutes=2))).sent == 3
        for m in (tg1, tg2):
            assert [x["text"] for x in h.api.sent_to(m.telegram_id)] == [
                f"Spring sale: show {first[m.id]} at the till for 10% off"
            ]
        sms_text = f"Spring sale: show {first[sms.id]} at the till for 10% off\nلغو۱۱"
        assert [(to, text) for to, text, _ in kave.delivered] == [("09123333333", sms_text)]
        assert sms_parts(sms_text) == 1

    # At the till: 10% of 250,005 = 25,000.5 → 25,001 off; 225,004 paid, 22 points.
    code1 = first[tg1.id]
    assert await h.send(CASHIER, f"/earn 09121111111 250005 R1 code={code1.lower()}") == [
        "Amount: 250,005\n"
        f"Promo code {code1}: −25,001\n"
        "To pay: 225,004\n"
        "Purchase recorded: 22 points earned. Balance: 42. Tier: Bronze.\n"
        "Next tier: Silver, 478 points away."
    ]
    # Another member's code, the code again, and a purchase below the batch's minimum.
    assert await h.send(CASHIER, f"/earn 09122222222 250005 R2 code={code1}") == [
        f"Promo code {code1} was given to another member."
    ]
    assert await h.send(CASHIER, f"/earn 09121111111 250005 R3 code={code1}") == [
        f"Promo code {code1} is used up."
    ]
    code2 = first[tg2.id]
    assert await h.send(CASHIER, f"/earn 09122222222 99999 R4 code={code2}") == [
        f"Promo code {code2} needs a purchase of at least 100,000."
    ]
    assert await Purchase.filter(receipt__in=["R2", "R3", "R4"]).count() == 0
    line = (
        "SPRING-… (campaign 1): 10% off; codes given 3; used 1; discount given 25,001; "
        "sales 225,004; bonus points 0"
    )
    assert await h.send(OWNER, "/promo") == [line]
    report = (await h.send(OWNER, "/report"))[0]
    assert report.endswith("\nPromo batches:\n" + line)

    # Refunded in full: the use is given back, and the member may use the code again.
    assert await h.send(OWNER, "/refund R1 all") == [
        "Refund recorded: 22 points taken back. Balance: 20."
    ]
    assert await h.send(OWNER, "/promo") == [
        "SPRING-… (campaign 1): 10% off; codes given 3; used 0; discount given 0; "
        "sales 0; bonus points 0"
    ]
    assert (await h.send(CASHIER, f"/earn 09121111111 100000 R5 code={code1}"))[0].startswith(
        f"Amount: 100,000\nPromo code {code1}: −10,000\nTo pay: 90,000\n"
    )


async def test_a_batch_is_refused_with_one_line_and_nothing_stored(h: Harness) -> None:
    await members()
    await h.send(OWNER, "/campaign telegram | No code in this one")
    await h.send(OWNER, f"/campaign sms | {TEXT}")
    second = h.api.last_message(OWNER)
    assert second is not None
    cases = {
        "/promo batch spring 10% campaign=1": "The text of campaign 1 has no {code} for each "
        "member's code.",
        "/promo batch spring 10% campaign=9": "No campaign number 9.",
        "/promo batch spring 150% campaign=2": "A percentage must be above 0 and at most 100.",
        "/promo batch spring-x 10% campaign=2": "This value is not understood.",
        "/promo batch spring 10% campaign=2 uses=5": None,  # the usage
        "/promo batch spring 10%": None,
    }
    for command, answer in cases.items():
        said = await h.send(OWNER, command)
        if answer is None:
            assert said[0].startswith("Usage:\n/promo"), command
        else:
            assert said == [answer], command
    assert await h.send(CASHIER, "/promo batch spring 10% campaign=2") == ["Not allowed."]
    assert await PromoBatch.all().count() == 0
    await h.send(OWNER, "/promo batch spring 10% campaign=2")
    assert await h.send(OWNER, "/promo batch autumn 10% campaign=2") == [
        "Campaign 2 already has a batch of codes."
    ]
    await h.send(OWNER, "/campaign sms | Another {code}")
    preview = h.api.last_message(OWNER)
    assert preview is not None
    await h.click(OWNER, preview["message_id"], "cmp:ok:3")
    await h.click(OWNER, second["message_id"], "cmp:ok:2")
    assert await campaigns.run_due(sending_time(), TZ) == [2, 3]
    assert await h.send(OWNER, "/promo batch late 5% campaign=3") == [
        "Campaign 3 has already started: too late for codes."
    ]
    assert await h.send(OWNER, "/promo off spring") == ["Promo batch SPRING withdrawn."]
    code = (await PromoCode.filter(batch_id__not_isnull=True).first()).code  # type: ignore[union-attr]
    assert await h.send(CASHIER, f"/earn 09123333333 250005 R1 code={code}") == [
        f"No promo code {code}."
    ]


async def test_a_bonus_batch_code_refunded_takes_its_points_back(h: Harness) -> None:
    tg1, _, _ = await members()
    await campaign_with_batch(h, "+30pts", "+30 bonus points", "")
    await campaigns.run_due(sending_time(), TZ)
    code = await code_of(tg1)
    said = await h.send(CASHIER, f"/earn 09121111111 100000 R1 code={code}")
    assert said[0].splitlines()[1] == f"Promo code {code}: +30 bonus points"
    assert (await Member.get(id=tg1.id)).balance == 60
    assert await h.send(OWNER, "/refund R1 all") == [
        "Refund recorded: 10 points taken back. Balance: 20."
    ]
    assert await h.send(OWNER, "/refund R1 all") == [
        "This purchase has already been refunded in full."
    ]
    assert (await Member.get(id=tg1.id)).balance == 20
    assert await LedgerEntry.filter(member_id=tg1.id, reason="reverse").count() == 1
    assert (await PromoCode.get(code=code)).bonus_total == 0


async def test_a_partial_refund_keeps_the_use(h: Harness) -> None:
    tg1, _, _ = await members()
    await campaign_with_batch(h)
    await campaigns.run_due(sending_time(), TZ)
    code = await code_of(tg1)
    await h.send(CASHIER, f"/earn 09121111111 250005 R1 code={code}")
    await h.send(OWNER, "/refund R1 100000")
    promo = await PromoCode.get(code=code)
    assert (promo.uses, promo.discount_total, promo.sales_total) == (1, 25_001, 225_004)
    await h.send(OWNER, "/refund R1 all")
    promo = await PromoCode.get(code=code)
    assert (promo.uses, promo.discount_total, promo.sales_total) == (0, 0, 0)


# ---- at once (SQLite and PostgreSQL) -----------------------------------------------------


async def batch_for(recipients: int) -> tuple[Staff, list[Member], dict[int, str]]:
    owner = await Staff.create(telegram_id=OWNER, role=StaffRole.OWNER, created_at=NOW)
    found = [
        await make_member(NOW, telegram_id=800_000 + n, locale="en") for n in range(recipients)
    ]
    campaign = await campaigns.create({}, "telegram", TEXT, now=NOW, status="draft")
    await add_batch(owner, PromoSpec("SPRING", "amount", Decimal(1000)), campaign.id, now=NOW)
    await campaigns.confirm(campaign.id, send_at=NOW)
    await campaigns.run_due(NOW, TZ)
    codes = {m.id: await code_of(m) for m in found}
    return owner, found, codes


async def test_one_code_used_by_ten_purchases_at_once_counts_once(any_db: str) -> None:
    owner, found, codes = await batch_for(1)
    m = found[0]
    outcomes = await asyncio.gather(
        *[
            counter.earn(owner, m, 100_000, f"R{n}", tz=TZ, now=NOW, promo_code=codes[m.id])
            for n in range(10)
        ],
        return_exceptions=True,
    )
    refused = [o for o in outcomes if isinstance(o, LoyaltyError)]
    assert [o for o in outcomes if isinstance(o, BaseException) and o not in refused] == []
    assert ({o.code for o in refused}, len(refused)) == ({ErrorCode.PROMO_USED_UP}, 9)
    assert (await PromoUse.all().count(), await Purchase.all().count()) == (1, 1)
    promo = await PromoCode.get(code=codes[m.id])
    assert (promo.uses, promo.discount_total, promo.sales_total) == (1, 1_000, 99_000)


async def test_ten_refunds_at_once_give_the_use_back_once(any_db: str) -> None:
    owner, found, codes = await batch_for(2)
    for n, m in enumerate(found):
        await counter.earn(owner, m, 100_000, f"R{n}", tz=TZ, now=NOW, promo_code=codes[m.id])
    outcomes = await asyncio.gather(
        *[counter.refund(owner, "R0", None, now=NOW) for _ in range(10)],
        return_exceptions=True,
    )
    refused = [o for o in outcomes if isinstance(o, LoyaltyError)]
    assert [o for o in outcomes if isinstance(o, BaseException) and o not in refused] == []
    # One refund is made; the others are refused, or (the same request, racing) answered
    # with its result.
    assert {o.code for o in refused} == {ErrorCode.ALREADY_REFUNDED}
    made = [o for o in outcomes if not isinstance(o, BaseException)]
    assert [o.points_reversed for o in made if not o.replayed] == [9]
    assert len(refused) + len(made) == 10
    first, second = [await PromoCode.get(code=codes[m.id]) for m in found]
    assert (first.uses, first.discount_total, first.sales_total) == (0, 0, 0)
    assert (second.uses, second.discount_total, second.sales_total) == (1, 1_000, 99_000)
    assert await PromoUse.filter(returned_at__not_isnull=True).count() == 1


async def test_two_campaign_jobs_at_once_make_each_code_once(any_db: str) -> None:
    owner = await Staff.create(telegram_id=OWNER, role=StaffRole.OWNER, created_at=NOW)
    for n in range(30):
        await make_member(NOW, telegram_id=800_000 + n, locale="en")
    campaign = await campaigns.create({}, "telegram", TEXT, now=NOW, status="draft")
    await add_batch(owner, PromoSpec("SPRING", "percent", Decimal(10)), campaign.id, now=NOW)
    await campaigns.confirm(campaign.id, send_at=NOW)
    await asyncio.gather(campaigns.run_due(NOW, TZ), campaigns.run_due(NOW, TZ))
    assert await PromoCode.filter(batch_id__not_isnull=True).count() == 30
    assert await OutboxMessage.filter(campaign_id=campaign.id).count() == 30
    rows = await OutboxMessage.filter(campaign_id=campaign.id).order_by("member_id")
    mine = dict(await PromoCode.filter(batch_id__not_isnull=True).values_list("member_id", "code"))
    assert [row.params["text"] for row in rows] == [
        TEXT.replace("{code}", mine[row.member_id]) for row in rows
    ]


# ---- the CLI -------------------------------------------------------------------------------


def test_club_earn_takes_a_promo_code(club: Callable[[str], Club]) -> None:
    run = club("en")
    assert run("member", "add", "09121234567")[0] == 0
    assert run("promo", "add", "yalda", "10%", "min=100000", "uses=1")[:2] == (
        0,
        "Promo code added: YALDA: 10% off; used 0/1; discount given 0; sales 0; bonus points 0\n",
    )
    code, out, _ = run("earn", "09121234567", "250005", "--receipt", "R1", "--code", "Yalda")
    assert (code, out.splitlines()[:3]) == (
        0,
        ["Amount: 250,005", "Promo code YALDA: −25,001", "To pay: 225,004"],
    )
    assert run("earn", "09121234567", "250005", "--receipt", "R2", "--code", "YALDA")[::2] == (
        1,
        "Promo code YALDA is used up.\n",
    )
    assert run("earn", "09121234567", "50000", "--receipt", "R3", "--code", "NOPE")[::2] == (
        1,
        "No promo code NOPE.\n",
    )
    assert run("promo", "list")[1] == (
        "YALDA: 10% off; used 1/1; discount given 25,001; sales 225,004; bonus points 0\n"
    )
    assert run("refund", "R1")[0] == 0
    assert run("promo", "list")[1] == (
        "YALDA: 10% off; used 0/1; discount given 0; sales 0; bonus points 0\n"
    )


async def test_the_owner_reads_the_batch_in_persian(h: Harness) -> None:
    await members()
    await h.send(OWNER, f"/campaign sms | {TEXT}")
    assert await h.send(OWNER, "/promo batch spring 10% campaign=1", language="fa") == [
        "دسته کد SPRING به کمپین ۱ افزوده شد: هر گیرنده کد خودش را می‌گیرد، ۱۰٪ تخفیف، "
        "برای یک خرید خودش."
    ]
    assert await h.send(OWNER, "/promo batch autumn 10% campaign=1", language="fa") == [
        "کمپین ۱ از پیش دسته کد دارد."
    ]
