"""The owner's figures: counted and grouped in the database, where reading every row into
Python grew with the club (BENCHMARKS.md, "Audiences and RFM in SQL"; benchmark 7)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from models.ledger import LedgerEntry, Purchase
from models.members import Card, Member
from models.statements import Statement, db_value

Row = dict[str, Any]


@functools.lru_cache(maxsize=8)
def _figures_statement(ages: tuple[str, ...], branch: bool) -> Statement:
    # One scan of the member table grouped by every dimension at once: a few hundred groups.
    age = " ".join(f"WHEN birth_date > ? THEN '{name}'" for name in ages)
    return Statement(
        Member,
        f"""
        SELECT tier_id, gender, customer_type, branch_id,
               CASE WHEN birth_date IS NULL THEN 'unknown' {age} ELSE 'unknown' END AS age,
               COUNT(*) AS n,
               SUM(CASE WHEN telegram_id IS NOT NULL AND reachable_telegram = ? THEN 1 ELSE 0 END)
                   AS churned
        FROM member
        WHERE deleted_at IS NULL AND joined_at <= ? {"AND branch_id = ?" if branch else ""}
        GROUP BY tier_id, gender, customer_type, branch_id, age
    """,
    )


async def member_figures(
    ages: Sequence[tuple[str, date]], end: datetime, branch_id: int | None
) -> list[Row]:
    """Members who joined by `end`, not deleted, counted by tier, gender, customer type,
    branch and age group (`ages`: a group's name and the birth date after which a member
    is too young for it, youngest first); `churned`: on Telegram and unreachable there."""
    statement = _figures_statement(tuple(name for name, _ in ages), branch_id is not None)
    params = [db_value(Member, "birth_date", bound) for _, bound in ages]
    params += [db_value(Member, "reachable_telegram", False), db_value(Member, "joined_at", end)]
    if branch_id is not None:
        params.append(branch_id)
    return await statement.rows(*params)


def _bucket(column: str, periods: int) -> str:
    """The index of the period `column` falls in, NULL outside the report (or when NULL)."""
    steps = " ".join(f"WHEN {column} < ? THEN {n}" for n in range(periods - 1))
    return f"CASE WHEN {column} < ? THEN NULL {steps} WHEN {column} <= ? THEN {periods - 1} END"


@functools.lru_cache(maxsize=64)
def _timeline_statement(periods: int, branch: bool) -> Statement:
    # One scan for both: neither joined_at nor deleted_at is indexed.
    return Statement(
        Member,
        f"""
        SELECT {_bucket("joined_at", periods)} AS joined, {_bucket("deleted_at", periods)} AS gone,
               COUNT(*) AS n
        FROM member
        WHERE ((joined_at >= ? AND joined_at <= ?) OR (deleted_at >= ? AND deleted_at <= ?))
              {"AND branch_id = ?" if branch else ""}
        GROUP BY 1, 2
    """,
    )


async def joined_and_left(edges: Sequence[datetime], branch_id: int | None) -> list[Row]:
    """Members who joined and who left between `edges` (the first period's start, each
    next period's, the last one's end): `joined` and `gone` are the periods' indexes
    (NULL: not in the report), `n` how many members."""
    at = [db_value(Member, "joined_at", edge) for edge in edges]
    params = [*at, *at, at[0], at[-1], at[0], at[-1]]
    if branch_id is not None:
        params.append(branch_id)
    return await _timeline_statement(len(edges) - 1, branch_id is not None).rows(*params)


@functools.lru_cache(maxsize=64)
def _points_statement(periods: int, branch: bool) -> Statement:
    # Grouped by period, kind and whether a voucher is named: the few sums the owner's
    # weekly points are made of, in one scan of the report's days.
    scope = "AND member_id IN (SELECT id FROM member WHERE branch_id = ?)" if branch else ""
    return Statement(
        LedgerEntry,
        f"""
        SELECT {_bucket("created_at", periods)} AS period, kind,
               CASE WHEN voucher_id IS NULL THEN 0 ELSE 1 END AS voucher,
               SUM(CASE WHEN amount > 0 THEN amount ELSE 0 END) AS gained, SUM(amount) AS total
        FROM ledger_entry
        WHERE created_at >= ? AND created_at <= ? {scope}
        GROUP BY 1, 2, 3
    """,
    )


async def points_by_period(edges: Sequence[datetime], branch_id: int | None) -> list[Row]:
    """Ledger sums between `edges` (as `joined_and_left`): `period` (its index), `kind`,
    `voucher` (1 when the rows name a voucher), `gained` (the positive amounts) and `total`."""
    at = [db_value(LedgerEntry, "created_at", edge) for edge in edges]
    params: list[object] = [*at, at[0], at[-1]]
    if branch_id is not None:
        params.append(branch_id)
    return await _points_statement(len(edges) - 1, branch_id is not None).rows(*params)


@functools.lru_cache(maxsize=64)
def _buyers_statement(periods: int, branch: bool) -> Statement:
    return Statement(
        Purchase,
        f"""
        SELECT {_bucket("created_at", periods)} AS period, COUNT(DISTINCT member_id) AS n
        FROM purchase
        WHERE created_at >= ? AND created_at <= ? {"AND branch_id = ?" if branch else ""}
        GROUP BY 1
    """,
    )


async def buyers_by_period(edges: Sequence[datetime], branch_id: int | None) -> list[Row]:
    """How many members bought (`n`) in each period between `edges` (`period`: its index);
    of a branch, at its tills."""
    at = [db_value(Purchase, "created_at", edge) for edge in edges]
    params: list[object] = [*at, at[0], at[-1]]
    if branch_id is not None:
        params.append(branch_id)
    return await _buyers_statement(len(edges) - 1, branch_id is not None).rows(*params)


# By hand, not through the ORM: converting a row's values through their fields cost more
# than the row's whole read (a birth date and a time through iso8601, 30 µs each).
def _member_page(branch: bool) -> Statement:
    return Statement(
        Member,
        f"""
        SELECT id, phone, first_name, last_name, birth_date, gender, customer_type, branch_id,
               tier_id, balance, joined_at
        FROM member WHERE deleted_at IS NULL AND id > ? {"AND branch_id = ?" if branch else ""}
        ORDER BY id LIMIT ?
    """,
    )


_member_pages = {branch: _member_page(branch) for branch in (False, True)}
# The page's range of ids, not a list of them: binding a thousand values cost as much as the read.
_active_cards = Statement(
    Card, "SELECT member_id, number FROM card WHERE active = ? AND member_id BETWEEN ? AND ?"
)


async def member_page(after: int, branch_id: int | None, limit: int) -> list[Row]:
    """Members not deleted with an id above `after`, by id, as stored (SQLite's dates are text)."""
    params = [after, branch_id, limit] if branch_id is not None else [after, limit]
    return await _member_pages[branch_id is not None].rows(*params)


async def active_cards(first: int, last: int) -> dict[int, str]:
    """The active card numbers of the members with ids from `first` to `last`."""
    rows = await _active_cards.rows(db_value(Card, "active", True), first, last)
    return {row["member_id"]: row["number"] for row in rows}


class RfmScores:
    """Members scored by the recency and frequency of their purchases since a moment, and
    segmented, in one statement grouped in the database.

    `segments`: a segment's name and its condition, SQL over the scores `r` and `f`, the
    first that holds names it; `recency_steps` and `frequency_steps`: how many bounds each
    score has (5 for the first bound met, 4 for the next, ..., else 1).
    """

    def __init__(
        self, segments: Sequence[tuple[str, str]], recency_steps: int, frequency_steps: int
    ) -> None:
        segment = "CASE " + " ".join(f"WHEN {rule} THEN '{name}'" for name, rule in segments)
        scored = f"""
            SELECT member_id, r, f, {segment} END AS segment FROM (
                SELECT member_id, {_steps("last_at", recency_steps)} AS r,
                       {_steps("n", frequency_steps)} AS f FROM (
                    SELECT p.member_id, MAX(p.created_at) AS last_at, COUNT(*) AS n
                    FROM purchase p JOIN member m ON m.id = p.member_id AND m.deleted_at IS NULL
                    WHERE p.created_at > ? AND p.refunded_amount < p.amount
                    GROUP BY p.member_id
                ) buyers
            ) scored
        """
        self._scored = Statement(Purchase, scored)
        self._counts = Statement(
            Purchase, f"SELECT segment, COUNT(*) AS n FROM ({scored}) s GROUP BY segment"
        )
        self._members_of = Statement(
            Purchase, f"SELECT member_id FROM ({scored}) s WHERE segment = ? ORDER BY member_id"
        )

    @staticmethod
    def _params(
        recency: Sequence[datetime], frequency: Sequence[int], since: datetime
    ) -> list[object]:
        at = [db_value(Purchase, "created_at", bound) for bound in recency]
        return [*at, *frequency, db_value(Purchase, "created_at", since)]

    async def scores(
        self, recency: Sequence[datetime], frequency: Sequence[int], since: datetime
    ) -> list[Row]:
        """Every buyer since `since`: `member_id`, `r`, `f`, `segment`. `recency`: the
        last purchase's bounds, most recent first; `frequency`: the counts, highest first."""
        return await self._scored.rows(*self._params(recency, frequency, since))

    async def counts(
        self, recency: Sequence[datetime], frequency: Sequence[int], since: datetime
    ) -> list[Row]:
        """`segment` and `n`, its members."""
        return await self._counts.rows(*self._params(recency, frequency, since))

    async def members_of(
        self, segment: str, recency: Sequence[datetime], frequency: Sequence[int], since: datetime
    ) -> list[int]:
        rows = await self._members_of.rows(*self._params(recency, frequency, since), segment)
        return [row["member_id"] for row in rows]


def _steps(column: str, count: int) -> str:
    """5 when `column >= ?` holds for the first of `count` parameters, 4 for the next, ...,
    else 1."""
    whens = " ".join(f"WHEN {column} >= ? THEN {5 - n}" for n in range(count))
    return f"CASE {whens} ELSE 1 END"
