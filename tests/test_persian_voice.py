"""A Persian reader reads Persian: usage lines, the audit, the settings, default names."""

from __future__ import annotations

import pytest

from loyalty.staff import catalogue, club_settings
from loyalty.staff.catalogue import RewardSpec
from models import Branch, Member, RewardKind, Staff, StaffRole
from tests.conftest import NOW
from tests.helpers import member as make_member
from tests.staff_harness import CASHIER, MANAGER, OWNER, harness

pytestmark = pytest.mark.asyncio


async def test_staff_help_names_the_placeholders_in_persian(db: str) -> None:
    await Staff.create(telegram_id=CASHIER, role=StaffRole.CASHIER, created_at=NOW)
    async with harness() as h:
        assert await h.send(CASHIER, "/staff_help", language="fa") == [
            "فرمان‌های کارکنان:\n"
            "/earn <عضو> <مبلغ> [شماره فاکتور] [گروه کالا] [code=<کد تخفیف>]\n"
            "/refund <شماره فاکتور> [مبلغ|همه] [شماره شعبه]\n"
            "/redeem <کد کوپن>\n"
            "/member <عضو>\n"
            "/newcard <عضو>\n"
            "/giftcard sell|topup|spend|refund|block ...\n"
            "/inbox\n"
            "/reply <شماره> <متن>\n"
            "/panel"
        ]
        assert h.api.rejected == []


async def test_settings_read_as_persian_with_the_default_names_translated(db: str) -> None:
    async with harness() as h:
        settings = (await h.send(OWNER, "/settings", language="fa"))[0].split("\n")
        assert settings[:3] == [
            "نام باشگاه: باشگاه (/settings name)",
            "نام امتیازها: - (/settings points_name)",
            "امتیاز به ازای هر واحد پول: ۱ (/settings earn_rate)",
        ]
        assert await h.send(OWNER, "/branches", language="fa") == ["#۱ مرکزی: نرخ امتیاز باشگاه"]
        assert (await h.send(OWNER, "/settings", language="en"))[0].split("\n")[0] == (
            "Club name: Club (/settings name)"
        )
        await h.send(OWNER, "/settings name Kafe Nur")
        assert (await h.send(OWNER, "/settings", language="fa"))[0].split("\n")[0] == (
            "نام باشگاه: Kafe Nur (/settings name)"
        )
        assert h.api.rejected == []


async def test_the_audit_reads_in_words(db: str) -> None:
    owner = await Staff.create(
        telegram_id=OWNER, role=StaffRole.OWNER, name="Nasrin", created_at=NOW
    )
    await catalogue.save_reward(
        owner,
        RewardSpec(name="Tea", cost=90, kind=RewardKind.PERCENT_DISCOUNT, value=10),
        now=NOW,
    )
    await club_settings.set_rule(owner, "signup_bonus", "35", now=NOW)
    async with harness() as h:
        assert await h.send(OWNER, "/audit", language="fa") == [
            "۱۴۰۴/۱۲/۱۰ ۱۲:۳۰ Nasrin: افزودن جایزه (جایزه: #۱، بها: ۹۰، نوع: تخفیف درصدی، "
            "مقدار: ۱۰)\n"
            "۱۴۰۴/۱۲/۱۰ ۱۲:۳۰ Nasrin: تغییر قانون باشگاه (قانون: هدیهٔ عضویت، مقدار: ۳۵)"
        ]
        assert await h.send(OWNER, "/audit", language="en") == [
            "2026-03-01 12:30 Nasrin: reward added (reward: #1, cost: 90, kind: percent "
            "discount, value: 10)\n"
            "2026-03-01 12:30 Nasrin: rule changed (rule: Sign-up bonus, value: 35)"
        ]


@pytest.mark.parametrize(
    ("app_language", "stored", "reads"),
    [("en-US", None, "en"), ("fa", None, "fa"), (None, None, "fa"), ("en", "fa", "fa")],
)
async def test_a_reader_is_answered_in_their_language(
    db: str, app_language: str | None, stored: str | None, reads: str
) -> None:
    """Refusals and crashes are answered in `locale`: a stranger whose Telegram app is in
    English reads English; a member reads the language they chose."""
    from aiogram.types import User

    from handlers.telegram.middlewares import LocaleMiddleware

    if stored is not None:
        member = await make_member(NOW, phone="09121111111")
        await Member.filter(id=member.id).update(telegram_id=7007, locale=stored)
    seen: dict[str, object] = {}

    async def handler(event: object, data: dict[str, object]) -> None:
        seen.update(data)

    user = User(id=7007, is_bot=False, first_name="Sara", language_code=app_language)
    await LocaleMiddleware("fa")(handler, object(), {"event_from_user": user})  # type: ignore[arg-type]
    assert seen["locale"] == reads


async def test_rates_and_multipliers_in_persian_digits(db: str) -> None:
    async with harness() as h:
        assert await h.send(OWNER, "/groups set ۱٫۵ Coffee", language="fa") == [
            "#۱ Coffee: امتیاز ×۱٫۵"
        ]
        assert await h.send(OWNER, "/branches rate 1 2.25", language="fa") == [
            "#۱ مرکزی: نرخ امتیاز ۲٫۲۵"
        ]
        assert await h.send(OWNER, "/branches rate 1 2.25", language="en") == [
            "#1 Main: earning rate 2.25"
        ]


async def test_the_staff_list_reads_persian(db: str) -> None:
    await Staff.create(
        telegram_id=CASHIER,
        role=StaffRole.CASHIER,
        branch=await Branch.first(),
        name="Kaveh",
        created_at=NOW,
    )
    await Staff.create(telegram_id=MANAGER, role=StaffRole.MANAGER, created_at=NOW)
    async with harness() as h:
        assert await h.send(OWNER, "/staff", language="fa") == [
            "#۱ Kaveh: صندوقدار، مرکزی\n#۲ ۲۰۰۰: مدیر، همه شعبه‌ها\n#۳ User1000: مالک، همه شعبه‌ها"
        ]
