"""The reward catalogue, redeeming points for vouchers, and using vouchers at the till."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NoReturn

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from loyalty import expiry, ledger, notify
from loyalty.clock import utcnow
from loyalty.codes import clean_voucher_code, new_voucher_code
from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.members import get_member
from loyalty.rules import ClubConfig, current_config, get_rules
from models import (
    CodeSource,
    EntryKind,
    ErasedVoucherCode,
    LedgerEntry,
    Member,
    PartnerCode,
    Reward,
    Tier,
    Voucher,
    VoucherStatus,
)
from models.queries import rewards as rewards_sql


@dataclass(frozen=True)
class Redemption:
    voucher: Voucher
    balance: int
    replayed: bool


def _check_reward(
    reward: Reward, member: Member, tier: Tier | None, min_tier: Tier | None, now: datetime
) -> None:
    """Everything about the reward and the member but the balance, which is checked atomically."""
    _check_offer(reward, now)
    if min_tier is not None and (tier is None or tier.threshold < min_tier.threshold):
        raise LoyaltyError(ErrorCode.TIER_TOO_LOW, reward=reward.id, tier=min_tier.code)
    if not for_customer(reward, member):
        raise LoyaltyError(
            ErrorCode.CUSTOMER_TYPE_ONLY, reward=reward.id, customer_type=str(reward.customer_type)
        )
    if member.balance < 0:
        raise LoyaltyError(ErrorCode.NEGATIVE_BALANCE, balance=member.balance)


def for_customer(reward: Reward, member: Member) -> bool:
    """Whether the reward is for members of this customer type (a company gift is not for
    an individual)."""
    return reward.customer_type is None or reward.customer_type == member.customer_type


async def catalog(
    *,
    now: datetime | None = None,
    branch_id: int | None = None,
    config: ClubConfig | None = None,
    partners: bool = False,
) -> list[Reward]:
    """Rewards on offer now, cheapest first, each with its `min_tier` loaded.

    The club's own rewards, or with `partners` the partners' offers (loyalty.partners).
    `config` is the set-up if the caller read it with the member; its tiers are shared
    by the process: read only.
    """
    now = now or utcnow()
    config = config or await current_config()
    ladder = {tier.id: tier for tier in config.tiers}
    offered = []
    for reward in await rewards_sql.active_rewards():
        if (reward.valid_from and now < reward.valid_from) or (
            reward.valid_until and now > reward.valid_until
        ):
            continue
        if branch_id is not None and reward.branch_id not in (None, branch_id):
            continue
        if (reward.partner_id is not None) is not partners:
            continue
        reward.min_tier = ladder[reward.min_tier_id] if reward.min_tier_id is not None else None
        offered.append(reward)
    return offered


async def affordable(
    member: Member,
    *,
    now: datetime | None = None,
    offered: list[Reward] | None = None,
    config: ClubConfig | None = None,
) -> list[Reward]:
    """The rewards of `offered` (else of the catalogue) that `member` can redeem now."""
    config = config or await current_config()
    if offered is None:
        offered = await catalog(now=now, config=config)
    ladder = {tier.id: tier for tier in config.tiers}
    threshold = ladder[member.tier_id].threshold if member.tier_id in ladder else None
    return [
        reward
        for reward in offered
        if reward.cost <= member.balance
        and for_customer(reward, member)
        and (
            reward.min_tier_id is None
            or (threshold is not None and threshold >= ladder[reward.min_tier_id].threshold)
        )
    ]


async def redeem_reward(
    member_id: int,
    reward_id: int,
    *,
    key: str | None = None,
    now: datetime | None = None,
) -> Redemption:
    """Debit the reward's cost and issue a voucher, once per key, never overdrawing."""
    now = now or utcnow()
    key = f"redeem:{key or uuid.uuid4().hex}"
    member = await get_member(member_id)
    reward = await Reward.get_or_none(id=reward_id)
    if reward is None:
        raise LoyaltyError(ErrorCode.REWARD_NOT_FOUND, reward=reward_id)
    tier = await Tier.get_or_none(id=member.tier_id) if member.tier_id else None
    min_tier = await Tier.get_or_none(id=reward.min_tier_id) if reward.min_tier_id else None
    _check_reward(reward, member, tier, min_tier, now)
    voucher_end = await _voucher_end(reward, now)

    result, _ = await ledger.once(
        lambda: _issue(member_id, reward, reward.cost, "redeem", key, now, voucher_end),
        lambda: _replay(member_id, key),
    )
    return result


async def _replay(member_id: int, key: str) -> Redemption | None:
    """The voucher an earlier call with this key issued, if any."""
    entry = await LedgerEntry.get_or_none(idempotency_key=key)
    if entry is None or entry.voucher_id is None:
        return None
    voucher = await Voucher.get(id=entry.voucher_id).prefetch_related("reward")
    return Redemption(voucher, await ledger.balance_of(member_id), True)


async def _issue(
    member_id: int, reward: Reward, cost: int, reason: str, key: str, now: datetime, end: datetime
) -> Redemption:
    """Take one from stock, create the voucher and its ledger row; call inside a transaction.

    A reward whose codes were uploaded (a partner's list) gives the next unused one: the
    row is locked (PostgreSQL; SQLite runs one transaction at a time), so two members
    taking the offer at once get different codes, and a rollback gives the code back."""
    if reward.stock is not None:
        taken = await Reward.filter(id=reward.id, stock__gt=0).update(stock=F("stock") - 1)
        if taken == 0:
            raise LoyaltyError(ErrorCode.REWARD_OUT_OF_STOCK, reward=reward.id)
    uploaded = None
    if reward.code_source is CodeSource.UPLOAD:
        uploaded = (
            await PartnerCode.filter(reward_id=reward.id, voucher_id=None)
            .order_by("id")
            .select_for_update(skip_locked=True)
            .first()
        )
        if uploaded is None:
            raise LoyaltyError(ErrorCode.CODES_RAN_OUT, reward=reward.name)
    voucher = await Voucher.create(
        code=uploaded.code if uploaded else await _unused_voucher_code(),
        member_id=member_id,
        reward=reward,
        cost=cost,
        issued_at=now,
        expires_at=end,
    )
    await ledger.post(
        member_id,
        EntryKind.REDEEM,
        -cost,
        reason,
        key,
        now=now,
        voucher_id=voucher.id,
        require_funds=cost > 0,
    )
    if uploaded is not None:
        await PartnerCode.filter(id=uploaded.id).update(voucher_id=voucher.id)
    await voucher.fetch_related("reward")
    return Redemption(voucher, await ledger.balance_of(member_id), False)


async def _voucher_end(reward: Reward, now: datetime) -> datetime:
    valid_days = (await get_rules()).voucher_valid_days
    if reward.valid_until:
        return min(now + timedelta(days=valid_days), reward.valid_until)
    return now + timedelta(days=valid_days)


async def grant_voucher(
    member_id: int,
    reward_id: int,
    *,
    key: str,
    reason: str = "gift_voucher",
    now: datetime | None = None,
) -> Redemption:
    """Give a voucher for free (a birthday gift), once per key, within the reward's stock.

    The grant is a zero-point REDEEM row in the ledger: its unique key makes the grant
    idempotent, the member's history shows the gift, and cancel_voucher/expire_vouchers
    treat the voucher like any other (they reverse its cost, which is 0).
    Tier and balance do not matter: nothing is paid.
    """
    now = now or utcnow()
    key = f"grant:{key}"
    await get_member(member_id)
    reward = await Reward.get_or_none(id=reward_id)
    if reward is None:
        raise LoyaltyError(ErrorCode.REWARD_NOT_FOUND, reward=reward_id)

    earlier = await _replay(member_id, key)
    if earlier is not None:  # a rerun after the reward ran out still finds its voucher
        return earlier
    _check_offer(reward, now)
    voucher_end = await _voucher_end(reward, now)

    result, _ = await ledger.once(
        lambda: _issue(member_id, reward, 0, reason, key, now, voucher_end),
        lambda: _replay(member_id, key),
    )
    return result


def _check_offer(reward: Reward, now: datetime) -> None:
    """The reward itself can be handed out now (active, in its dates, in stock)."""
    if not reward.active:
        raise LoyaltyError(ErrorCode.REWARD_INACTIVE, reward=reward.id)
    if reward.valid_from and now < reward.valid_from:
        raise LoyaltyError(ErrorCode.REWARD_NOT_STARTED, reward=reward.id, starts=reward.valid_from)
    if reward.valid_until and now > reward.valid_until:
        raise LoyaltyError(ErrorCode.REWARD_ENDED, reward=reward.id, ended=reward.valid_until)
    if reward.stock is not None and reward.stock <= 0:
        raise LoyaltyError(ErrorCode.REWARD_OUT_OF_STOCK, reward=reward.id)


async def _unused_voucher_code() -> str:
    while True:
        code = new_voucher_code()
        if not await Voucher.exists(code=code) and not await PartnerCode.exists(code=code):
            return code


def code_digest(code: str) -> str:
    """How a voucher code given up by a member who asked to be forgotten is kept."""
    return hashlib.sha256(code.encode()).hexdigest()


ANY_HOLDER = -1  # find_voucher's partner_id: whoever the voucher is shown to


async def find_voucher(code: str, *, partner_id: int | None = ANY_HOLDER) -> Voucher:
    """The voucher with this code. Given `partner_id`, as the club's till (None) or that
    partner's staff knows it: each sees only the vouchers shown to it; another's is unknown."""
    cleaned = clean_voucher_code(code)
    voucher = await Voucher.get_or_none(code=cleaned).prefetch_related("reward", "member")
    if voucher is not None and partner_id != ANY_HOLDER and voucher.reward.partner_id != partner_id:
        raise LoyaltyError(ErrorCode.VOUCHER_NOT_FOUND, code=code)
    if voucher is None:
        # The code of a member who asked to be forgotten is kept only as a digest.
        if await ErasedVoucherCode.exists(digest=code_digest(cleaned)):
            raise LoyaltyError(ErrorCode.VOUCHER_CANCELLED, code=code)
        raise LoyaltyError(ErrorCode.VOUCHER_NOT_FOUND, code=code)
    return voucher


async def use_voucher(
    code: str,
    *,
    staff_id: int | None = None,
    branch_id: int | None = None,
    partner_id: int | None = None,
    now: datetime | None = None,
) -> Voucher:
    """Mark a voucher used at the till (or at the partner `partner_id`, for its offers'
    codes); a second use is refused, and of two at once one wins."""
    now = now or utcnow()
    voucher = await find_voucher(code, partner_id=partner_id)
    _check_usable(voucher, now)
    if (
        voucher.reward.branch_id is not None
        and branch_id is not None
        and voucher.reward.branch_id != branch_id
    ):
        raise LoyaltyError(ErrorCode.REWARD_WRONG_BRANCH, code=voucher.code)
    async with in_transaction():
        updated = await Voucher.filter(id=voucher.id, status=VoucherStatus.ISSUED).update(
            status=VoucherStatus.USED, used_at=now, used_by_id=staff_id, used_branch_id=branch_id
        )
        if updated == 0:
            await _taken_meanwhile(voucher)
        await notify.enqueue(
            voucher.member_id,
            "voucher_used",
            f"voucher_used:{voucher.id}",
            now=now,
            params={"code": voucher.code, "reward": voucher.reward.name},
        )
    await voucher.refresh_from_db()
    return voucher


async def check_voucher(
    code: str, *, branch_id: int | None = None, now: datetime | None = None
) -> Voucher:
    """The voucher if it could be used now at `branch_id`; what `use_voucher` would refuse."""
    voucher = await find_voucher(code, partner_id=None)
    _check_usable(voucher, now or utcnow())
    if voucher.reward.branch_id not in (None, branch_id) and branch_id is not None:
        raise LoyaltyError(ErrorCode.REWARD_WRONG_BRANCH, code=voucher.code)
    return voucher


def _check_usable(voucher: Voucher, now: datetime) -> None:
    if voucher.status is VoucherStatus.USED:
        raise LoyaltyError(ErrorCode.VOUCHER_USED, code=voucher.code, used_at=voucher.used_at)
    if voucher.status is VoucherStatus.CANCELLED:
        raise LoyaltyError(ErrorCode.VOUCHER_CANCELLED, code=voucher.code)
    if voucher.status is VoucherStatus.EXPIRED or voucher.expires_at < now:
        raise LoyaltyError(
            ErrorCode.VOUCHER_EXPIRED, code=voucher.code, expired_at=voucher.expires_at
        )


async def _taken_meanwhile(voucher: Voucher) -> NoReturn:
    """A voucher another request used, cancelled or expired between our read and our update:
    refused with what it is now. On PostgreSQL the update waited for that one's commit."""
    await voucher.refresh_from_db()
    _check_usable(voucher, voucher.issued_at)  # raises for every status but ISSUED
    raise LoyaltyError(ErrorCode.VOUCHER_USED, code=voucher.code)


async def cancel_voucher(
    code: str,
    *,
    status: VoucherStatus = VoucherStatus.CANCELLED,
    staff_id: int | None = None,
    tell_member: bool = False,
    now: datetime | None = None,
) -> Voucher:
    """Withdraw an unused voucher and give its points back (a reversing row), once.

    The withdrawal is a conditional update of the issued voucher: of a cancel and a use
    at once, one wins and the other is refused. `tell_member`: the member is told (a
    staff member cancelled it), in the same transaction.
    """
    now = now or utcnow()
    voucher = await find_voucher(code)
    if voucher.status is not VoucherStatus.ISSUED:
        _check_usable(voucher, now)
    async with in_transaction():
        updated = await Voucher.filter(id=voucher.id, status=VoucherStatus.ISSUED).update(
            status=status
        )
        if updated == 0:
            await _taken_meanwhile(voucher)
        debit = await LedgerEntry.get(voucher_id=voucher.id, kind=EntryKind.REDEEM)
        # No expiry of its own: the points go back to the credits the redemption spent, with
        # their dates (loyalty.expiry), and those past their date expire at once, so letting
        # a voucher lapse never makes points last longer than they would have unspent.
        returned = await ledger.post(
            voucher.member_id,
            EntryKind.REVERSE,
            voucher.cost,
            "voucher_expired" if status is VoucherStatus.EXPIRED else "voucher_cancelled",
            f"reverse:{debit.id}",
            now=now,
            staff_id=staff_id,
            voucher_id=voucher.id,
            reverses_id=debit.id,
        )
        await expiry.expire_due(voucher.member_id, now, returned=returned.entry)
        if voucher.reward.stock is not None:
            await Reward.filter(id=voucher.reward_id).update(stock=F("stock") + 1)
        if tell_member:
            await notify.enqueue(
                voucher.member_id,
                "voucher_cancelled",
                f"voucher_cancelled:{voucher.id}",
                now=now,
                params={
                    "code": voucher.code,
                    "reward": voucher.reward.name,
                    "points": voucher.cost,
                    "balance": await ledger.balance_of(voucher.member_id),
                },
                new_key=True,
            )
    await voucher.refresh_from_db()
    return voucher


async def expire_vouchers(*, now: datetime | None = None) -> int:
    """Unused vouchers past their date are closed and their points returned."""
    now = now or utcnow()
    count = 0
    for voucher in await Voucher.filter(status=VoucherStatus.ISSUED, expires_at__lt=now):
        try:
            await cancel_voucher(voucher.code, status=VoucherStatus.EXPIRED, now=now)
        except (LoyaltyError, IntegrityError):
            continue  # used or cancelled meanwhile
        count += 1
    return count


async def member_vouchers(member_id: int) -> list[Voucher]:
    return (
        await Voucher.filter(member_id=member_id).order_by("-issued_at").prefetch_related("reward")
    )
