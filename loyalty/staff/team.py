"""The staff themselves: one-time invitations, roles and branches, revoking, the list.

The owner invites and appoints anyone but another owner; a manager invites cashiers of a
branch they manage and changes only those. Cashiers are always tied to one branch. A
partner's staff joins only by the owner's invitation for that partner
(`loyalty.partners.invite_staff`), tied to the partner.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from tortoise.exceptions import IntegrityError

from loyalty import audit
from loyalty.clock import utcnow
from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.rules import default_branch, open_branch
from loyalty.staff.access import check_branch_scope, own_branch
from loyalty.staff.permissions import Action, allowed, require
from models import Staff, StaffInvite, StaffRole

INVITE_PREFIX = "staff_"


def new_invite_token() -> str:
    return secrets.token_urlsafe(12)


def _check_role_given(actor: Staff, role: StaffRole) -> None:
    # An agent's invitation is made with the agent (`loyalty.agents.add_agent`).
    if role in (StaffRole.OWNER, StaffRole.PARTNER, StaffRole.AGENT) or (
        role is StaffRole.MANAGER and not allowed(actor, Action.APPOINT_MANAGERS)
    ):
        raise LoyaltyError(ErrorCode.NOT_ALLOWED)


async def create_invite(
    creator: Staff,
    role: StaffRole,
    branch_id: int | None,
    *,
    partner_id: int | None = None,
    now: datetime | None = None,
    request: str | None = None,
) -> StaffInvite:
    """A one-time invitation; the deep link payload is `staff_<token>`. `partner_id`: the
    partner whose staff it makes (role partner; the caller checked the partner). With a
    `request` key made already, the invitation it made (a form posted twice)."""
    now = now or utcnow()
    if partner_id is None:
        require(creator, Action.MANAGE_STAFF)
        _check_role_given(creator, role)
        branch_id = await _valid_branch(role, branch_id, creator)
    else:
        require(creator, Action.PARTNERS)
        role, branch_id = StaffRole.PARTNER, None
    if request is not None and (made := await StaffInvite.get_or_none(request=request)):
        return made
    try:
        invite = await StaffInvite.create(
            token=new_invite_token(),
            role=role,
            branch_id=branch_id,
            partner_id=partner_id,
            created_by=creator,
            created_at=now,
            request=request,
        )
    except IntegrityError:  # the twin of this request, a moment ago
        if request is None:
            raise
        return await StaffInvite.get(request=request)
    await audit.record(
        "staff_invite",
        staff_id=creator.id,
        now=now,
        role=role.value,
        branch=branch_id,
        invite=invite.id,
        **({"partner": partner_id} if partner_id is not None else {}),
    )
    return invite


async def _valid_branch(role: StaffRole, branch_id: int | None, creator: Staff) -> int | None:
    if role is StaffRole.CASHIER and branch_id is None:
        branch_id = (
            creator.branch_id if creator.branch_id is not None else (await default_branch()).id
        )
    if branch_id is not None:
        await open_branch(branch_id)
    check_branch_scope(creator, branch_id)
    return branch_id


def invite_payload(invite: StaffInvite) -> str:
    return f"{INVITE_PREFIX}{invite.token}"


async def accept_invite(
    payload: str, telegram_id: int, *, name: str = "", now: datetime | None = None
) -> Staff:
    """Use an invitation once: the opener becomes staff with its role and branch."""
    now = now or utcnow()
    token = payload.removeprefix(INVITE_PREFIX)
    invite = await StaffInvite.get_or_none(token=token, used_at=None)
    if invite is None:
        raise LoyaltyError(ErrorCode.INVITE_NOT_FOUND)
    if invite.branch_id is not None:
        await open_branch(invite.branch_id)  # closed since the link was made: no new staff
    # The conditional update makes a link that two people open at once work for one.
    if await StaffInvite.filter(id=invite.id, used_at=None).update(used_at=now) == 0:
        raise LoyaltyError(ErrorCode.INVITE_NOT_FOUND)
    staff = await Staff.get_or_none(telegram_id=telegram_id)
    if staff is None:
        staff = await Staff.create(
            telegram_id=telegram_id,
            name=name[:100],
            role=invite.role,
            branch_id=invite.branch_id,
            partner_id=invite.partner_id,
            created_at=now,
        )
    else:
        staff.role, staff.branch_id, staff.active = invite.role, invite.branch_id, True
        staff.partner_id = invite.partner_id
        staff.name = name[:100] or staff.name
        await staff.save(update_fields=["role", "branch_id", "partner_id", "active", "name"])
    await StaffInvite.filter(id=invite.id).update(used_by_id=staff.id)
    if invite.role is StaffRole.AGENT:
        from loyalty.agents import link_staff

        await link_staff(invite.id, staff.id)
    await audit.record(
        "staff_joined", staff_id=staff.id, now=now, role=invite.role.value, branch=invite.branch_id
    )
    return staff


async def _subordinate(actor: Staff, staff_id: int) -> Staff:
    require(actor, Action.MANAGE_STAFF)
    target = await Staff.get_or_none(id=staff_id)
    if target is None:
        raise LoyaltyError(ErrorCode.STAFF_NOT_FOUND, staff=staff_id)
    _check_subordinate(actor, target)
    return target


def _check_subordinate(actor: Staff, target: Staff) -> None:
    if target.role is StaffRole.OWNER or target.id == actor.id:
        raise LoyaltyError(ErrorCode.NOT_ALLOWED)
    if not allowed(actor, Action.APPOINT_MANAGERS):
        if target.role is not StaffRole.CASHIER:
            raise LoyaltyError(ErrorCode.NOT_ALLOWED)
        check_branch_scope(actor, target.branch_id)


def may_change(actor: Staff, target: Staff) -> bool:
    """Whether `actor` may change or revoke `target` (for a page to offer it or not)."""
    try:
        require(actor, Action.MANAGE_STAFF)
        _check_subordinate(actor, target)
    except LoyaltyError:
        return False
    return True


async def change_role(
    actor: Staff,
    staff_id: int,
    role: StaffRole,
    branch_id: int | None,
    *,
    now: datetime | None = None,
) -> Staff:
    now = now or utcnow()
    target = await _subordinate(actor, staff_id)
    _check_role_given(actor, role)
    target.branch_id = await _valid_branch(role, branch_id, actor)
    target.role, target.active, target.partner_id = role, True, None
    await target.save(update_fields=["role", "branch_id", "active", "partner_id"])
    await audit.record(
        "staff_role",
        staff_id=actor.id,
        now=now,
        target=target.id,
        role=role.value,
        branch=target.branch_id,
    )
    return target


async def revoke(actor: Staff, staff_id: int, *, now: datetime | None = None) -> Staff:
    now = now or utcnow()
    target = await _subordinate(actor, staff_id)
    target.active = False
    await target.save(update_fields=["active"])
    await audit.record("staff_revoke", staff_id=actor.id, now=now, target=target.id)
    return target


async def staff_list(actor: Staff) -> list[Staff]:
    require(actor, Action.MANAGE_STAFF)
    query = Staff.filter(active=True)
    branch_id = own_branch(actor)
    if branch_id is not None:
        query = query.filter(branch_id=branch_id)
    return await query.order_by("id")


# Invitations a page lists and may withdraw: the club's own cashiers and managers (a
# partner's or an agent's invitation belongs with the partner or the agent).
PLAIN_ROLES = (StaffRole.CASHIER, StaffRole.MANAGER)


async def pending_invites(actor: Staff) -> list[StaffInvite]:
    """Invitations nobody has used yet, that `actor` may withdraw; the newest first."""
    require(actor, Action.MANAGE_STAFF)
    query = StaffInvite.filter(used_at=None, partner_id=None, role__in=list(PLAIN_ROLES))
    if not allowed(actor, Action.APPOINT_MANAGERS):
        query = query.filter(role=StaffRole.CASHIER)
    branch_id = own_branch(actor)
    if branch_id is not None:
        query = query.filter(branch_id=branch_id)
    return await query.order_by("-id")


async def withdraw_invite(actor: Staff, invite_id: int, *, now: datetime | None = None) -> None:
    """An unused invitation taken back: its link no longer works (INVITE_NOT_FOUND once
    used or withdrawn). The row goes; the audit keeps who made and who withdrew it."""
    now = now or utcnow()
    require(actor, Action.MANAGE_STAFF)
    invite = await StaffInvite.get_or_none(id=invite_id, used_at=None, partner_id=None)
    if invite is None or invite.role not in PLAIN_ROLES:
        raise LoyaltyError(ErrorCode.INVITE_NOT_FOUND)
    _check_role_given(actor, invite.role)
    check_branch_scope(actor, invite.branch_id)
    # Conditional: an invitation opened at this moment is either used or withdrawn.
    if not await StaffInvite.filter(id=invite.id, used_at=None).delete():
        raise LoyaltyError(ErrorCode.INVITE_NOT_FOUND)
    await audit.record("staff_invite_withdrawn", staff_id=actor.id, now=now, invite=invite.id)


async def invite_of(actor: Staff, invite_id: int) -> StaffInvite | None:
    """An unused invitation `actor` made, to show its link again (after the page's
    redirect); None for any other."""
    require(actor, Action.MANAGE_STAFF)
    return await StaffInvite.get_or_none(id=invite_id, created_by_id=actor.id, used_at=None)
