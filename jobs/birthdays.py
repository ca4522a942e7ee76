"""Daily: a birthday wish (and the optional bonus and voucher) for each member whose birthday
is today."""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from loyalty import notify
from loyalty.audiences import birthday_year, birthdays_on
from loyalty.bonuses import birthday_bonus
from loyalty.errors import LoyaltyError
from loyalty.rewards import grant_voucher
from loyalty.rules import get_rules

log = logging.getLogger(__name__)


async def run(now: datetime, tz: ZoneInfo) -> int:
    """Enqueue today's wishes; returns how many members were greeted (again: idempotent)."""
    today = now.astimezone(tz).date()
    members = await birthdays_on(today)
    reward_id = (await get_rules()).birthday_reward_id
    for member in members:
        year = birthday_year(member, today)
        # The club's birthday_bonus rule decides how many points; 0 gives none.
        bonus = await birthday_bonus(member.id, year, now=now)
        params: dict[str, object] = {"bonus": bonus.points}
        if reward_id is not None:
            params.update(await _voucher(member.id, reward_id, year, now))
        await notify.enqueue(
            member.id, "birthday", f"birthday:{member.id}:{year}", now=now, params=params
        )
    return len(members)


async def _voucher(member_id: int, reward_id: int, year: int, now: datetime) -> dict[str, object]:
    """The year's voucher (issued now or on an earlier run) as wish params; none if it cannot
    be given."""
    try:
        granted = await grant_voucher(
            member_id,
            reward_id,
            key=f"birthday-voucher:{member_id}:{year}",
            reason="birthday_voucher",
            now=now,
        )
    except LoyaltyError as error:  # out of stock, ended, withdrawn: the wish still goes out
        log.warning("birthday voucher for member %s not given: %s", member_id, error.code)
        return {}
    return {"voucher": granted.voucher.code, "reward": granted.voucher.reward.name}
