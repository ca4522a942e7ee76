"""What staff set on a member: a new card for a lost one (/newcard), the tier floor
(/tier), and the company a member buys for with its own earning rate (/company)."""

from __future__ import annotations

from datetime import datetime

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from handlers.i18n import N_, t
from handlers.telegram.staff.common import request_of, say
from handlers.texts import tier_code, tier_name
from loyalty.members import find_member, get_member
from loyalty.staff import member_settings as settings_of
from loyalty.staff.limits import parse_number
from loyalty.staff.permissions import Action
from models import Member, Staff, Tier

OFF = ("off", "-")


def _name(member: Member) -> str:
    return f"{member.first_name} {member.last_name}".strip() or member.phone or "-"


async def on_new_card(
    message: Message, command: CommandObject, staff: Staff, locale: str, now: datetime
) -> None:
    reference = (command.args or "").strip()
    if not reference:
        await say(message, t(N_("Usage: /newcard <member>"), locale))
        return
    done = await settings_of.new_card(staff, reference, request=request_of(message), now=now)
    member = await get_member(done.card.member_id)
    await say(
        message,
        t(
            N_("New card for {name}: {card}. Card {old} no longer works."),
            locale,
            name=_name(member),
            card=done.card.number,
            old=done.old or "-",
        ),
    )


async def on_tier(
    message: Message, command: CommandObject, staff: Staff, locale: str, now: datetime
) -> None:
    parts = (command.args or "").split()
    if len(parts) < 2:
        await say(message, t(N_("Usage: /tier <member> <tier|off>"), locale))
        return
    member = await find_member(parts[0])
    typed = " ".join(parts[1:])
    tiers = await Tier.all().values_list("code", "name")
    code = None if typed.lower() in OFF else tier_code(typed, tiers)
    member = await settings_of.set_tier_floor(staff, member.id, code, now=now)
    tier = await Tier.get(id=member.tier_id)
    shown = tier_name(tier.code, tier.name, locale)
    if code is None:
        text = t(
            N_("{name} has no tier floor: from the next review the points decide. Tier: {tier}."),
            locale,
            name=_name(member),
            tier=shown,
        )
    else:
        floor = await Tier.get(id=member.tier_floor_id)
        text = t(
            N_("{name} keeps at least {floor} at every review. Tier: {tier}."),
            locale,
            name=_name(member),
            floor=tier_name(floor.code, floor.name, locale),
            tier=shown,
        )
    await say(message, text)


async def on_company(
    message: Message, command: CommandObject, staff: Staff, locale: str, now: datetime
) -> None:
    parts = (command.args or "").split(maxsplit=2)
    if len(parts) < 2 or (parts[1].lower() == "rate" and len(parts) != 3):
        await say(
            message,
            t(
                N_(
                    "Usage: /company <member> <company name|off> or "
                    "/company <member> rate <rate|club>"
                ),
                locale,
            ),
        )
        return
    member = await find_member(parts[0])
    if parts[1].lower() == "rate":
        club = parts[2].strip().lower() == "club"
        rate = None if club else parse_number(parts[2], "earn_rate", decimal=True)
        member = await settings_of.set_company_rate(staff, member.id, rate, now=now)  # type: ignore[arg-type]
        if member.company_earn_rate is None:
            text = t(N_("{name} earns by the club's rate again."), locale, name=_name(member))
        else:
            text = t(
                N_("{name} earns {rate} points per currency unit from now on."),
                locale,
                name=_name(member),
                rate=_rate(member, locale),
            )
    elif len(parts) == 2 and parts[1].lower() in OFF:
        member = await settings_of.set_company(staff, member.id, None, now=now)
        text = t(N_("{name} is an individual customer now."), locale, name=_name(member))
    else:
        member = await settings_of.set_company(staff, member.id, " ".join(parts[1:]), now=now)
        text = t(
            N_("{name} is a company customer now, for {company}."),
            locale,
            name=_name(member),
            company=member.company_name,
        )
    await say(message, text)


def _rate(member: Member, locale: str) -> str:
    from handlers.telegram.staff.texts import amount

    assert member.company_earn_rate is not None
    return amount(member.company_earn_rate, locale)


def router() -> Router:
    commands = Router(name="staff.member_settings")
    commands.message.register(
        on_new_card, Command("newcard"), flags={"action": Action.REPLACE_CARD}
    )
    commands.message.register(on_tier, Command("tier"), flags={"action": Action.SET_TIER})
    commands.message.register(on_company, Command("company"), flags={"action": Action.COMPANY})
    return commands
