"""The club's look on its pages (name, colour, logo, cover), how members reach it (phone,
address, links, a few words about it) and rewards' pictures; the owner's, as the rules.

A picture is stored first (loyalty/pictures.py: checked, re-encoded, named by its hash);
these functions only name it. The club's row changing renews the set-up's token (migration
0003), so every process's pages read the new look at their next request.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from urllib.parse import urlsplit

from tortoise.transactions import in_transaction

from loyalty import audit
from loyalty.clock import utcnow
from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.phones import normalize_phone
from loyalty.pictures import NAME as PICTURE_NAME
from loyalty.rules import get_rules
from loyalty.showcase import checked_link
from loyalty.staff.access import check_branch_scope
from loyalty.staff.club_settings import SETTINGS, rule_value
from loyalty.staff.permissions import Action, require
from models import Reward, Staff

DEFAULT_COLOUR = "#0f766e"
# The look's fields a form may set, with the longest text each takes (their columns).
LOOK: dict[str, int] = {
    "colour": 7,
    "phone": 30,  # as typed, spaces and all; stored as E.164
    "address": 300,
    "website": 200,
    "instagram": 200,
    "about": 500,
}
PICTURES = ("logo", "cover")
_COLOUR = re.compile(r"#[0-9a-f]{6}")
# Control and direction-override characters: a pasted text must not turn the page's
# lines around. The zero-width non-joiner stays: Persian words need it.
_HIDDEN = re.compile(r"[\u0000-\u0009\u000b-\u001f\u007f\u200b\u202a-\u202e\u2066-\u2069\ufeff]")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_HANDLE = re.compile(r"@?([A-Za-z0-9_.]{1,30})")


class SettingsRefused(Exception):
    """Some values of a form refused, each with its reason; nothing was saved."""

    def __init__(self, errors: dict[str, LoyaltyError]) -> None:
        super().__init__(", ".join(errors))
        self.errors = errors


def look_value(key: str, raw: str) -> str:
    """The value `raw` gives the look's field `key`; refused with the reason."""
    longest = LOOK.get(key)
    if longest is None:
        raise LoyaltyError(ErrorCode.INVALID_SETTING, key=key)
    text = _HIDDEN.sub("", raw or "").strip()
    if key == "about":  # lines kept, each tidied
        text = "\n".join(" ".join(line.split()) for line in text.splitlines()).strip()
    else:
        text = " ".join(text.split())
    if key == "colour":
        if not _COLOUR.fullmatch(text.lower()):
            raise LoyaltyError(ErrorCode.BAD_COLOUR)
        return text.lower()
    if len(text) > longest:
        raise LoyaltyError(ErrorCode.TEXT_TOO_LONG, max=longest)
    if key == "phone" and text:
        try:  # the club's own line: a landline as well as a mobile
            text = normalize_phone(text)
        except LoyaltyError:
            raise LoyaltyError(ErrorCode.INVALID_CONTACT_PHONE) from None
    elif key in ("website", "instagram") and text:
        handle = _HANDLE.fullmatch(text) if key == "instagram" else None
        text = f"https://instagram.com/{handle.group(1)}" if handle else _link(text)
    return text


def _link(text: str) -> str:
    """An address a page may link to: http(s) only (never javascript: or data:); a bare
    name (`www.cafe.ir`) is taken as https."""
    if not _SCHEME.match(text):
        text = f"https://{text}"
    link = checked_link(text)  # the one rule for every link members are shown
    if "." not in (urlsplit(link).hostname or ""):
        raise LoyaltyError(ErrorCode.INVALID_LINK)
    return link


def check_settings(values: Mapping[str, str]) -> dict[str, str | int | Decimal | None]:
    """The values a settings form gives (rules, look, pictures' names), each checked; if any
    is refused, SettingsRefused names each with its reason."""
    checked: dict[str, str | int | Decimal | None] = {}
    errors: dict[str, LoyaltyError] = {}
    for key, raw in values.items():
        try:
            if key in SETTINGS:
                checked[key] = rule_value(key, raw)
            elif key in PICTURES:
                checked[key] = picture_name(raw)
            else:
                checked[key] = look_value(key, raw)
        except LoyaltyError as error:
            errors[key] = error
    if errors:
        raise SettingsRefused(errors)
    return checked


async def save_settings(
    staff: Staff, values: Mapping[str, str], *, now: datetime | None = None
) -> list[str]:
    """The club's rules (`/settings` keys) and look from one form, all or none
    (`check_settings`). Only the values that change are saved, each audited as `/settings`
    audits it; their keys. The logo and the cover are a stored picture's name, "" for none.
    """
    now = now or utcnow()
    require(staff, Action.SETTINGS)
    checked = check_settings(values)
    async with in_transaction():
        rules = await get_rules()
        changed = [key for key, value in checked.items() if getattr(rules, key) != value]
        if not changed:
            return []
        for key in changed:
            setattr(rules, key, checked[key])
        # These fields alone, as `/settings` saves one: others changed meanwhile stay.
        await rules.save(update_fields=[*changed, "updated_at"])
        for key in changed:
            value = checked[key]
            await audit.record(
                "settings",
                staff_id=staff.id,
                now=now,
                key=key,
                value="" if value is None else str(value),
            )
    return changed


def picture_name(raw: str | None) -> str | None:
    """A stored picture's name (loyalty/pictures.py) as the club's rows keep it; None for
    none; BAD_PICTURE for anything else."""
    if not raw:
        return None
    if not PICTURE_NAME.fullmatch(raw):
        raise LoyaltyError(ErrorCode.BAD_PICTURE)
    return raw


async def set_reward_picture(
    staff: Staff, reward_id: int, name: str | None, *, now: datetime | None = None
) -> Reward:
    """A reward's picture (a stored picture's name, or None for none); as the reward's
    other fields, by managers of its branch and the owner."""
    now = now or utcnow()
    require(staff, Action.REWARDS)
    name = picture_name(name)
    reward = await Reward.get_or_none(id=reward_id, active=True)
    if reward is None:
        raise LoyaltyError(ErrorCode.REWARD_NOT_FOUND, reward=reward_id)
    check_branch_scope(staff, reward.branch_id)
    reward.picture = name
    await reward.save(update_fields=["picture"])
    await audit.record("reward_picture", staff_id=staff.id, now=now, reward=reward.id, picture=name)
    return reward
