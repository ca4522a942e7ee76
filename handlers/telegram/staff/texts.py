"""A line of an import report; staff refusals and amounts, from handlers/staff_words.py."""

from __future__ import annotations

from handlers.i18n import N_, t
from handlers.staff_words import amount, staff_error_text
from loyalty.errors import LoyaltyError
from loyalty.importing import RowError

# Worded once for the chat and the pages; imported from here by the chat's modules.
__all__ = ["amount", "row_error_text", "staff_error_text"]


def row_error_text(error: RowError, locale: str) -> str:
    """One line of an import report: where the problem is and what it is."""
    reason = staff_error_text(LoyaltyError(error.code, **error.values), locale)
    return t(
        N_("Line {line}, column {column}: {reason}"),
        locale,
        line=error.line,
        column=error.column,
        reason=reason,
    )
