"""Forgetting a member who asked for it: whatever names them goes, the amounts stay.

The member's row stays, anonymous, because the ledger and the purchases keep their numbers
for the books and point at it. Everything else that identifies the person is erased or
blanked: the profile, cards, codes, what they wrote and what was written to them (SMS
received and sent, feedback and messages with their answers, queued notifications), staff
notes and the voucher codes in the audit trail, and a former staff account of the same
Telegram user. Open vouchers are cancelled, their points returned as for any cancelled
voucher, and the till refuses their codes as cancelled (`rewards.find_voucher`).

A chat's dialog state is the Telegram door's to clear: it lives in the FSM storage.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import phonenumbers
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from loyalty import rewards
from loyalty.clock import utcnow
from loyalty.errors import LoyaltyError
from loyalty.members import get_member
from loyalty.phones import parse_phone
from models import (
    AuditEntry,
    Card,
    ErasedVoucherCode,
    Gender,
    InboundSms,
    InboxItem,
    LedgerEntry,
    Member,
    OutboxMessage,
    OutboxStatus,
    SmsLog,
    Staff,
    SurveyAnswer,
    SurveyResponse,
    Voucher,
    VoucherStatus,
)
from models.queries import audit as audit_sql

# Audit details keep their numbers and receipts (as the purchases do); every other text in
# the details of an action about the member goes: a voucher code, a staff member's note.
_KEPT_TEXT = {"receipt"}


def erased_code(member_or_voucher_id: int) -> str:
    """A placeholder for a unique code: lower case, which no code typed at the till becomes."""
    return f"erased-{member_or_voucher_id}"


def phone_forms(e164: str) -> set[str]:
    """The ways a number is written in the club's records: E.164, and as SMS receptors."""
    national = phonenumbers.national_significant_number(parse_phone(e164))
    return {e164, e164.lstrip("+"), "00" + e164.lstrip("+"), "0" + national, national}


async def delete_member_data(member_id: int, *, now: datetime | None = None) -> None:
    """Forget who the member is. Ledger rows and purchases stay, tied to an anonymous record."""
    now = now or utcnow()
    async with in_transaction():
        # Locked: a purchase or redemption of the member waits, and sees the member deleted.
        member = await get_member(member_id, lock=True)
        await _cancel_open_vouchers(member_id, now)
        await _forget_codes(member)
        await _forget_messages(member, now)
        await _forget_notes(member_id)
        await _forget_survey_texts(member_id)
        await _forget_former_staff(member)
        await _forget_profile(member, now)


async def _cancel_open_vouchers(member_id: int, now: datetime) -> None:
    for voucher in await Voucher.filter(member_id=member_id, status=VoucherStatus.ISSUED):
        try:
            await rewards.cancel_voucher(voucher.code, now=now)
        except LoyaltyError:
            continue  # used at the till a moment ago
        await ErasedVoucherCode.get_or_create(digest=rewards.code_digest(voucher.code))


async def _forget_codes(member: Member) -> None:
    for voucher in await Voucher.filter(member_id=member.id):
        voucher.code = erased_code(voucher.id)
        await voucher.save(update_fields=["code"])
    await Card.filter(member_id=member.id).delete()


async def _forget_messages(member: Member, now: datetime) -> None:
    received = Q(member_id=member.id)
    if member.phone:
        received |= Q(sender=member.phone)
        await SmsLog.filter(receptor__in=phone_forms(member.phone)).delete()
        # Answers to the number from before it joined are addressed by phone, not member.
        await OutboxMessage.filter(phone__in=phone_forms(member.phone)).update(
            phone=None, params={}, last_error=""
        )
    await InboundSms.filter(received).delete()
    await InboxItem.filter(member_id=member.id).update(text="")
    await InboxItem.filter(member_id=member.id, answer__not_isnull=True).update(answer="")
    # Out of the staff's queue: there is no one left to answer.
    await InboxItem.filter(member_id=member.id, answered_at=None).update(answered_at=now)
    await OutboxMessage.filter(
        member_id=member.id, status__in=(OutboxStatus.PENDING, OutboxStatus.SENDING)
    ).update(status=OutboxStatus.SKIPPED)
    await OutboxMessage.filter(member_id=member.id).update(params={}, last_error="")


async def _forget_notes(member_id: int) -> None:
    """Staff's own words about the member; the ledger's amounts and reasons stay as written."""
    await LedgerEntry.filter(member_id=member_id).exclude(note="").update(note="")
    for entry in await AuditEntry.filter(id__in=await audit_sql.ids_about_member(member_id)):
        entry.details = {key: _blank_text(key, value) for key, value in entry.details.items()}
        await entry.save(update_fields=["details"])


async def _forget_survey_texts(member_id: int) -> None:
    """Free text may name the member; a choice, a rating or a score is a count in the results."""
    responses = await SurveyResponse.filter(member_id=member_id).values_list("id", flat=True)
    if responses:
        await SurveyAnswer.filter(response_id__in=responses).exclude(text="").update(text="")


def _blank_text(key: str, value: Any) -> Any:
    return "" if isinstance(value, str) and key not in _KEPT_TEXT else value


async def _forget_former_staff(member: Member) -> None:
    """A former staff account of the same person; a current one stays, as the club's to end."""
    if member.telegram_id is None:
        return
    for staff in await Staff.filter(telegram_id=member.telegram_id, active=False):
        # Telegram ids are positive: a negative one is unique and no one's.
        staff.name, staff.telegram_id = "", -staff.id
        await staff.save(update_fields=["name", "telegram_id"])


async def _forget_profile(member: Member, now: datetime) -> None:
    forgotten = {
        "phone": None,
        "telegram_id": None,
        "first_name": "",
        "last_name": "",
        "company_name": "",
        "birth_date": None,
        "gender": Gender.UNSPECIFIED,
        "referral_code": erased_code(member.id),
        "consent_telegram": False,
        "consent_sms": False,
        "reachable_telegram": False,
        "reachable_sms": False,
        "deleted_at": now,
    }
    # Only these fields: the balance stays the ledger's.
    member.update_from_dict(forgotten)
    await member.save(update_fields=list(forgotten))
    await member.interests.clear()
