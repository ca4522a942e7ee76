"""The panel's staff and audit pages: who works for the club, invitations to join (a link
as `/staff invite` gives in the bot), revoking access, and the audit log.

The rules are `loyalty.staff.team`'s (the bot's `/staff` commands) and
`loyalty.staff.audit_log`'s (`/audit`); each change is audited there.
"""

from __future__ import annotations

from aiohttp import web

from handlers.audit_text import ACTIONS, audit_line
from handlers.format import day, digits, moment, number
from handlers.i18n import N_, t
from handlers.staff_words import ROLES, staff_error_text
from handlers.texts import branch_name
from handlers.web.app import PAGES, PREFIX, _page, checked_form
from handlers.web.panel import _id, _locale, _page_of, _refused, _staff
from handlers.web.panel_requests import fresh_key, request_key_of
from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.staff import audit_log, team
from loyalty.staff.access import own_branch
from loyalty.staff.permissions import Action, allowed
from models import Branch, Staff, StaffInvite, StaffRole

MANAGERS_ONLY = N_("This page is for managers and the owner.")
OWNER_ONLY = N_("This page is for the owner.")
INVITATION = N_("A one-time invitation for a {role}: {link}")  # as `/staff invite` says it
ROLE_NAMES = {"cashier": StaffRole.CASHIER, "manager": StaffRole.MANAGER}


def add_staff_routes(pages: web.Application) -> None:
    pages.router.add_get("/panel/staff", staff_page)
    pages.router.add_post("/panel/staff/invite", invite)
    pages.router.add_post("/panel/staff/{id:[0-9]{1,9}}/revoke", revoke)
    pages.router.add_post("/panel/invites/{id:[0-9]{1,9}}/withdraw", withdraw)
    pages.router.add_get("/panel/audit", audit_page)


# ---- the staff ---------------------------------------------------------------------------------


async def staff_page(request: web.Request, *, message: str = "", status: int = 200) -> web.Response:
    pages = request.app[PAGES]
    staff = await _staff(request)
    if not allowed(staff, Action.MANAGE_STAFF):
        return await _refused(request, 403, MANAGERS_ONLY)
    locale = _locale(request)
    message = message or await _done(request, staff, locale)
    names = {b.id: branch_name(b.name, locale) for b in await Branch.all()}
    everywhere = t(N_("all branches"), locale)

    def where(branch_id: int | None) -> str:
        return names.get(branch_id, everywhere) if branch_id is not None else everywhere

    scope = own_branch(staff)
    choices = [
        (b.id, branch_name(b.name, locale))
        for b in await Branch.filter(active=True).order_by("id")
        if scope is None or b.id == scope
    ]
    return await _page_of(
        request,
        staff,
        "panel_staff.html",
        status=status,
        message=message,
        request_key=fresh_key(),
        rows=[
            {
                "id": s.id,
                "ident": digits(str(s.id), locale),
                "name": s.name or digits(str(s.telegram_id), locale),
                "role": t(ROLES[s.role.value], locale),
                "branch": where(s.branch_id),
                "may_revoke": team.may_change(staff, s),
            }
            for s in await team.staff_list(staff)
        ],
        roles=[("cashier", t(ROLES["cashier"], locale))]
        + (
            [("manager", t(ROLES["manager"], locale))]
            if allowed(staff, Action.APPOINT_MANAGERS)
            else []
        ),
        branches=choices,
        # Only a manager may work at every branch, and only the owner appoints one.
        everywhere=everywhere if allowed(staff, Action.APPOINT_MANAGERS) else "",
        invites=[
            {
                "id": i.id,
                "ident": digits(str(i.id), locale),
                "role": t(ROLES[i.role.value], locale),
                "branch": where(i.branch_id),
                "made": day(i.created_at, locale, pages.tz),
            }
            for i in await team.pending_invites(staff)
        ],
    )


async def _done(request: web.Request, staff: Staff, locale: str) -> str:
    """What the last form did, after its redirect: an invitation's link, shown again while
    it is unused and this staff member's; a revoked staff member; a withdrawn invitation."""
    made, revoked = _id(request.query.get("invite")), _id(request.query.get("revoked"))
    withdrawn = _id(request.query.get("withdrawn"))
    if made is not None:
        invite = await team.invite_of(staff, made)
        return await _invitation(request, invite, locale) if invite else ""
    if revoked is not None:
        return t(N_("Staff #{id} no longer has access."), locale, id=digits(str(revoked), locale))
    if withdrawn is not None:
        return t(
            N_("Invitation #{id} withdrawn: its link no longer works."),
            locale,
            id=digits(str(withdrawn), locale),
        )
    return ""


async def _invitation(request: web.Request, invite: StaffInvite, locale: str) -> str:
    ask = request.app[PAGES].bot_username
    username = await ask() if ask is not None else None
    payload = team.invite_payload(invite)
    # Without the bot's name (Telegram not asked yet): what the link would send it.
    link = f"https://t.me/{username}?start={payload}" if username else f"/start {payload}"
    return t(INVITATION, locale, role=t(ROLES[invite.role.value], locale), link=link)


async def invite(request: web.Request) -> web.Response:
    pages = request.app[PAGES]
    form = await request.post()
    checked_form(request, form)
    staff = await _staff(request)
    locale = _locale(request)
    role = ROLE_NAMES.get(str(form.get("role", "")))
    branch = str(form.get("branch", ""))
    branch_id = _id(branch)
    try:
        if role is None or (branch and branch_id is None):
            raise LoyaltyError(ErrorCode.INVALID_VALUE)
        key = request_key_of(form)
        made = await team.create_invite(
            staff,
            role,
            branch_id,
            now=pages.clock(),
            request=f"panel:{staff.id}:{key}" if key else None,  # posted twice: one
        )
    except LoyaltyError as refused:
        return await _refusal(request, refused, locale)
    raise web.HTTPSeeOther(f"{PREFIX}/panel/staff?invite={made.id}")


async def revoke(request: web.Request) -> web.Response:
    pages = request.app[PAGES]
    checked_form(request, await request.post())
    staff = await _staff(request)
    try:
        target = await team.revoke(staff, int(request.match_info["id"]), now=pages.clock())
    except LoyaltyError as refused:
        return await _refusal(request, refused, _locale(request))
    raise web.HTTPSeeOther(f"{PREFIX}/panel/staff?revoked={target.id}")


async def withdraw(request: web.Request) -> web.Response:
    pages = request.app[PAGES]
    checked_form(request, await request.post())
    staff = await _staff(request)
    invite_id = int(request.match_info["id"])
    try:
        await team.withdraw_invite(staff, invite_id, now=pages.clock())
    except LoyaltyError as refused:
        return await _refusal(request, refused, _locale(request))
    raise web.HTTPSeeOther(f"{PREFIX}/panel/staff?withdrawn={invite_id}")


async def _refusal(request: web.Request, refused: LoyaltyError, locale: str) -> web.Response:
    status = 403 if refused.code is ErrorCode.NOT_ALLOWED else 400
    return await staff_page(request, message=staff_error_text(refused, locale), status=status)


# ---- the audit log -----------------------------------------------------------------------------


async def audit_page(request: web.Request) -> web.Response:
    pages = request.app[PAGES]
    staff = await _staff(request)
    if not allowed(staff, Action.AUDIT):
        return await _refused(request, 403, OWNER_ONLY)
    locale = _locale(request)
    action = request.query.get("action", "")
    action = action if action in ACTIONS else ""
    who = _id(request.query.get("staff"))
    shown = await audit_log.audit_page(staff, action=action, staff_id=who, page=_page(request) - 1)
    everyone = await audit_log.audit_staff(staff)
    return await _page_of(
        request,
        staff,
        "panel_audit.html",
        action=action,
        who=who,
        actions=sorted(
            ((code, t(label, locale)) for code, label in ACTIONS.items()), key=lambda x: x[1]
        ),
        people=[(s.id, s.name or digits(str(s.telegram_id), locale)) for s in everyone],
        entries=[
            {"id": e.id, "line": audit_line(e, moment(e.created_at, locale, pages.tz), locale)}
            for e in shown.entries
        ],
        page=shown.page + 1,
        more=shown.more,
        page_text=t(N_("Page {page}"), locale, page=number(shown.page + 1, locale)),
    )
