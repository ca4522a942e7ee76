"""/partners: the owner's partner businesses, their offers, uploaded codes, staff and figures.

The logo is a photo sent with the caption `/partners logo <number>`; a CSV file of codes is
a document sent with the caption `/partners codes <offer number>`.
"""

from __future__ import annotations

from datetime import datetime

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from handlers.i18n import N_, t
from handlers.partners import price, staff_text, uploaded_text
from handlers.telegram.staff.common import ident, request_of, say
from handlers.texts import tier_names
from loyalty import festivals, partners
from loyalty.numbers import parse_id
from loyalty.staff import team
from loyalty.staff.permissions import Action
from models import Staff, Tier

MAX_FILE = 1024 * 1024

USAGE = N_(
    "Usage:\n/partners — the partners, their offers and figures\n"
    "/partners add <name> | <description> | <contact>\n"
    "/partners offer <partner number> <points|free> [tier=<tier>] [codes=upload] <name>\n"
    "/partners codes <offer number> — as the caption of a CSV file of codes\n"
    "/partners logo <number> — as the caption of a picture; /partners logo <number> off\n"
    "/partners invite <number> — a link for one of the partner's staff\n"
    "/partners off <number>"
)
NONE = N_("No partners yet. Add one: /partners add Cafe Lale | 10% off coffee | 021-5555")
ADDED = N_("Partner added:")
OFFER_ADDED = N_("Offer #{id} added for {partner}: {name}, {price}.")
ENDED = N_("Partner off: its offers are no longer offered.")
LOGO_SET = N_("Logo saved for {name}.")
LOGO_OFF = N_("Logo removed for {name}.")
SEND_FILE = N_("Send the CSV file of codes with the caption /partners codes <offer number>.")
SEND_PHOTO = N_("Send the picture with the caption /partners logo <number>.")
INVITED = N_(
    "A one-time invitation for a staff member of {name}: {link}\n"
    "They will validate only {name}'s codes with /redeem."
)
TOO_LARGE = N_("The file is too large.")


async def tiers_by_id() -> dict[int, Tier]:
    return {tier.id: tier for tier in await Tier.all()}


async def listing(locale: str, partner_id: int | None = None) -> str:
    tiers = await tiers_by_id()
    shown = await partners.figures(partner_id=partner_id)
    return "\n\n".join(staff_text(f, tiers, locale) for f in shown) or t(NONE, locale)


async def on_partners(
    message: Message, command: CommandObject, staff: Staff, locale: str, bot: Bot, now: datetime
) -> None:
    words = (command.args or "").split(maxsplit=1)
    verb = words[0].lower() if words else "list"
    rest = words[1] if len(words) > 1 else ""
    if verb in ("list", "فهرست") and not rest:
        await say(message, await listing(locale))
    elif verb in ("add", "افزودن") and rest:
        await _add(message, rest, staff, locale, now)
    elif verb in ("offer", "پیشنهاد") and len(rest.split()) >= 3:
        await _offer(message, rest, staff, locale, now)
    elif verb in ("logo", "نشان") and len(rest.split()) in (1, 2):
        await _logo(message, rest.split(), staff, locale, now)
    elif verb in ("invite", "دعوت") and len(rest.split()) == 1:
        invite = await partners.invite_staff(staff, parse_id(rest), now=now)
        partner = await partners.get_partner(invite.partner_id)
        me = await bot.me()
        link = f"https://t.me/{me.username}?start={team.invite_payload(invite)}"
        await say(message, t(INVITED, locale, name=partner.name, link=link))
    elif verb in ("off", "خاموش") and len(rest.split()) == 1:
        await partners.end_partner(parse_id(rest), staff_id=staff.id, now=now)
        await say(message, t(ENDED, locale))
    else:
        await say(message, t(USAGE, locale))


async def _add(message: Message, rest: str, staff: Staff, locale: str, now: datetime) -> None:
    """`<name> | <description> | <contact>`: every part read before anything is written."""
    parts = [part.strip() for part in rest.split("|")]
    if len(parts) > 3 or not parts[0]:
        await say(message, t(USAGE, locale))
        return
    parts += [""] * (3 - len(parts))
    partner = await partners.add_partner(
        parts[0],
        description=parts[1],
        contact=parts[2],
        staff_id=staff.id,
        key=request_of(message),
        now=now,
    )
    await say(message, t(ADDED, locale) + "\n" + await listing(locale, partner.id))


async def _offer(message: Message, rest: str, staff: Staff, locale: str, now: datetime) -> None:
    """`<partner> <points|free> [tier=<tier>] [codes=upload] <name>`."""
    words = rest.split()
    partner_id, cost = parse_id(words[0]), partners.read_cost(words[1])
    options: dict[str, str] = {}
    name_words = words[2:]
    while name_words and "=" in name_words[0]:
        key, _, value = name_words.pop(0).partition("=")
        options[key.lower()] = value
    if (
        not name_words
        or set(options) - {"tier", "codes"}
        or options.get("codes", "upload")
        not in (
            "upload",
            "club",
        )
    ):
        await say(message, t(USAGE, locale))
        return
    tier_id = None
    if "tier" in options:
        names = tier_names([(tier.code, tier.name) for tier in await Tier.all()])
        tier_id = await festivals.find_tier(options["tier"], names)
    offer = await partners.add_offer(
        partner_id,
        " ".join(name_words),
        cost,
        min_tier_id=tier_id,
        uploaded_codes=options.get("codes") == "upload",
        staff_id=staff.id,
        now=now,
    )
    partner = await partners.get_partner(partner_id)
    await say(
        message,
        t(
            OFFER_ADDED,
            locale,
            id=ident(offer.id, locale),
            partner=partner.name,
            name=offer.name,
            price=price(offer, await tiers_by_id(), locale),
        ),
    )


async def _codes_request(message: Message) -> bool:
    """`/partners codes ...`, typed or as a caption: the owner's, or a partner's staff's.
    A coroutine: aiogram runs a plain function filter in a worker thread."""
    words = (message.text or message.caption or "").split()
    return (
        len(words) >= 2
        and words[0].split("@")[0].lower() == "/partners"
        and words[1].lower() in ("codes", "کدها")
    )


async def on_codes(message: Message, staff: Staff, locale: str, bot: Bot, now: datetime) -> None:
    """A CSV file of codes for an offer; a partner's staff may send only their own offers'."""
    words = (message.text or message.caption or "").split()
    if len(words) != 3:
        await say(message, t(SEND_FILE, locale))
        return
    offer_id = parse_id(words[2])
    document = message.document
    if document is None:
        await say(message, t(SEND_FILE, locale))
        return
    if (document.file_size or 0) > MAX_FILE:
        await say(message, t(TOO_LARGE, locale))
        return
    await partners.offer_for(staff, offer_id)  # an unknown offer is said before the file is read
    data = await bot.download(document.file_id)
    assert data is not None
    codes = partners.read_codes(data.read())
    uploaded = await partners.upload_codes(offer_id, codes, staff_id=staff.id, now=now)
    await say(message, uploaded_text(uploaded, locale))


async def _logo(
    message: Message, words: list[str], staff: Staff, locale: str, now: datetime
) -> None:
    partner_id = parse_id(words[0])
    if len(words) == 2:
        if words[1].lower() not in ("off", "خاموش"):
            await say(message, t(USAGE, locale))
            return
        partner = await partners.set_logo(partner_id, None, staff_id=staff.id, now=now)
        await say(message, t(LOGO_OFF, locale, name=partner.name))
        return
    if not message.photo:
        await partners.get_partner(partner_id)
        await say(message, t(SEND_PHOTO, locale))
        return
    partner = await partners.set_logo(
        partner_id, message.photo[-1].file_id, staff_id=staff.id, now=now
    )
    await say(message, t(LOGO_SET, locale, name=partner.name))


def router() -> Router:
    commands = Router(name="staff.partners")
    # Before /partners: a partner's staff may upload their own offers' codes, and no more.
    commands.message.register(on_codes, _codes_request, flags={"action": Action.PARTNER_CODES})
    commands.message.register(on_partners, Command("partners"), flags={"action": Action.PARTNERS})
    return commands
