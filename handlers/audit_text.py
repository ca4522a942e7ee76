"""Audit lines in the reader's language: what was done, and its details in words, for
`/audit` in the chat and the panel's audit page.

The audit rows hold codes (`reward_add`, `kind=percent_discount`) so that they read the
same whatever language the owner reads them in later; they are put into words here.
A code written by a newer door than this table knows stays as it is.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from handlers.format import day, digits, listing, number
from handlers.i18n import N_, t
from handlers.settings_text import LOOK, RULES
from handlers.staff_words import ROLES, amount
from models import AuditEntry, RewardKind

ACTIONS = {
    "earn": N_("purchase recorded"),
    "approval_requested": N_("approval requested"),
    "approval_approved": N_("request approved"),
    "approval_rejected": N_("request rejected"),
    "refund": N_("purchase refunded"),
    "adjust": N_("correction"),
    "undo": N_("transaction undone"),
    "voucher_use": N_("voucher used"),
    "settings": N_("rule changed"),
    "cause_added": N_("charity cause added"),
    "cause_ended": N_("charity cause taken off"),
    "partner_added": N_("partner added"),
    "partner_ended": N_("partner taken off"),
    "partner_logo": N_("partner logo changed"),
    "partner_offer_added": N_("partner offer added"),
    "partner_codes": N_("partner codes uploaded"),
    "agent_added": N_("agent added"),
    "agent_paid": N_("agent paid"),
    "agents_export": N_("agents exported"),
    "survey_added": N_("survey added"),
    "survey_question_added": N_("survey question added"),
    "survey_sent": N_("survey sent"),
    "survey_closed": N_("survey closed"),
    "tier_set": N_("tier changed"),
    "staff_invite": N_("staff invitation made"),
    "staff_joined": N_("joined the staff"),
    "staff_role": N_("staff role changed"),
    "staff_revoke": N_("staff access revoked"),
    "staff_invite_withdrawn": N_("staff invitation withdrawn"),
    "panel_link": N_("panel link made"),
    "panel_signin": N_("signed in to the panel by link"),
    "panel_app_signin": N_("signed in to the panel in Telegram"),
    "report": N_("report viewed"),
    "export": N_("members exported"),
    "branch_add": N_("branch added"),
    "branch_rate": N_("branch earning rate set"),
    "group_set": N_("product group set"),
    "group_close": N_("product group closed"),
    "branch_details": N_("branch details changed"),
    "banner_add": N_("banner added"),
    "banner_remove": N_("banner removed"),
    "banner_move": N_("banner moved"),
    "gallery_add": N_("gallery picture added"),
    "gallery_remove": N_("gallery picture removed"),
    "gallery_move": N_("gallery picture moved"),
    "gallery_caption": N_("gallery caption changed"),
    "member_view": N_("member viewed"),
    "member_moved": N_("member moved to another branch"),
    "reward_add": N_("reward added"),
    "reward_edit": N_("reward changed"),
    "reward_off": N_("reward withdrawn"),
    "reward_picture": N_("reward picture changed"),
    "inbox_answer": N_("message answered"),
    "import": N_("members imported"),
    "campaign_created": N_("campaign created"),
    "campaign_confirmed": N_("campaign confirmed"),
    "campaign_cancelled": N_("campaign cancelled"),
    "campaign_paused": N_("campaign paused"),
    "campaign_resumed": N_("campaign resumed"),
    "campaign_stopped": N_("campaign stopped"),
    "lottery_created": N_("lottery created"),
    "lottery_drawn": N_("lottery drawn"),
    "sms_no_credit": N_("SMS credit ran out"),
    "sms_credit_back": N_("SMS credit is back"),
}

FIELDS = {
    "member": N_("member"),
    "amount": N_("amount"),
    "receipt": N_("receipt"),
    "points": N_("points"),
    "branch": N_("branch"),
    "from_branch": N_("from branch"),
    "to_branch": N_("to branch"),
    "approval": N_("request"),
    "note": N_("note"),
    "entry": N_("transaction"),
    "reversal": N_("reversing transaction"),
    "voucher": N_("voucher"),
    "key": N_("rule"),
    "value": N_("value"),
    "tier": N_("tier"),
    "threshold": N_("threshold"),
    "multiplier": N_("multiplier"),
    "discount": N_("discount"),
    "role": N_("role"),
    "invite": N_("invitation"),
    "link": N_("link"),
    "target": N_("staff member"),
    "days": N_("days"),
    "rows": N_("rows"),
    "rate": N_("earning rate"),
    "group": N_("product group"),
    "reward": N_("reward"),
    "cost": N_("cost"),
    "kind": N_("kind"),
    "stock": N_("stock"),
    "min_tier": N_("lowest tier"),
    "valid_until": N_("valid until"),
    "item": N_("message"),
    "created": N_("added"),
    "skipped": N_("skipped"),
    "campaign": N_("campaign"),
    "survey": N_("survey"),
    "question": N_("question"),
    "title": N_("title"),
    "channel": N_("channel"),
    "lottery": N_("lottery"),
    "seed_hash": N_("seed hash"),
    "seed": N_("seed"),
    "winners": N_("winners"),
    "agent": N_("agent"),
    "percent": N_("percent"),
    "banner": N_("banner"),
    "picture": N_("picture"),
    "step": N_("places moved"),
    "address": N_("address"),
    "phone": N_("phone"),
    "hours": N_("opening hours"),
    "map_link": N_("map link"),
}

# Rows named by their number (#12), not counted (1,200).
NAMED = {
    "member",
    "agent",
    "survey",
    "cause",
    "partner",
    "branch",
    "from_branch",
    "to_branch",
    "approval",
    "entry",
    "reversal",
    "tier",
    "min_tier",
    "invite",
    "link",
    "target",
    "group",
    "reward",
    "item",
    "campaign",
    "lottery",
    "winners",
    "banner",
    "picture",
}

KINDS = {
    RewardKind.PRODUCT.value: N_("product"),
    RewardKind.FIXED_DISCOUNT.value: N_("fixed discount"),
    RewardKind.PERCENT_DISCOUNT.value: N_("percent discount"),
}

# Words people or programs typed, shown as typed (a receipt, a code, a note, a seed).
AS_TYPED = {"receipt", "voucher", "note", "seed", "seed_hash", "title", "channel", "picture"}
AS_TYPED |= {"address", "hours", "map_link"}  # what members read of a branch


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text)
    except (InvalidOperation, ValueError):
        return None


def detail_value(key: str, value: object, locale: str) -> str:
    if isinstance(value, list):
        return listing((detail_value(key, item, locale) for item in value), locale)
    if key in AS_TYPED or isinstance(value, bool):
        return str(value)
    if key in NAMED and isinstance(value, int):
        return "#" + digits(str(value), locale)
    if isinstance(value, int):
        return number(value, locale)
    text = str(value)
    if key == "kind" and text in KINDS:
        return t(KINDS[text], locale)
    if key == "role" and text in ROLES:
        return t(ROLES[text], locale)
    if key == "key" and text in RULES | LOOK:
        return t((RULES | LOOK)[text], locale)
    if key == "valid_until":
        try:
            return day(date.fromisoformat(text[:10]), locale)
        except ValueError:
            return text
    decimal = _decimal(text)
    if decimal is not None and decimal.is_finite():
        return amount(decimal, locale)
    return digits(text, locale) if text.isdigit() else text


# Who acted when no staff member did: a door of the club.
ACTORS = {"sms": N_("SMS"), "cli": N_("the club command")}


def _who(entry: AuditEntry, locale: str) -> str:
    if entry.staff:
        return entry.staff.name or digits(str(entry.staff.telegram_id), locale)
    if entry.actor in ACTORS:
        return t(ACTORS[entry.actor], locale)
    return digits(entry.actor, locale) if entry.actor else "-"


def audit_line(entry: AuditEntry, when: str, locale: str) -> str:
    who = _who(entry, locale)
    what = t(ACTIONS[entry.action], locale) if entry.action in ACTIONS else entry.action
    details = listing(
        (
            f"{t(FIELDS[key], locale) if key in FIELDS else key}: "
            f"{detail_value(key, value, locale)}"
            for key, value in entry.details.items()
            if value is not None
        ),
        locale,
    )
    return f"{when} {who}: {what}" + (f" ({details})" if details else "")
