"""Tortoise models: storage only. Rules live in `loyalty/`."""

from models.agents import Agent, Commission
from models.api import ApiKey, ApiRequest, WebhookCursor, WebhookDelivery
from models.charity import Cause, CharityGift
from models.club import Branch, ClubRules, ProductGroup, Tier
from models.discounts import DiscountRule, PromoBatch, PromoCode, PromoUse
from models.enums import (
    Channel,
    CodeSource,
    CommissionKind,
    CustomerType,
    EntryKind,
    Gender,
    InboxKind,
    OutboxStatus,
    RewardKind,
    StaffRole,
    VoucherStatus,
)
from models.festivals import Festival
from models.fsm import FsmRecord
from models.giftcards import GiftCard, GiftCardEntry, GiftCardKind, GiftCardStatus
from models.imports import ImportJob
from models.jobs import Campaign, ClubProcess, JobLease, Lottery
from models.ledger import LedgerEntry, Purchase
from models.members import Card, Member, TierChange
from models.messaging import InboxItem, OutboxMessage
from models.partners import Partner, PartnerCode
from models.rewards import ErasedVoucherCode, Reward, Voucher
from models.showcase import Banner, GalleryPicture
from models.sms import InboundOutcome, InboundSms, SmsLog
from models.staff import AuditEntry, Staff
from models.staff_extras import PanelLink, PendingApproval, StaffInvite
from models.surveys import Survey, SurveyAnswer, SurveyQuestion, SurveyResponse
from models.updates import TelegramUpdate
from models.web import WebSignInCode

__all__ = [
    "Agent",
    "ApiKey",
    "ApiRequest",
    "AuditEntry",
    "Banner",
    "Branch",
    "Campaign",
    "Card",
    "Cause",
    "Channel",
    "Commission",
    "CommissionKind",
    "CharityGift",
    "CodeSource",
    "ClubProcess",
    "ClubRules",
    "CustomerType",
    "DiscountRule",
    "EntryKind",
    "ErasedVoucherCode",
    "Festival",
    "GalleryPicture",
    "FsmRecord",
    "Gender",
    "GiftCard",
    "GiftCardEntry",
    "GiftCardKind",
    "GiftCardStatus",
    "ImportJob",
    "InboxItem",
    "InboxKind",
    "InboundOutcome",
    "InboundSms",
    "JobLease",
    "LedgerEntry",
    "Lottery",
    "Member",
    "OutboxMessage",
    "OutboxStatus",
    "Partner",
    "PartnerCode",
    "PendingApproval",
    "ProductGroup",
    "PromoBatch",
    "PromoCode",
    "PromoUse",
    "Purchase",
    "Reward",
    "RewardKind",
    "SmsLog",
    "Staff",
    "PanelLink",
    "StaffInvite",
    "Survey",
    "SurveyAnswer",
    "SurveyQuestion",
    "SurveyResponse",
    "TelegramUpdate",
    "WebSignInCode",
    "StaffRole",
    "Tier",
    "TierChange",
    "Voucher",
    "VoucherStatus",
    "WebhookCursor",
    "WebhookDelivery",
]
