"""A cashier's /earn: the staff member, the daily cap's sum, the receipt already recorded."""

from __future__ import annotations

from models.ledger import LedgerEntry, Purchase
from models.staff import Staff
from models.statements import Select, Statement

active_staff_by_telegram = Select(Staff, "telegram_id = ? AND active = ?", limit=1)
# A cashier's purchases wait here for each other's check of the daily cap.
lock_staff = Statement(Staff, "SELECT id FROM staff WHERE id = ?", locking=True)
receipt_recorded = Statement(
    Purchase, "SELECT 1 AS found FROM purchase WHERE branch_id = ? AND receipt = ? LIMIT 1"
)
# Points a staff member issued since a moment: the staff member, two kinds, the moment.
issued_since = Statement(
    LedgerEntry,
    "SELECT COALESCE(SUM(amount), 0) AS total FROM ledger_entry"
    " WHERE staff_id = ? AND kind IN (?, ?) AND amount > 0 AND created_at >= ?",
)
