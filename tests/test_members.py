"""Joining, phones, cards, linking Telegram, referrals, leaving."""

import asyncio

import asyncpg
import pytest

from loyalty import earning, erasure, ledger, members
from loyalty.codes import clean_card_number, new_card_number
from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.phones import is_iranian_mobile, normalize_phone
from models import Card, EntryKind, LedgerEntry, Member, OutboxMessage
from tests.conftest import NOW, POSTGRES_URL
from tests.helpers import member, set_rules, waiting_for_lock


@pytest.mark.parametrize(
    "raw",
    [
        "09121234567",
        "9121234567",
        "+989121234567",
        "00989121234567",
        "۰۹۱۲۱۲۳۴۵۶۷",
        "٠٩١٢١٢٣٤٥٦٧",
        "0912 123 4567",
    ],
)
def test_every_iranian_form_becomes_e164(raw: str) -> None:
    assert normalize_phone(raw) == "+989121234567"


@pytest.mark.parametrize("raw", ["", "12345", "0912", "hello", "+98912123456789"])
def test_malformed_phone_is_a_domain_error(raw: str) -> None:
    with pytest.raises(LoyaltyError) as caught:
        normalize_phone(raw)
    assert caught.value.code is ErrorCode.INVALID_PHONE


def test_only_iranian_mobiles_count_as_mobiles() -> None:
    assert is_iranian_mobile("09121234567") and is_iranian_mobile("+989901234567")
    assert not is_iranian_mobile("02188776655")
    assert not is_iranian_mobile("10008663")
    assert not is_iranian_mobile("+14155550100")  # a US number that may be a mobile
    assert not is_iranian_mobile("+447911123456")


def test_card_number_check_digit_catches_one_wrong_digit() -> None:
    number = new_card_number()
    assert len(number) == 8 and clean_card_number(number) == number
    wrong = number[:3] + str((int(number[3]) + 1) % 10) + number[4:]
    with pytest.raises(LoyaltyError) as caught:
        clean_card_number(wrong)
    assert caught.value.code is ErrorCode.INVALID_CARD


async def test_joining_gives_card_tier_and_signup_bonus(db: str) -> None:
    result = await members.register_member("09121234567", first_name=" Sara ", now=NOW)
    m = result.member
    assert result.created and result.bonus == 20
    assert (m.phone, m.first_name, m.balance) == ("+989121234567", "Sara", 20)
    entry = await LedgerEntry.get(member_id=m.id)
    assert (entry.kind, entry.amount, entry.reason) == (EntryKind.BONUS, 20, "signup")
    assert (await m.tier).code == "bronze"
    card = await members.active_card(m.id)
    assert (await members.find_member(card.number)).id == m.id
    assert (await members.find_member("۰۹۱۲۱۲۳۴۵۶۷")).id == m.id


async def test_same_phone_again_links_telegram_and_keeps_points(db: str) -> None:
    by_sms = await members.register_member("09121234567", now=NOW)
    linked = await members.register_member(
        "+989121234567", telegram_id=555, first_name="Reza", now=NOW
    )
    assert not linked.created and linked.bonus == 0
    assert linked.member.id == by_sms.member.id
    fresh = await Member.get(id=by_sms.member.id)
    assert (fresh.telegram_id, fresh.balance, fresh.first_name) == (555, 20, "Reza")
    assert await Member.all().count() == 1


async def test_telegram_account_of_another_member_is_refused(db: str) -> None:
    await members.register_member("09121234567", telegram_id=555, now=NOW)
    with pytest.raises(LoyaltyError) as caught:
        await members.register_member("09351234567", telegram_id=555, now=NOW)
    assert caught.value.code is ErrorCode.TELEGRAM_LINKED_ELSEWHERE
    assert await Member.all().count() == 1


async def test_name_of_500_characters_is_refused(db: str) -> None:
    with pytest.raises(LoyaltyError) as caught:
        await members.register_member("09121234567", first_name="x" * 500, now=NOW)
    assert caught.value.code is ErrorCode.INVALID_NAME
    assert await Member.all().count() == 0


async def test_unknown_member(db: str) -> None:
    with pytest.raises(LoyaltyError) as caught:
        await members.find_member("09129999999")
    assert caught.value.code is ErrorCode.MEMBER_NOT_FOUND


async def test_replacement_card_retires_the_old_number(db: str) -> None:
    m = await member(NOW)
    old = await members.active_card(m.id)
    replacement = await members.replace_card(m.id, now=NOW)
    new = replacement.card
    assert (new.number != old.number, replacement.old) == (True, old.number)
    with pytest.raises(LoyaltyError) as caught:
        await members.find_member(old.number)
    assert caught.value.code is ErrorCode.CARD_REPLACED
    assert (await members.find_member(new.number)).id == m.id
    history = await Card.filter(member_id=m.id).order_by("id")
    assert [(c.number, c.active) for c in history] == [(old.number, False), (new.number, True)]


async def test_referral_pays_both_after_first_purchase_only(any_db: str) -> None:
    await set_rules(referral_bonus_referrer=50, referral_bonus_referred=30)
    friend = await member(NOW)
    newcomer = (
        await members.register_member("09350000001", referral_code=friend.referral_code, now=NOW)
    ).member
    assert (await Member.get(id=friend.id)).balance == 20  # nothing before a purchase
    await earning.award_purchase(newcomer.id, 100_000, receipt="1", now=NOW)
    await earning.award_purchase(newcomer.id, 100_000, receipt="2", now=NOW)
    assert (await Member.get(id=friend.id)).balance == 20 + 50
    assert (await Member.get(id=newcomer.id)).balance == 20 + 30 + 10 + 10
    assert await members.referral_count(friend.id) == 1
    assert (
        await OutboxMessage.filter(member_id=friend.id, template="referral_rewarded").count() == 1
    )
    # Each purchase's message tells the balance after it, the first one's bonus included.
    earned = await OutboxMessage.filter(member_id=newcomer.id, template="points_earned").order_by(
        "id"
    )
    assert [m.params["balance"] for m in earned] == [20 + 10 + 30, 20 + 10 + 30 + 10]


async def test_own_or_unknown_referral_code_gives_nothing(db: str) -> None:
    m = (await members.register_member("09350000001", referral_code="nosuchcode", now=NOW)).member
    assert m.referred_by_id is None
    again = await members.register_member("09350000001", referral_code=m.referral_code, now=NOW)
    assert (await Member.get(id=again.member.id)).referred_by_id is None


async def test_delete_my_data_keeps_anonymous_ledger(db: str) -> None:
    m = await member(NOW, first_name="Nima")
    await earning.award_purchase(m.id, 100_000, receipt="1", now=NOW)
    await erasure.delete_member_data(m.id, now=NOW)
    gone = await Member.get(id=m.id)
    assert (gone.phone, gone.telegram_id, gone.first_name, gone.birth_date) == (
        None,
        None,
        "",
        None,
    )
    assert await LedgerEntry.filter(member_id=m.id).count() == 2
    assert await ledger.ledger_sum(m.id) == gone.balance
    with pytest.raises(LoyaltyError):
        await members.get_member(m.id)


async def _purchase_held_open(
    connection: asyncpg.Connection, member_id: int
) -> asyncpg.transaction.Transaction:
    """A purchase of 100 points by another process, holding the member's row, not committed."""
    held = connection.transaction()
    await held.start()
    await connection.execute("UPDATE member SET balance = balance + 100 WHERE id = $1", member_id)
    await connection.execute(
        "INSERT INTO ledger_entry (member_id, kind, amount, reason, note, idempotency_key, "
        "created_at)"
        " VALUES ($1, 'earn', 100, 'purchase', '', 'elsewhere', $2)",
        member_id,
        NOW,
    )
    return held


async def _commit_once_waited_for(
    connection: asyncpg.Connection, held: object, task: asyncio.Task[object]
) -> None:
    await waiting_for_lock(connection, task)
    await held.commit()  # type: ignore[attr-defined]


@pytest.mark.parametrize("change", ["profile", "delete"])
async def test_a_profile_edit_or_a_deletion_keeps_a_purchase_made_meanwhile(
    any_db: str, change: str
) -> None:
    # The member's row is rewritten while a purchase holds it: the purchase's points must
    # stay in the balance, as in the ledger.
    if any_db != "postgres":
        pytest.skip(
            "SQLite has one writer: the profile's transaction and a purchase cannot overlap"
        )
    m = await member(NOW)
    other = await asyncpg.connect(POSTGRES_URL)
    try:
        held = await _purchase_held_open(other, m.id)
        edit = (
            members.update_profile(m.id, first_name="سارا")
            if change == "profile"
            else erasure.delete_member_data(m.id, now=NOW)
        )
        task = asyncio.create_task(edit)
        await _commit_once_waited_for(other, held, task)
        await task
    finally:
        await other.close()
    stored = await Member.get(id=m.id)
    assert stored.balance == m.balance + 100 == await ledger.ledger_sum(m.id)
    assert (stored.first_name, stored.deleted_at) == (
        ("سارا", None) if change == "profile" else ("", NOW)
    )


async def test_a_profile_edit_does_not_write_back_a_member_deleted_meanwhile(any_db: str) -> None:
    if any_db != "postgres":
        pytest.skip("SQLite has one writer: the deletion and the edit cannot overlap")
    m = await member(NOW)
    other = await asyncpg.connect(POSTGRES_URL)
    try:
        held = other.transaction()
        await held.start()
        await other.execute(
            "UPDATE member SET first_name = '', deleted_at = $2 WHERE id = $1", m.id, NOW
        )
        task = asyncio.create_task(members.update_profile(m.id, first_name="Sara"))
        await _commit_once_waited_for(other, held, task)
        with pytest.raises(LoyaltyError) as refused:
            await task
    finally:
        await other.close()
    assert refused.value.code is ErrorCode.MEMBER_NOT_FOUND
    assert (await Member.get(id=m.id)).first_name == ""


async def test_linking_telegram_does_not_write_onto_a_member_deleted_since_it_was_read(
    any_db: str,
) -> None:
    m = await member(NOW)
    read_before = await Member.get(id=m.id)
    await erasure.delete_member_data(m.id, now=NOW)
    with pytest.raises(LoyaltyError) as refused:
        await members._link(read_before, 777_000, "Sara", "")
    assert refused.value.code is ErrorCode.MEMBER_DELETED
    stored = await Member.get(id=m.id)
    assert (stored.telegram_id, stored.first_name, stored.reachable_telegram) == (None, "", False)
