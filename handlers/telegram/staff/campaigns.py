"""Staff commands for campaigns and lotteries: /campaigns, /campaign, /lottery.

    /campaign <telegram|sms|telegram_sms> [filters] | <text>
    filters: tier=gold branch=2 gender=female age=20-40 type=company interests=1,3
             month=5 (Jalali birthday month) inactive=60 rfm=champions at=1405/01/10 10:00
A photo with the command as its caption is sent with the text on Telegram.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, MagicData
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)

from handlers.format import digits, listing, moment, number
from handlers.i18n import N_, pick_locale, t
from handlers.sms.text import sms_parts
from handlers.telegram.widgets import esc
from handlers.texts import error_text
from loyalty import campaigns, lottery
from loyalty.clock import utcnow
from loyalty.dates import read_local_time
from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.rfm import SEGMENTS
from loyalty.staff.access import permitted
from loyalty.staff.permissions import Action
from loyalty.text import to_ascii_digits
from models import Campaign, Lottery, Staff

STATUS = {
    "draft": N_("draft"),
    "scheduled": N_("scheduled"),
    "running": N_("running"),
    "done": N_("sent to the outbox"),
    "cancelled": N_("cancelled"),
    "paused": N_("paused"),
    "stopped": N_("stopped"),
    "expired": N_("expired unconfirmed"),
}
SHORT = 40  # characters of a campaign's text in the list
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


# The filters as the command spells them, for the answer to one it does not know.
FILTER_WORDS = "tier= branch= gender= age= type= interests= month= inactive= rfm="


def not_understood(part: str, locale: str) -> str:
    return t(
        N_("I did not understand «{part}». Filters: {filters}"),
        locale,
        part=part,
        filters=FILTER_WORDS,
    )


def filter_refusal(error: LoyaltyError, locale: str) -> str:
    """A filter value that does not exist, with the values that do."""
    if error.code is not ErrorCode.INVALID_FILTER:
        return error_text(error, locale)
    word = {audience_key: word for word, audience_key in KEYS.items()}
    word |= {"interests": "interests", "age_min": "age", "age_max": "age"}
    valid = error.values["valid"]
    if not valid:
        return t(
            N_("There is no {value} for {filter}: there is nothing to choose from yet."),
            locale,
            value=error.values["value"],
            filter=word.get(error.values["filter"], error.values["filter"]),
        )
    return t(
        N_("There is no {value} for {filter}. Choose one of: {valid}"),
        locale,
        value=error.values["value"],
        filter=word.get(error.values["filter"], error.values["filter"]),
        valid=listing(valid, locale),
    )


def _locale(message: Message | CallbackQuery, settings: Any) -> str:
    code = message.from_user.language_code if message.from_user else None
    return pick_locale(code, default=getattr(settings, "default_locale", "fa"))


def parse_audience(
    tokens: list[str], tz: Any, now: datetime
) -> tuple[dict[str, Any], datetime | None]:
    """key=value filters into an audience; ValueError(token) names what was not understood."""
    audience: dict[str, Any] = {}
    send_at: datetime | None = None
    tokens = _joined_times(tokens)
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
            try:
                send_at = read_local_time(value).at(now, tz)
            except ValueError:
                raise ValueError(token) from None
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


def _joined_times(tokens: list[str]) -> list[str]:
    """`at=1405/09/12 10:00` arrives as two tokens: the clock joins its date."""
    joined: list[str] = []
    for token in tokens:
        if joined and joined[-1].startswith("at=") and "=" not in token and ":" in token:
            joined[-1] += f" {token}"
        else:
            joined.append(token)
    return joined


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


def _short(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= SHORT else line[: SHORT - 1] + "…"


async def _who(user_id: int) -> dict[str, Any]:
    """Who acts, for the audit: the staff row, or an owner named in the settings only."""
    staff = await Staff.get_or_none(telegram_id=user_id)
    return {"staff_id": staff.id, "actor": ""} if staff else {"actor": f"telegram:{user_id}"}


async def list_campaigns(message: Message, settings: Any) -> None:
    locale = _locale(message, settings)
    if not await permitted(message.from_user.id, settings.owner_ids, Action.CAMPAIGN):
        await message.answer(t(N_("Only the owner and managers can do this."), locale))
        return
    now = utcnow()
    await campaigns.expire_drafts(now)
    who = await _who(message.from_user.id)
    blocks = []
    for c in await campaigns.recent(staff_id=who.get("staff_id")):
        p = {k: number(v, locale) for k, v in (await campaigns.progress(c.id)).items()}
        blocks.append(
            t(
                N_(
                    "#{id} {status} · {channel} · {when}\n{text}\n"
                    "Reach {reach}: queued {queued}, sent {sent}, failed {failed}, "
                    "skipped {skipped}, held {held}"
                ),
                locale,
                id=number(c.id, locale),
                status=t(STATUS.get(c.status, c.status), locale),
                channel=t(CHANNEL_NAMES[c.channel], locale),
                when=moment(c.send_at, locale, settings.tz),
                text=esc(_short(c.text)),
                reach=number(await campaigns.reach(c, now, settings.tz), locale),
                **p,
            )
        )
    if not blocks:
        await message.answer(t(N_("No campaigns yet."), locale))
        return
    blocks.append(esc(t(CONTROLS, locale)))
    await message.answer("\n\n".join(blocks))


CONTROLS = N_(
    "Cancel one that has not started: /campaign cancel <number>. Pause, resume or stop one "
    "that is sending: /campaign pause|resume|stop <number>."
)
ACTIONS = {
    "cancel": (campaigns.cancel, N_("Campaign #{id} cancelled.")),
    "pause": (campaigns.pause, N_("Campaign #{id} paused: what was sent stays sent.")),
    "resume": (campaigns.resume, N_("Campaign #{id} goes on.")),
    "stop": (campaigns.stop, N_("Campaign #{id} stopped: what was sent stays sent.")),
}
REFUSALS = {
    "cancel": N_("Campaign #{id} has already started or ended: pause or stop it instead."),
    "pause": N_("Campaign #{id} is not sending now."),
    "resume": N_("Campaign #{id} is not paused."),
    "stop": N_("Campaign #{id} is not sending now."),
}


async def _control(message: Message, action: str, raw_id: str, locale: str) -> None:
    """Cancel, pause, resume or stop campaign number `raw_id`."""
    raw_id = to_ascii_digits(raw_id).lstrip("#")
    campaign = await Campaign.get_or_none(id=int(raw_id)) if raw_id.isdigit() else None
    who = await _who(message.from_user.id)
    if campaign is None or not await campaigns.in_reach(campaign.audience, who.get("staff_id")):
        await message.answer(t(N_("No such campaign."), locale))
        return
    act, said = ACTIONS[action]
    done = await act(campaign.id, now=utcnow(), **who)
    text = said if done else REFUSALS[action]
    await message.answer(t(text, locale, id=number(int(raw_id), locale)))


# Bare /campaign opens the guided dialog (campaign_dialog.py).
async def new_campaign(message: Message, command: CommandObject, settings: Any) -> None:
    locale = _locale(message, settings)
    if not await permitted(message.from_user.id, settings.owner_ids, Action.CAMPAIGN):
        await message.answer(t(N_("Only the owner and managers can do this."), locale))
        return
    head, bar, text = (command.args or "").partition("|")
    tokens = head.split()
    if not bar and len(tokens) == 2 and tokens[0] in ACTIONS:
        await _control(message, tokens[0], tokens[1], locale)
        return
    if not bar or not tokens or tokens[0] not in campaigns.CHANNELS:
        await message.answer(
            t(
                N_(
                    "Write: /campaign telegram|sms|telegram_sms [filters] | text\n"
                    "Filters: tier=gold branch=2 gender=female age=20-40 type=company "
                    "interests=1,3 "
                    "month=5 inactive=60 rfm=champions at=1405/01/10 10:00"
                ),
                locale,
            )
        )
        return
    now = utcnow()
    try:
        audience, send_at = parse_audience(tokens[1:], settings.tz, now)
    except ValueError as exc:
        await message.answer(not_understood(str(exc), locale))
        return
    photo = message.photo[-1].file_id if message.photo else None
    try:
        campaign = await campaigns.create(
            audience,
            tokens[0],
            text,
            send_at=send_at or now,
            photo=photo,
            now=now,
            status="draft",
            **await _who(message.from_user.id),
        )
    except LoyaltyError as exc:
        await message.answer(filter_refusal(exc, locale))
        return
    p = await campaigns.preview(
        campaign.audience, tokens[0], campaign.text, now=now, tz=settings.tz, sms_parts=sms_parts
    )
    await message.answer(
        t(
            N_(
                "Campaign #{id} by {channel} reaches {total} members: {telegram} on Telegram, "
                "{sms} by SMS "
                "({parts} SMS parts). Send it?"
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


async def on_confirm(query: CallbackQuery, settings: Any) -> None:
    locale = _locale(query, settings)
    if not await permitted(query.from_user.id, settings.owner_ids, Action.CAMPAIGN):
        await query.answer(
            t(N_("Only the owner and managers can do this."), locale), show_alert=True
        )
        return
    _, action, raw_id = (query.data or "").split(":", 2)
    await campaigns.expire_drafts(utcnow())
    campaign = await Campaign.get_or_none(id=int(raw_id)) if raw_id.isdigit() else None
    if campaign is None or campaign.status != "draft":
        await query.answer(
            t(N_("This campaign was already confirmed or cancelled."), locale), show_alert=True
        )
        return
    # Both buttons pressed at once both pass the check above: each acts only on the campaign
    # as it expects to find it, and says so otherwise.
    if action == "ok":
        done = await campaigns.confirm(
            campaign.id,
            send_at=max(campaign.send_at, utcnow()),
            **await _who(query.from_user.id),
        )
        text = t(
            N_("Campaign #{id} is scheduled. Follow it with /campaigns."),
            locale,
            id=number(campaign.id, locale),
        )
    else:
        done = await campaigns.cancel(campaign.id, **await _who(query.from_user.id))
        text = t(N_("Campaign #{id} cancelled."), locale, id=number(campaign.id, locale))
    if not done:
        await query.answer(
            t(N_("This campaign was already confirmed or cancelled."), locale), show_alert=True
        )
        return
    await query.answer()
    if query.message is not None:
        await query.message.answer(text)


async def run_lottery(message: Message, command: CommandObject, settings: Any) -> None:
    locale = _locale(message, settings)
    if not await permitted(message.from_user.id, settings.owner_ids, Action.LOTTERY):
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
                    "Write: /lottery <winners> [per=<points per ticket>] [filters], then /lottery "
                    "draw <number>"
                ),
                locale,
            ),
            parse_mode=None,  # plain: the placeholders in <> are not HTML tags
        )
        return
    per = next((a for a in args[1:] if a.startswith("per=")), None)
    try:
        audience, _ = parse_audience([a for a in args[1:] if a is not per], settings.tz, utcnow())
        if per is not None and not per.removeprefix("per=").isdigit():
            raise ValueError(per)
        points = int(per.removeprefix("per=")) if per else None
    except ValueError as exc:
        await message.answer(not_understood(str(exc), locale))
        return
    try:
        made = await lottery.create(
            audience,
            int(args[0]),
            points_per_ticket=points,
            now=utcnow(),
            **await _who(message.from_user.id),
        )
    except LoyaltyError as exc:
        await message.answer(filter_refusal(exc, locale))
        return
    await message.answer(
        t(
            N_(
                "Lottery #{id} is open. Publish this hash of its secret seed before the "
                "draw:\n{hash}"
            ),
            locale,
            id=number(made.id, locale),
            hash=made.seed_hash,
        )
    )


def masked_phone(phone: str, locale: str) -> str:
    """+989121234567 → 0912***4567 (Persian digits in Persian): enough for a winner to know
    themselves, too little to call a stranger."""
    local = "0" + phone.removeprefix("+98") if phone.startswith("+98") else phone
    masked = f"{local[:4]}***{local[-4:]}" if len(local) > 8 else "-"
    return digits(masked, locale)


async def _draw(message: Message, lottery_id: int, locale: str, settings: Any) -> None:
    found = await Lottery.get_or_none(id=lottery_id)
    who = await _who(message.from_user.id)
    if found is None or not await campaigns.in_reach(found.audience, who.get("staff_id")):
        await message.answer(t(N_("No such lottery."), locale))
        return
    drawn = await lottery.draw(lottery_id, now=utcnow(), tz=settings.tz, **who)
    winners = [
        t(
            N_("{n}. {name}, card {card}, {phone}"),
            locale,
            n=number(n, locale),
            name=esc(w.name or "-"),
            card=digits(w.card or "-", locale),
            phone=masked_phone(w.phone, locale),
        )
        for n, w in enumerate(await lottery.winners_of(drawn), start=1)
    ]
    await message.answer(
        t(
            N_(
                "Lottery #{id} drawn. Winners:\n{winners}\nSeed: {seed}\n"
                "The entries are in the file: anyone can repeat the draw from the seed and the "
                "entries."
            ),
            locale,
            id=number(lottery_id, locale),
            winners="\n".join(winners) or "-",
            seed=drawn.seed,
        )
    )
    await message.answer_document(
        BufferedInputFile(
            (await _entries_file(drawn, locale)).encode(),
            filename=f"lottery-{lottery_id}-entries.txt",
        )
    )


async def _entries_file(drawn: Lottery, locale: str) -> str:
    """The published entries: the rule, then member number, card and tickets a line, in the
    order the draw counts them (loyalty/lottery.py, pick_winners)."""
    head = t(
        N_(
            "Lottery #{id}. Seed: {seed} (its SHA-256 was published before the draw: {hash}). "
            'Winner i (from 0) is ticket int(sha256("<seed>:<i>")) mod the tickets left, counted '
            "through the entries below in their order; a winner's tickets leave the pot. "
            "Columns: member number, card, tickets."
        ),
        locale,
        id=number(drawn.id, locale),
        seed=drawn.seed,
        hash=drawn.seed_hash,
    )
    lines = [f"{e.member_id} {e.card or '-'} {e.tickets}" for e in await lottery.entrants(drawn)]
    return "\n".join([head, *lines]) + "\n"


def router() -> Router:
    commands = Router(name="campaigns")
    commands.message.register(list_campaigns, Command("campaigns"))
    commands.message.register(new_campaign, Command("campaign", magic=F.args))
    commands.callback_query.register(on_confirm, MagicData(F.event.data.startswith(BUTTONS)))
    commands.message.register(run_lottery, Command("lottery"))
    return commands
