"""Running the club: staff and invitations, rewards, branches, product groups, rules.

Each is a command with sub-commands (`/staff invite cashier 2`): quick to type, and the
same words work in both languages. Bare `/rewards`, `/settings`, `/branches` and `/groups`
open dialogs instead when the router of handlers/telegram/staff/dialogs.py is included
before this one; the listings here answer when it is not.
"""

from __future__ import annotations

from datetime import datetime

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import Message

from handlers.format import listing, number
from handlers.i18n import N_, t
from handlers.reward_values import warning_text, worth_text
from handlers.staff_words import ROLES
from handlers.telegram.staff.common import ident, say
from handlers.telegram.staff.settings_dialog import RULES, rule_value
from handlers.telegram.staff.texts import amount
from handlers.texts import CUSTOMER_TYPES, branch_name
from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.numbers import parse_id, parse_int
from loyalty.reward_values import mispriced
from loyalty.rewards import catalog
from loyalty.rules import get_rules
from loyalty.staff import catalogue, places, team
from loyalty.staff.club_settings import SETTINGS, set_rule
from loyalty.staff.limits import parse_number
from loyalty.staff.permissions import Action, allowed
from models import Branch, CustomerType, Partner, ProductGroup, Reward, Staff, StaffRole


def _role(raw: str) -> StaffRole:
    try:
        return StaffRole(raw.lower())
    except ValueError:
        raise LoyaltyError(ErrorCode.INVALID_VALUE) from None


def _branch_arg(parts: list[str], index: int) -> int | None:
    return parse_id(parts[index]) if len(parts) > index else None


async def on_invite(message: Message, command: CommandObject, locale: str, now: datetime) -> None:
    assert message.from_user is not None
    staff = await team.accept_invite(
        command.args or "", message.from_user.id, name=message.from_user.full_name, now=now
    )
    if staff.partner_id is not None:
        partner = await Partner.get(id=staff.partner_id)
        await say(
            message,
            t(
                N_(
                    "Welcome: you are now on the staff of {partner}. Send /redeem <code> to "
                    "check and mark a member's code used."
                ),
                locale,
                partner=partner.name,
            ),
        )
        return
    if staff.role is StaffRole.AGENT:
        await say(
            message,
            t(
                N_("Welcome! You are now the club's agent. Send /agent for your link and figures."),
                locale,
            ),
        )
        return
    branch = await Branch.get_or_none(id=staff.branch_id) if staff.branch_id else None
    await say(
        message,
        t(
            N_(
                "Welcome to the staff: you are now {role} ({branch}). "
                "Send /staff_help for the commands."
            ),
            locale,
            role=t(ROLES[staff.role.value], locale),
            branch=branch_name(branch.name, locale) if branch else t(N_("all branches"), locale),
        ),
    )


# What /staff_help lists, each line with the action it needs: a reader sees what they may do.
# The placeholders are words of the reader's language; the commands are typed as they are.
HELP: tuple[tuple[str, Action], ...] = (
    (N_("/earn <member> <amount> [receipt] [group] [code=X]"), Action.EARN),
    (N_("/refund <receipt> [amount|all] [branch]"), Action.REFUND),
    (N_("/redeem <voucher code>"), Action.USE_VOUCHER),
    (N_("/member <member>"), Action.VIEW_MEMBER),
    (N_("/newcard <member>"), Action.REPLACE_CARD),
    ("/giftcard sell|topup|spend|refund|block ...", Action.GIFT_CARDS),
    ("/inbox", Action.INBOX),
    (N_("/reply <number> <text>"), Action.INBOX),
    ("/panel", Action.PANEL),
    (N_("/voucher cancel <voucher code>"), Action.CANCEL_VOUCHER),
    (N_("/adjust <member> <+N|-N> <reason>"), Action.ADJUST),
    (N_("/move <member> <branch number>"), Action.MOVE_MEMBER),
    (N_("/tier <member> <tier|off>"), Action.SET_TIER),
    (N_("/company <member> <company name|off|rate <rate|club>>"), Action.COMPANY),
    (N_("/undo <transaction id>"), Action.UNDO),
    (N_("/report [days]"), Action.REPORT),
    ("/export", Action.EXPORT),
    ("/staff", Action.MANAGE_STAFF),
    ("/rewards", Action.REWARDS),
    ("/campaign", Action.CAMPAIGN),
    ("/campaigns", Action.CAMPAIGN),
    (N_("/lottery <winners> [per=N] [filters]"), Action.LOTTERY),
    (N_("/branch <branch id> [unit|minimum <amount|club>]"), Action.BRANCH_EARNING),
    ("/audit", Action.AUDIT),
    ("/branches", Action.BRANCHES),
    ("/groups", Action.GROUPS),
    ("/settings", Action.SETTINGS),
    ("/discounts", Action.DISCOUNTS),
    ("/promo", Action.PROMOS),
    (N_("/import (CSV file caption)"), Action.IMPORT),
    ("/apikeys", Action.API_KEYS),
    ("/webhooks", Action.API_KEYS),
    ("/festival [add|end|announce]", Action.FESTIVALS),
    ("/causes [add|off]", Action.CHARITY),
    ("/partners [add|offer|codes|logo|invite|off]", Action.PARTNERS),
    ("/agents [add|pay|set|off|export]", Action.AGENTS),
    ("/agent", Action.AGENT_SELF),
    ("/survey [add|q|show|send|close|results]", Action.SURVEYS),
)


async def on_help(message: Message, staff: Staff, locale: str) -> None:
    lines = [t(line, locale) for line, action in HELP if allowed(staff, action)]
    await say(message, t(N_("Staff commands:"), locale) + "\n" + "\n".join(lines))


async def on_staff(
    message: Message, command: CommandObject, staff: Staff, locale: str, bot: Bot, now: datetime
) -> None:
    parts = (command.args or "").split()
    action = parts[0].lower() if parts else "list"
    if action == "invite" and len(parts) in (2, 3):
        invite = await team.create_invite(staff, _role(parts[1]), _branch_arg(parts, 2), now=now)
        me = await bot.me()
        link = f"https://t.me/{me.username}?start={team.invite_payload(invite)}"
        await say(
            message,
            t(
                N_("A one-time invitation for a {role}: {link}"),
                locale,
                role=t(ROLES[invite.role.value], locale),
                link=link,
            ),
        )
    elif action == "role" and len(parts) in (3, 4):
        target = await team.change_role(
            staff, parse_id(parts[1]), _role(parts[2]), _branch_arg(parts, 3), now=now
        )
        await say(
            message,
            t(
                N_("Staff #{id} is now {role}."),
                locale,
                id=ident(target.id, locale),
                role=t(ROLES[target.role.value], locale),
            ),
        )
    elif action == "revoke" and len(parts) == 2:
        target = await team.revoke(staff, parse_id(parts[1]), now=now)
        await say(
            message, t(N_("Staff #{id} no longer has access."), locale, id=ident(target.id, locale))
        )
    elif action == "list" and len(parts) <= 1:
        members = await team.staff_list(staff)
        branches = {b.id: branch_name(b.name, locale) for b in await Branch.all()}
        everywhere = t(N_("all branches"), locale)
        lines = [
            f"#{ident(s.id, locale)} {s.name or ident(s.telegram_id, locale)}: "
            + listing(
                [
                    t(ROLES[s.role.value], locale),
                    branches.get(s.branch_id, everywhere) if s.branch_id else everywhere,
                ],
                locale,
            )
            for s in members
        ]
        await say(message, "\n".join(lines))
    else:
        await say(
            message,
            t(
                N_(
                    "Usage: /staff [invite <cashier|manager> [branch id] | "
                    "role <staff id> <role> [branch id] | revoke <staff id>]"
                ),
                locale,
            ),
        )


async def on_rewards(
    message: Message, command: CommandObject, staff: Staff, locale: str, now: datetime
) -> None:
    parts = (command.args or "").split(maxsplit=2)
    if parts[:1] == ["add"] and len(parts) == 3:
        reward = await catalogue.add_reward(staff, parts[2], parse_int(parts[1]), now=now)
        await say(
            message,
            t(
                N_("Reward #{id} added: {name} for {cost} points."),
                locale,
                id=ident(reward.id, locale),
                name=reward.name,
                cost=number(reward.cost, locale),
            ),
        )
    elif parts[:1] == ["off"] and len(parts) == 2:
        reward = await catalogue.withdraw_reward(staff, parse_id(parts[1]), now=now)
        await say(
            message,
            t(N_("Reward #{id} is no longer offered."), locale, id=ident(reward.id, locale)),
        )
    elif parts[:1] == ["for"] and len(parts) == 3 and parts[2].lower() in FOR_WHOM:
        who = FOR_WHOM[parts[2].lower()]
        reward = await catalogue.set_reward_customer_type(staff, parse_id(parts[1]), who, now=now)
        await say(message, _for_whom_line(reward.id, who, locale))
    elif parts[:1] == ["value"] and len(parts) == 3:
        words = parts[2].split()
        none = len(words) == 1 and words[0].lower() in ("none", "هیچ")
        value = None if none else parse_int(parts[2], maximum=None)
        reward = await catalogue.set_reward_value(staff, parse_id(parts[1]), value, now=now)
        await say(message, "\n".join(catalogue_lines([reward], locale)))
    elif not parts:
        rewards = await catalog(now=now, branch_id=staff.branch_id)
        lines = catalogue_lines(rewards, locale)
        await say(message, "\n".join(lines) or t(N_("No rewards on offer yet."), locale))
    else:
        await say(
            message,
            t(
                N_(
                    "Usage: /rewards [add <cost> <name> | off <reward id> | "
                    "for <reward id> <company|individual|all> | "
                    "value <reward id> <money value|none>]"
                ),
                locale,
            ),
        )


# Who a reward is for, as `/rewards for <id> <who>` takes it.
FOR_WHOM: dict[str, CustomerType | None] = {
    "company": CustomerType.COMPANY,
    "individual": CustomerType.INDIVIDUAL,
    "all": None,
}


def _for_whom_line(reward_id: int, who: CustomerType | None, locale: str) -> str:
    if who is None:
        return t(N_("Reward #{id} is for every member."), locale, id=ident(reward_id, locale))
    return t(
        N_("Reward #{id} is for {customer_type} customers only."),
        locale,
        id=ident(reward_id, locale),
        customer_type=t(CUSTOMER_TYPES[who.value], locale),
    )


def catalogue_lines(rewards: list[Reward], locale: str) -> list[str]:
    """Each reward with its money value per point, then the warnings: a dearer reward that
    gives less per point than a cheaper one."""
    lines = []
    for r in rewards:
        line = t(
            N_("#{id} {name}: {cost} points"),
            locale,
            id=ident(r.id, locale),
            name=r.name,
            cost=number(r.cost, locale),
        )
        worth = worth_text(r, locale)
        lines.append(f"{line} ({worth})" if worth else line)
    return lines + [warning_text(found, locale) for found in mispriced(rewards)]


async def on_branches(
    message: Message, command: CommandObject, staff: Staff, locale: str, now: datetime
) -> None:
    parts = (command.args or "").split(maxsplit=2)
    verb = parts[0].lower() if parts else ""
    if verb == "add" and len(parts) >= 2:
        branch = await places.add_branch(staff, " ".join(parts[1:]), now=now)
        await say(
            message,
            t(N_("Branch #{id}: {name}."), locale, id=ident(branch.id, locale), name=branch.name),
        )
    elif verb == "rate" and len(parts) == 3:
        club = parts[2].lower() == "club"
        rate = None if club else parse_number(parts[2], "earn_rate", decimal=True)
        branch = await places.set_branch_rate(staff, parse_id(parts[1]), rate, now=now)
        await say(message, branch_line(branch, locale))
    elif verb == "rename" and len(parts) == 3:
        branch = await places.rename_branch(staff, parse_id(parts[1]), parts[2], now=now)
        await say(message, branch_line(branch, locale))
    elif verb in ("close", "open") and len(parts) == 2:
        branch = await places.set_branch_open(staff, parse_id(parts[1]), verb == "open", now=now)
        await say(message, branch_line(branch, locale))
    elif not parts:
        await say(
            message,
            "\n".join(branch_line(b, locale) for b in await Branch.all().order_by("-active", "id")),
        )
    else:
        await say(
            message,
            t(
                N_(
                    "Usage: /branches [add <name> | rate <branch id> <rate|club> | "
                    "rename <branch id> <name> | close <branch id> | open <branch id>]"
                ),
                locale,
            ),
        )


def branch_line(branch: Branch, locale: str) -> str:
    if not branch.active:
        return t(
            N_("#{id} {name}: closed"),
            locale,
            id=ident(branch.id, locale),
            name=branch_name(branch.name, locale),
        )
    if branch.earn_rate is None:
        return t(
            N_("#{id} {name}: the club's earning rate"),
            locale,
            id=ident(branch.id, locale),
            name=branch_name(branch.name, locale),
        )
    return t(
        N_("#{id} {name}: earning rate {rate}"),
        locale,
        id=ident(branch.id, locale),
        name=branch_name(branch.name, locale),
        rate=amount(branch.earn_rate, locale),
    )


# /branch's words for a branch's own earning rules, in both languages.
BRANCH_RULE_WORDS = {
    "unit": "currency_unit",
    "واحد": "currency_unit",
    "minimum": "min_purchase",
    "حداقل": "min_purchase",
}


async def on_branch(
    message: Message, command: CommandObject, staff: Staff, locale: str, now: datetime
) -> None:
    """A branch's currency unit and minimum purchase: /branch <id> [unit|minimum <amount|club>]."""
    parts = (command.args or "").split()
    key = BRANCH_RULE_WORDS.get(parts[1].lower()) if len(parts) == 3 else None
    if len(parts) not in (1, 3) or (len(parts) == 3 and key is None):
        await say(
            message,
            t(N_("Usage: /branch <branch id> [unit|minimum <amount|club>]"), locale),
        )
        return
    branch_id = parse_id(parts[0])
    if key is None:
        branch = await places.branch_rules(staff, branch_id)
    else:
        club = parts[2].lower() in ("club", "باشگاه")
        value = None if club else parse_int(parts[2], signed=True, maximum=None)
        branch = await places.set_branch_rule(staff, branch_id, key, value, now=now)
    await say(message, await branch_rules_text(branch, locale))


async def branch_rules_text(branch: Branch, locale: str) -> str:
    """A branch's currency unit and minimum purchase, the club's where it has none."""
    rules = await get_rules()
    return t(
        N_("#{id} {name}: currency unit {unit}; minimum purchase {minimum}."),
        locale,
        id=ident(branch.id, locale),
        name=branch_name(branch.name, locale),
        unit=own_amount(branch.currency_unit or None, rules.currency_unit, locale),
        minimum=own_amount(branch.min_purchase, rules.min_purchase, locale),
    )


def own_amount(value: int | None, club: int, locale: str) -> str:
    """A branch's own amount, or the club's, said to be the club's."""
    if value is None:
        return t(N_("the club's ({amount} toman)"), locale, amount=number(club, locale))
    return t(N_("{amount} toman"), locale, amount=number(value, locale))


async def on_groups(
    message: Message, command: CommandObject, staff: Staff, locale: str, now: datetime
) -> None:
    parts = (command.args or "").split(maxsplit=2)
    if parts[:1] == ["set"] and len(parts) == 3:
        multiplier = parse_number(parts[1], "multiplier", decimal=True)
        await places.set_group(staff, parts[2], multiplier, now=now)
    elif parts:
        await say(message, t(N_("Usage: /groups [set <multiplier> <name>]"), locale))
        return
    groups = await ProductGroup.filter(active=True).order_by("id")
    lines = [
        t(
            N_("#{id} {name}: points ×{multiplier}"),
            locale,
            id=ident(g.id, locale),
            name=g.name,
            multiplier=amount(g.multiplier, locale),
        )
        for g in groups
    ]
    await say(message, "\n".join(lines) or t(N_("No product groups yet."), locale))


async def on_settings(
    message: Message, command: CommandObject, staff: Staff, locale: str, now: datetime
) -> None:
    parts = (command.args or "").split(maxsplit=1)
    if len(parts) == 2:
        await set_rule(staff, parts[0].lower(), parts[1], now=now)
    elif parts:
        await say(message, t(N_("Usage: /settings [<name> <value>]"), locale))
        return
    rules = await get_rules()
    # Each rule by its name in the reader's language, then how to change it: the key is typed.
    lines = [
        f"{t(RULES[key], locale)}: {rule_value(key, getattr(rules, key), locale)} (/settings {key})"
        for key in SETTINGS
    ]
    await say(message, "\n".join(lines))


def router() -> Router:
    commands = Router(name="staff.manage")
    commands.message.register(
        on_invite,
        CommandStart(deep_link=True, magic=F.args.startswith(team.INVITE_PREFIX)),
        flags={"public": True},
    )
    commands.message.register(on_help, Command("staff_help"))
    commands.message.register(on_staff, Command("staff"), flags={"action": Action.MANAGE_STAFF})
    commands.message.register(on_rewards, Command("rewards"), flags={"action": Action.REWARDS})
    commands.message.register(on_branches, Command("branches"), flags={"action": Action.BRANCHES})
    commands.message.register(on_branch, Command("branch"), flags={"action": Action.BRANCH_EARNING})
    commands.message.register(on_groups, Command("groups"), flags={"action": Action.GROUPS})
    commands.message.register(on_settings, Command("settings"), flags={"action": Action.SETTINGS})
    return commands
