"""Tortoise models: storage only. Rules live in `loyalty/`."""

from models.club import Branch, ClubRules, ProductGroup, Tier
from models.enums import (
    Channel,
    CustomerType,
    EntryKind,
    Gender,
    InboxKind,
    OutboxStatus,
    RewardKind,
    StaffRole,
    VoucherStatus,
)
from models.jobs import Campaign, JobLease, Lottery
from models.ledger import LedgerEntry, Purchase
from models.members import Card, Member, TierChange
from models.messaging import InboxItem, OutboxMessage
from models.rewards import Reward, Voucher
from models.staff import AuditEntry, Staff

__all__ = [
    "AuditEntry",
    "Branch",
    "Campaign",
    "Card",
    "Channel",
    "ClubRules",
    "CustomerType",
    "EntryKind",
    "Gender",
    "InboxItem",
    "InboxKind",
    "JobLease",
    "LedgerEntry",
    "Lottery",
    "Member",
    "OutboxMessage",
    "OutboxStatus",
    "ProductGroup",
    "Purchase",
    "Reward",
    "RewardKind",
    "Staff",
    "StaffRole",
    "Tier",
    "TierChange",
    "Voucher",
    "VoucherStatus",
]
