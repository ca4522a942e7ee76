"""Staff commands for campaigns and lotteries: /campaigns, /campaign, /lottery.

    /campaign <telegram|sms|telegram_sms> [filters] | <text>
    filters: tier=gold branch=2 gender=female age=20-40 type=company interests=1,3
             month=5 (Jalali birthday month) inactive=60 rfm=champions at=1405-01-10T10:00
A photo with the command as its caption is sent with the text on Telegram.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import jdatetime
from aiogram import F, Router
from aiogram.filters import Command, CommandObject, MagicData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from handlers.format import number
from handlers.i18n import N_, t
from handlers.sms.text import sms_parts
from handlers.texts import error_text
from loyalty import campaigns, lottery
from loyalty.clock import utcnow
from loyalty.errors import LoyaltyError
from loyalty.rfm import SEGMENTS
from loyalty.text import to_ascii_digits
from models import Campaign

router = Router(name="campaigns")

STATUS = {
    "draft": N_("draft"),
    "scheduled": N_("scheduled"),
    "running": N_("running"),
    "done": N_("done"),
    "cancelled": N_("cancelled"),
}
CHANNEL_NAMES = {
    "telegram": N_("Telegram"),
    "sms": N_("SMS"),
    "telegram_sms": N_("Telegram, SMS when not on Telegram"),
}
# For /report and the audience choice: the RFM segments of loyalty/rfm.py.
KEYS = {
    "tier": "tier",
    "branch": "branch_id",
    "gender": "gender",
    "type": "customer_type",
    "month": "birthday_month",
    "inactive": "inactive_days",
    "rfm": "rfm",
}


def _locale(message: Message | CallbackQuery, settings: Any) -> str:
    code = (message.from_user.language_code or "") if message.from_user else ""
    return "en" if code.startswith("en") else getattr(settings, "default_locale", "fa")


def parse_audience(tokens: list[str], tz: Any) -> tuple[dict[str, Any], datetime | None]:
    """key=value filters into an audience; ValueError(token) names what was not understood."""
    audience: dict[str, Any] = {}
    send_at: datetime | None = None
    for token in tokens:
        key, _, value = to_ascii_digits(token).partition("=")
        if not value:
            raise ValueError(token)
        if key == "age":
            low, _, high = value.partition("-")
            if not (low.isdigit() and high.isdigit()):
                raise ValueError(token)
            audience["age_min"], audience["age_max"] = int(low), int(high)
        elif key == "interests":
            if not all(part.isdigit() for part in value.split(",")):
                raise ValueError(token)
            audience["interests"] = [int(part) for part in value.split(",")]
        elif key == "at":
            send_at = _when(value, tz)
        elif key in ("branch", "month", "inactive"):
            if not value.isdigit():
                raise ValueError(token)
            audience[KEYS[key]] = int(value)
        elif key == "rfm" and value not in SEGMENTS:
            raise ValueError(token)
        elif key in KEYS:
            audience[KEYS[key]] = value
        else:
            raise ValueError(token)
    return audience, send_at


def _when(value: str, tz: Any) -> datetime:
    """A local time, Jalali (1405-01-10T10:00) or Gregorian (2026-03-30T10:00)."""
    day, _, clock = value.partition("T")
    year, month, dom = (int(p) for p in day.split("-"))
    hour, minute = (int(p) for p in (clock or "10:00").split(":"))
    if year < 1700:
        gregorian = jdatetime.date(year, month, dom).togregorian()
        year, month, dom = gregorian.year, gregorian.month, gregorian.day
    return datetime(year, month, dom, hour, minute, tzinfo=tz)


# The confirmation's buttons; every staff button's data starts with one such prefix
# (handlers/telegram/routers.py).
BUTTONS = "cmp:"


def _confirm_keyboard(campaign_id: int, locale: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=t(N_("Send"), locale), callback_data=f"{BUTTONS}ok:{campaign_id}"
                ),
                InlineKeyboardButton(
                    text=t(N_("Cancel"), locale), callback_data=f"{BUTTONS}no:{campaign_id}"
                ),
            ]
        ]
    )


@router.message(Command("campaigns"))
async def list_campaigns(message: Message, settings: Any) -> None:
    locale = _locale(message, settings)
    if not await campaigns.can_manage(message.from_user.id, settings.owner_ids):
        await message.answer(t(N_("Only the owner and managers can do this."), locale))
        return
    lines = []
    for c in await campaigns.recent():
        p = {k: number(v, locale) for k, v in (await campaigns.progress(c.id)).items()}
        lines.append(
            t(
                N_(
                    "#{id} {status}: queued {queued}, sent {sent}, "
                    "failed {failed}, skipped {skipped}"
                ),
                locale,
                id=number(c.id, locale),
                status=t(STATUS.get(c.status, c.status), locale),
                **p,
            )
        )
    await message.answer("\n".join(lines) or t(N_("No campaigns yet."), locale))


# Bare /campaign opens the guided dialog (handlers/telegram/campaign_dialog.py).
@router.message(Command("campaign", magic=F.args))
async def new_campaign(message: Message, command: CommandObject, settings: Any) -> None:
    locale = _locale(message, settings)
    if not await campaigns.can_manage(message.from_user.id, settings.owner_ids):
        await message.answer(t(N_("Only the owner and managers can do this."), locale))
        return
    head, bar, text = (command.args or "").partition("|")
    tokens = head.split()
    if not bar or not tokens or tokens[0] not in campaigns.CHANNELS:
        await message.answer(
            t(
                N_(
                    "Write: /campaign telegram|sms|telegram_sms [filters] | text\n"
                    "Filters: tier=gold branch=2 gender=female age=20-40 type=company "
                    "interests=1,3 month=5 inactive=60 rfm=champions at=1405-01-10T10:00"
                ),
                locale,
            )
        )
        return
    try:
        audience, send_at = parse_audience(tokens[1:], settings.tz)
    except ValueError as exc:
        await message.answer(t(N_("I did not understand «{part}»."), locale, part=str(exc)))
        return
    now = utcnow()
    photo = message.photo[-1].file_id if message.photo else None
    try:
        campaign = await campaigns.create(
            audience, tokens[0], text, send_at=send_at or now, photo=photo, now=now, status="draft"
        )
    except LoyaltyError as exc:
        await message.answer(error_text(exc, locale))
        return
    p = await campaigns.preview(
        audience, tokens[0], campaign.text, now=now, tz=settings.tz, sms_parts=sms_parts
    )
    await message.answer(
        t(
            N_(
                "Campaign #{id} by {channel} reaches {total} members: "
                "{telegram} on Telegram, {sms} by SMS ({parts} SMS parts). Send it?"
            ),
            locale,
            id=number(campaign.id, locale),
            channel=t(CHANNEL_NAMES[tokens[0]], locale),
            total=number(p.total, locale),
            telegram=number(p.telegram, locale),
            sms=number(p.sms, locale),
            parts=number(p.sms_parts, locale),
        ),
        reply_markup=_confirm_keyboard(campaign.id, locale),
    )


@router.callback_query(MagicData(F.event.data.startswith(BUTTONS)))
async def on_confirm(query: CallbackQuery, settings: Any) -> None:
    locale = _locale(query, settings)
    if not await campaigns.can_manage(query.from_user.id, settings.owner_ids):
        await query.answer(
            t(N_("Only the owner and managers can do this."), locale), show_alert=True
        )
        return
    _, action, raw_id = (query.data or "").split(":", 2)
    campaign = await Campaign.get_or_none(id=int(raw_id)) if raw_id.isdigit() else None
    if campaign is None or campaign.status != "draft":
        await query.answer(
            t(N_("This campaign was already confirmed or cancelled."), locale), show_alert=True
        )
        return
    # Both buttons pressed at once both pass the check above: each acts only on the campaign
    # as it expects to find it, and says so otherwise.
    if action == "ok":
        done = await campaigns.confirm(campaign.id, send_at=max(campaign.send_at, utcnow()))
        text = t(
            N_("Campaign #{id} is scheduled. Follow it with /campaigns."),
            locale,
            id=number(campaign.id, locale),
        )
    else:
        done = await campaigns.cancel(campaign.id)
        text = t(N_("Campaign #{id} cancelled."), locale, id=number(campaign.id, locale))
    if not done:
        await query.answer(
            t(N_("This campaign was already confirmed or cancelled."), locale), show_alert=True
        )
        return
    await query.answer()
    if query.message is not None:
        await query.message.answer(text)


@router.message(Command("lottery"))
async def run_lottery(message: Message, command: CommandObject, settings: Any) -> None:
    locale = _locale(message, settings)
    if not await campaigns.can_manage(message.from_user.id, settings.owner_ids):
        await message.answer(t(N_("Only the owner and managers can do this."), locale))
        return
    args = to_ascii_digits(command.args or "").split()
    if len(args) == 2 and args[0] == "draw" and args[1].isdigit():
        await _draw(message, int(args[1]), locale, settings)
        return
    if not args or not args[0].isdigit() or int(args[0]) < 1:
        await message.answer(
            t(
                N_(
                    "Write: /lottery <winners> [per=<points per ticket>] [filters], then "
                    "/lottery draw <number>"
                ),
                locale,
            )
        )
        return
    per = next((a for a in args[1:] if a.startswith("per=")), None)
    try:
        audience, _ = parse_audience([a for a in args[1:] if a is not per], settings.tz)
        if per is not None and not per.removeprefix("per=").isdigit():
            raise ValueError(per)
        points = int(per.removeprefix("per=")) if per else None
    except ValueError as exc:
        await message.answer(t(N_("I did not understand «{part}»."), locale, part=str(exc)))
        return
    made = await lottery.create(audience, int(args[0]), points_per_ticket=points, now=utcnow())
    await message.answer(
        t(
            N_(
                "Lottery #{id} is open. Publish this hash of its secret seed before the draw:\n"
                "{hash}"
            ),
            locale,
            id=number(made.id, locale),
            hash=made.seed_hash,
        )
    )


async def _draw(message: Message, lottery_id: int, locale: str, settings: Any) -> None:
    from models import Lottery

    if not await Lottery.exists(id=lottery_id):
        await message.answer(t(N_("No such lottery."), locale))
        return
    drawn = await lottery.draw(lottery_id, now=utcnow(), tz=settings.tz)
    winners = ", ".join(number(w, locale) for w in drawn.winners) or "-"
    await message.answer(
        t(
            N_(
                "Lottery #{id} drawn. Winners (member numbers): {winners}\nSeed: {seed}\n"
                "Anyone can repeat the draw from the seed and the entries."
            ),
            locale,
            id=number(lottery_id, locale),
            winners=winners,
            seed=drawn.seed,
        )
    )
