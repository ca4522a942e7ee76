"""Birthday and feedback bonuses are paid once per period, whatever the repeats."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from loyalty import bonuses, inbox
from loyalty.errors import ErrorCode, LoyaltyError
from models import Channel, InboxItem, Member
from tests.conftest import NOW
from tests.helpers import member, set_rules

TEHRAN = ZoneInfo("Asia/Tehran")


async def test_birthday_bonus_once_a_year(any_db: str) -> None:
    await set_rules(birthday_bonus=100)
    m = await member(NOW)
    assert await bonuses.birthday_bonus(m.id, 1405, now=NOW) == bonuses.Bonus(100, replayed=False)
    # Again (a rerun after a crash): nothing more paid, and told what the first run paid.
    assert await bonuses.birthday_bonus(m.id, 1405, now=NOW) == bonuses.Bonus(100, replayed=True)
    next_year = await bonuses.birthday_bonus(m.id, 1406, now=NOW + timedelta(days=365))
    assert next_year.paid_now == 100
    assert (await Member.get(id=m.id)).balance == 220


async def test_no_birthday_bonus_when_the_owner_set_none(any_db: str) -> None:
    await set_rules(birthday_bonus=0)
    m = await member(NOW)
    assert await bonuses.birthday_bonus(m.id, 1405, now=NOW) == bonuses.Bonus(0, replayed=False)
    assert (await Member.get(id=m.id)).balance == 20


async def test_feedback_bonus_at_most_once_per_local_day(any_db: str) -> None:
    await set_rules(feedback_bonus=5)
    m = await member(NOW)
    first = await inbox.submit_feedback(
        m.id, "Great coffee", rating=5, channel=Channel.TELEGRAM, tz=TEHRAN, now=NOW
    )
    second = await inbox.submit_feedback(
        m.id, "Again", rating=4, channel=Channel.SMS, tz=TEHRAN, now=NOW + timedelta(hours=1)
    )
    third = await inbox.submit_feedback(
        m.id, "Next day", channel=Channel.SMS, tz=TEHRAN, now=NOW + timedelta(days=1)
    )
    assert (first.bonus, second.bonus, third.bonus) == (5, 0, 5)
    assert await InboxItem.filter(member_id=m.id).count() == 3
    assert (await Member.get(id=m.id)).balance == 30


@pytest.mark.parametrize(
    ("text", "rating", "code"),
    [
        ("", 5, ErrorCode.EMPTY_TEXT),
        ("ok", 6, ErrorCode.FEEDBACK_RATING),
        ("x" * 2001, 3, ErrorCode.TEXT_TOO_LONG),
    ],
)
async def test_bad_feedback_changes_nothing(
    db: str, text: str, rating: int, code: ErrorCode
) -> None:
    m = await member(NOW)
    with pytest.raises(LoyaltyError) as caught:
        await inbox.submit_feedback(
            m.id, text, rating=rating, channel=Channel.TELEGRAM, tz=TEHRAN, now=NOW
        )
    assert caught.value.code is code
    assert await InboxItem.all().count() == 0
    assert (await Member.get(id=m.id)).balance == 20
