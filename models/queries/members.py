"""Members read by the busiest doors: a purchase, /earn, and every chat update."""

from __future__ import annotations

from typing import NamedTuple

from models.members import Member
from models.queries.club import CONFIG_TOKEN
from models.statements import Select, Statement, loaded


class MemberAndToken(NamedTuple):
    member: Member
    config_token: str | None  # the set-up's, read in the same statement


_by_id = Select(Member, "id = ?")
_by_id_locked = Select(Member, "id = ?", locking=True)
_by_active_card = Select(
    Member, "id = (SELECT member_id FROM card WHERE number = ? AND active = ?)"
)
# The dialogs' getters ask it on every window.
_by_telegram = Select(Member, "telegram_id = ? AND deleted_at IS NULL")
# Every Telegram update asks it: one column, no member to build.
_locale_by_telegram = Statement(
    Member, "SELECT locale FROM member WHERE telegram_id = ? AND deleted_at IS NULL"
)
# A purchase reads its member locked. On PostgreSQL concurrent purchases of a member then
# wait here, not at the balance's UPDATE, and each later statement of the purchase sees
# every purchase committed before it: its points follow the current tier, and the tier
# window's sum counts the others' points (read on the UPDATE's snapshot instead, ten
# purchases at once that together reached a tier left the member below it).
_with_token = Statement(
    Member, f"SELECT *, {CONFIG_TOKEN} AS config_token FROM member WHERE id = ?", locking=True
)
_with_token_by_telegram = Statement(
    Member,
    f"SELECT *, {CONFIG_TOKEN} AS config_token FROM member"
    " WHERE telegram_id = ? AND deleted_at IS NULL",
)


async def member_by_id(member_id: int, *, lock: bool = False) -> Member | None:
    """`lock`: under the row lock until the transaction ends (PostgreSQL)."""
    return await (_by_id_locked if lock else _by_id).first(member_id)


async def member_by_active_card(number: str) -> Member | None:
    return await _by_active_card.first(number, True)


async def member_by_telegram(telegram_id: int) -> Member | None:
    return await _by_telegram.first(telegram_id)


async def locale_by_telegram(telegram_id: int) -> str | None:
    rows = await _locale_by_telegram.rows(telegram_id)
    return rows[0]["locale"] if rows else None


def _with_token_of(rows: list[dict]) -> MemberAndToken | None:  # type: ignore[type-arg]
    if not rows:
        return None
    token = rows[0].pop("config_token")
    return MemberAndToken(loaded(Member, rows[0]), token)


async def member_with_token(member_id: int) -> MemberAndToken | None:
    """The member (deleted or not), locked, with the set-up's token."""
    return _with_token_of(await _with_token.rows(member_id))


async def member_with_token_by_telegram(telegram_id: int) -> MemberAndToken | None:
    """The member with this Telegram id, not deleted, with the set-up's token."""
    return _with_token_of(await _with_token_by_telegram.rows(telegram_id))
