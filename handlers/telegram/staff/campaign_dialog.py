"""The guided way to create a campaign: bare /campaign opens this dialog (managers and owners).

Steps: audience (filters added one by one; none is everyone), channel, text (a photo with
the text as its caption on Telegram), when, a preview with the counts per channel and the
SMS parts, then confirm. The result is the same Campaign row the one-line
`/campaign <channel> [filters] | text` makes; the scheduler's campaign job enqueues it.

When: "Send now", or a local time in the club's CLUB_TIMEZONE, typed in any of the forms
`loyalty.dates.LocalTime` lists (18:30, 1405/01/10 18:30, 2026-03-30 18:30).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from aiogram import F, Router
from aiogram.enums import ContentType
from aiogram.filters import Command
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import Dialog, DialogManager, StartMode, Window
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Button, Cancel, Group, Row, Select, SwitchTo
from aiogram_dialog.widgets.text import Format

from handlers.format import listing, moment, number
from handlers.i18n import N_, t
from handlers.sms.text import sms_parts
from handlers.telegram.staff.campaigns import CHANNEL_NAMES, _locale
from handlers.telegram.widgets import Tr, buttons_only, esc, locale_of, on_not_text, text_input
from handlers.texts import SEGMENT_NAMES, branch_name, error_text, tier_name
from loyalty import campaigns
from loyalty.audiences import scoped
from loyalty.clock import utcnow
from loyalty.dates import LocalTime, read_local_time
from loyalty.errors import LoyaltyError
from loyalty.rfm import SEGMENTS
from loyalty.staff.access import permitted
from loyalty.staff.permissions import Action
from loyalty.text import to_ascii_digits
from models import Branch, CustomerType, Gender, ProductGroup, Staff, Tier


class CampaignSG(StatesGroup):
    audience = State()
    pick = State()  # a filter chosen from buttons
    typed = State()  # a filter typed as text
    channel = State()
    text = State()
    when = State()
    preview = State()


# Filters chosen from a list of buttons, and those typed; the value is the button label.
PICKED = {
    "tier": N_("Tier"),
    "branch_id": N_("Branch"),
    "gender": N_("Gender"),
    "customer_type": N_("Customer type"),
    "interests": N_("Interests"),
    "rfm": N_("RFM segment"),
}
TYPED = {
    "age": N_("Age range"),
    "birthday_month": N_("Birthday month"),
    "inactive_days": N_("Inactive for days"),
}
PROMPTS = {
    "age": N_("Send the age range like 20-40."),
    "birthday_month": N_("Send the birthday month as a number from 1 (Farvardin) to 12 (Esfand)."),
    "inactive_days": N_("Send the number of days without a purchase, like 60."),
}
GENDER_NAMES = {
    Gender.FEMALE: N_("Women"),
    Gender.MALE: N_("Men"),
    Gender.UNSPECIFIED: N_("Gender not given"),
}
TYPE_NAMES = {CustomerType.INDIVIDUAL: N_("Individuals"), CustomerType.COMPANY: N_("Companies")}


def _now(manager: DialogManager) -> datetime:
    return manager.middleware_data.get("now") or utcnow()


def _tz(manager: DialogManager) -> Any:
    return manager.middleware_data["settings"].tz


def _audience(manager: DialogManager) -> dict[str, Any]:
    return manager.dialog_data.setdefault("audience", {})


# ---- opening --------------------------------------------------------------------------------


async def open_dialog(message: Message, dialog_manager: DialogManager, settings: Any) -> None:
    locale = _locale(message, settings)
    if not await permitted(message.from_user.id, settings.owner_ids, Action.CAMPAIGN):
        await message.answer(t(N_("Only the owner and managers can do this."), locale))
        return
    await dialog_manager.start(
        CampaignSG.audience, data={"locale": locale}, mode=StartMode.RESET_STACK
    )


# ---- audience -------------------------------------------------------------------------------


async def describe(audience: dict[str, Any], locale: str) -> str:
    """The audience in words, one filter a line; no filter is everyone."""
    parts: list[str] = []
    if audience.get("tier"):
        tier = await Tier.get_or_none(code=audience["tier"])
        parts.append(
            f"{t(PICKED['tier'], locale)}: "
            f"{tier_name(audience['tier'], tier.name if tier else None, locale)}"
        )
    if audience.get("branch_id"):
        branch = await Branch.get_or_none(id=audience["branch_id"])
        parts.append(
            f"{t(PICKED['branch_id'], locale)}: "
            f"{esc(branch_name(branch.name, locale) if branch else audience['branch_id'])}"
        )
    if audience.get("gender"):
        parts.append(t(GENDER_NAMES[Gender(audience["gender"])], locale))
    if audience.get("customer_type"):
        parts.append(t(TYPE_NAMES[CustomerType(audience["customer_type"])], locale))
    if audience.get("interests"):
        names = (
            await ProductGroup.filter(id__in=audience["interests"])
            .order_by("id")
            .values_list("name", flat=True)
        )
        parts.append(f"{t(PICKED['interests'], locale)}: {esc(listing(names, locale))}")
    if "age_min" in audience:
        parts.append(
            t(
                N_("Age {low} to {high}"),
                locale,
                low=number(audience["age_min"], locale),
                high=number(audience["age_max"], locale),
            )
        )
    if audience.get("birthday_month"):
        parts.append(
            f"{t(TYPED['birthday_month'], locale)}: {number(audience['birthday_month'], locale)}"
        )
    if audience.get("inactive_days"):
        parts.append(
            t(
                N_("No purchase for {days} days"),
                locale,
                days=number(audience["inactive_days"], locale),
            )
        )
    if audience.get("rfm"):
        parts.append(f"{t(PICKED['rfm'], locale)}: {t(SEGMENT_NAMES[audience['rfm']], locale)}")
    return "\n".join(parts) or t(N_("Everyone"), locale)


async def audience_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    locale = locale_of(dialog_manager)
    audience = _audience(dialog_manager)
    return {"audience": await describe(audience, locale), "has_filters": bool(audience)}


async def on_filter(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    manager.dialog_data["filter"] = button.widget_id
    await manager.switch_to(CampaignSG.pick if button.widget_id in PICKED else CampaignSG.typed)


async def on_clear(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    manager.dialog_data["audience"] = {}


async def options_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    """The buttons of the chosen filter as (label, value) pairs."""
    locale = locale_of(dialog_manager)
    chosen = dialog_manager.dialog_data.get("filter", "tier")
    if chosen == "tier":
        options = [
            (tier_name(x.code, x.name, locale), x.code)
            for x in await Tier.all().order_by("threshold")
        ]
    elif chosen == "branch_id":
        options = [(x.name, str(x.id)) for x in await Branch.filter(active=True).order_by("id")]
    elif chosen == "gender":
        options = [(t(label, locale), value.value) for value, label in GENDER_NAMES.items()]
    elif chosen == "customer_type":
        options = [(t(label, locale), value.value) for value, label in TYPE_NAMES.items()]
    elif chosen == "interests":
        picked = set(_audience(dialog_manager).get("interests", []))
        options = [
            (("✓ " if x.id in picked else "") + x.name, str(x.id))
            for x in await ProductGroup.filter(active=True).order_by("id")
        ]
    else:
        options = [(t(SEGMENT_NAMES[name], locale), name) for name in SEGMENTS]
    return {
        "options": options,
        "filter": t(PICKED[chosen], locale),
        "multi": chosen == "interests",
        "empty": not options,
    }


async def on_option(
    callback: CallbackQuery, widget: Any, manager: DialogManager, value: str
) -> None:
    chosen = manager.dialog_data.get("filter", "tier")
    audience = _audience(manager)
    if chosen == "interests":  # several groups: toggle, then Done
        picked = list(audience.get("interests", []))
        picked.remove(int(value)) if int(value) in picked else picked.append(int(value))
        audience["interests"] = sorted(picked)
        if not picked:
            del audience["interests"]
        return
    audience[chosen] = int(value) if chosen == "branch_id" else value
    await manager.switch_to(CampaignSG.audience)


async def typed_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    chosen = dialog_manager.dialog_data.get("filter", "age")
    return {"prompt": t(PROMPTS[chosen], locale_of(dialog_manager))}


class TypedNumbers(NamedTuple):
    low: int
    high: int | None  # a range's end; None for a single number


def read_numbers(text: str) -> TypedNumbers:
    """A number (60) or a range (20-40), any digits; ValueError when it is neither."""
    value = to_ascii_digits(text).replace(" ", "").replace("–", "-")
    low, dash, high = value.partition("-")
    if not low.isdigit() or (dash and not high.isdigit()):
        raise ValueError(text)
    return TypedNumbers(int(low), int(high) if dash else None)


def typed_filter(chosen: str, typed: TypedNumbers) -> dict[str, int] | None:
    """The audience keys of a typed filter; None when the numbers do not fit it."""
    if chosen == "age":
        if typed.high is None or typed.low > typed.high:
            return None
        return {"age_min": typed.low, "age_max": typed.high}
    if typed.high is not None or typed.low < 1 or (chosen == "birthday_month" and typed.low > 12):
        return None
    return {chosen: typed.low}


async def on_not_understood(
    message: Message, widget: Any, manager: DialogManager, error: ValueError
) -> None:
    await message.answer(
        t(N_("I did not understand «{part}»."), locale_of(manager), part=esc(message.text))
    )


async def on_typed(
    message: Message, widget: Any, manager: DialogManager, typed: TypedNumbers
) -> None:
    values = typed_filter(manager.dialog_data.get("filter", "age"), typed)
    if values is None:
        await on_not_understood(message, widget, manager, ValueError(message.text))
        return
    _audience(manager).update(values)
    await manager.switch_to(CampaignSG.audience)


# ---- channel, text, time --------------------------------------------------------------------


async def channel_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    locale = locale_of(dialog_manager)
    return {"channels": [(t(CHANNEL_NAMES[c], locale), c) for c in campaigns.CHANNELS]}


async def on_channel(
    callback: CallbackQuery, widget: Any, manager: DialogManager, value: str
) -> None:
    manager.dialog_data["channel"] = value
    if value == "sms":
        manager.dialog_data.pop("photo", None)  # an SMS cannot carry one
    await manager.switch_to(CampaignSG.text)


async def text_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    return {
        "photo_allowed": dialog_manager.dialog_data.get("channel") != "sms",
        "max": number(campaigns.MAX_TEXT, locale_of(dialog_manager)),
    }


async def on_text(message: Message, widget: MessageInput, manager: DialogManager) -> None:
    locale = locale_of(manager)
    text = message.text or message.caption or ""
    if message.photo and manager.dialog_data.get("channel") == "sms":
        await message.answer(t(N_("An SMS cannot carry a photo: send the text alone."), locale))
        return
    if message.photo and not text.strip():
        await message.answer(t(N_("Write the campaign text as the photo's caption."), locale))
        return
    try:
        campaigns.check_text(text)
    except LoyaltyError as error:
        await message.answer(error_text(error, locale))
        return
    manager.dialog_data["text"] = text.strip()
    if message.photo:
        manager.dialog_data["photo"] = message.photo[-1].file_id
    else:
        manager.dialog_data.pop("photo", None)
    await manager.switch_to(CampaignSG.when)


async def on_when(message: Message, widget: Any, manager: DialogManager, typed: LocalTime) -> None:
    now = _now(manager)
    try:
        at = typed.at(now, _tz(manager))
    except ValueError as error:  # a date that does not exist
        await on_not_understood(message, widget, manager, error)
        return
    if at <= now:
        await message.answer(t(N_("That time has already passed."), locale_of(manager)))
        return
    manager.dialog_data["send_at"] = at.isoformat()
    await manager.switch_to(CampaignSG.preview)


async def on_now(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    manager.dialog_data.pop("send_at", None)
    await manager.switch_to(CampaignSG.preview)


# ---- preview and confirm --------------------------------------------------------------------


async def preview_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    locale = locale_of(dialog_manager)
    data = dialog_manager.dialog_data
    channel = data["channel"]
    staff = await Staff.get_or_none(telegram_id=dialog_manager.event.from_user.id)
    try:
        audience = await scoped(_audience(dialog_manager), staff.id if staff else None)
    except LoyaltyError:
        audience = _audience(dialog_manager)  # refused, with the reason, at Confirm
    p = await campaigns.preview(
        audience,
        channel,
        data["text"],
        now=_now(dialog_manager),
        tz=_tz(dialog_manager),
        sms_parts=sms_parts,
    )
    if data.get("send_at"):
        when = t(
            N_("at {moment}"),
            locale,
            moment=moment(datetime.fromisoformat(data["send_at"]), locale, _tz(dialog_manager)),
        )
    else:
        when = t(N_("now"), locale)
    return {
        "audience": await describe(audience, locale),
        "channel": t(CHANNEL_NAMES[channel], locale),
        "when": when,
        "text": esc(data["text"]),
        "total": number(p.total, locale),
        "telegram": number(p.telegram, locale),
        "sms": number(p.sms, locale),
        "parts": number(p.sms_parts, locale),
        "photo": bool(data.get("photo")),
    }


async def on_confirm(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    locale = locale_of(manager)
    settings = manager.middleware_data["settings"]
    if not await permitted(callback.from_user.id, settings.owner_ids, Action.CAMPAIGN):
        await callback.answer(
            t(N_("Only the owner and managers can do this."), locale), show_alert=True
        )
        return
    data, now = manager.dialog_data, _now(manager)
    send_at = datetime.fromisoformat(data["send_at"]) if data.get("send_at") else now
    staff = await Staff.get_or_none(telegram_id=callback.from_user.id)
    try:
        # Keyed by the press: the same update handled again (after a crash) schedules no second
        # campaign.
        campaign = await campaigns.create(
            _audience(manager),
            data["channel"],
            data["text"],
            send_at=send_at,
            photo=data.get("photo"),
            staff_id=staff.id if staff else None,
            actor="" if staff else f"telegram:{callback.from_user.id}",
            now=now,
            key=f"tg:{callback.id}",
        )
    except LoyaltyError as error:
        await callback.answer(error_text(error, locale), show_alert=True)
        return
    if callback.message is not None:
        await callback.message.answer(
            t(
                N_("Campaign #{id} is scheduled. Follow it with /campaigns."),
                locale,
                id=number(campaign.id, locale),
            )
        )
    await manager.done()


def _back(state: State) -> SwitchTo:
    return SwitchTo(Tr(N_("Back")), id=f"back_{state.state.split(':')[-1]}", state=state)


def dialog() -> Dialog:
    """A fresh dialog: a router can belong to one dispatcher only."""
    return Dialog(
        Window(
            Tr(
                N_(
                    "New campaign.\nAudience:\n{audience}\n\n"
                    "Add a filter (each one narrows the audience), or go on."
                )
            ),
            Group(
                *(
                    Button(Tr(label), id=key, on_click=on_filter)
                    for key, label in (PICKED | TYPED).items()
                ),
                width=3,
            ),
            Row(
                Button(
                    Tr(N_("Clear the filters")), id="clear", on_click=on_clear, when="has_filters"
                ),
                SwitchTo(Tr(N_("Next")), id="next", state=CampaignSG.channel),
            ),
            Cancel(Tr(N_("Cancel"))),
            buttons_only(),
            getter=audience_getter,
            state=CampaignSG.audience,
        ),
        Window(
            Tr(N_("Choose: {filter}")),
            Tr(N_("There is nothing to choose from yet."), when="empty"),
            Group(
                Select(
                    Format("{item[0]}"),
                    id="opt",
                    item_id_getter=lambda item: item[1],
                    items="options",
                    on_click=on_option,
                ),
                width=2,
            ),
            SwitchTo(Tr(N_("Done")), id="done", state=CampaignSG.audience, when="multi"),
            _back(CampaignSG.audience),
            buttons_only(),
            getter=options_getter,
            state=CampaignSG.pick,
        ),
        Window(
            Format("{prompt}"),
            _back(CampaignSG.audience),
            *text_input("typed", on_typed, type_factory=read_numbers, on_error=on_not_understood),
            getter=typed_getter,
            state=CampaignSG.typed,
        ),
        Window(
            Tr(N_("Which channel?")),
            Group(
                Select(
                    Format("{item[0]}"),
                    id="ch",
                    item_id_getter=lambda item: item[1],
                    items="channels",
                    on_click=on_channel,
                ),
                width=1,
            ),
            _back(CampaignSG.audience),
            buttons_only(),
            getter=channel_getter,
            state=CampaignSG.channel,
        ),
        Window(
            Tr(N_("Send the campaign text (at most {max} characters).")),
            Tr(
                N_("On Telegram you may send a photo with the text as its caption."),
                when="photo_allowed",
            ),
            _back(CampaignSG.channel),
            MessageInput(on_text, content_types=[ContentType.TEXT, ContentType.PHOTO]),
            MessageInput(on_not_text, content_types=ContentType.ANY),
            getter=text_getter,
            state=CampaignSG.text,
        ),
        Window(
            Tr(
                N_(
                    "When should it go out? Press Send now, or write a local time: 18:30 (today, "
                    "or tomorrow "
                    "if that time has passed), 1405/01/10 18:30 (Jalali) or 2026-03-30 18:30."
                )
            ),
            Button(Tr(N_("Send now")), id="now", on_click=on_now),
            _back(CampaignSG.text),
            *text_input("when", on_when, type_factory=read_local_time, on_error=on_not_understood),
            state=CampaignSG.when,
        ),
        Window(
            Tr(
                N_(
                    "Campaign by {channel}, {when}.\nAudience:\n{audience}\n\n{text}\n\n"
                    "It reaches {total} members: "
                    "{telegram} on Telegram, {sms} by SMS ({parts} SMS parts)."
                )
            ),
            Tr(N_("With a photo on Telegram."), when="photo"),
            Button(Tr(N_("Confirm")), id="confirm", on_click=on_confirm),
            Row(
                SwitchTo(
                    Tr(N_("Change the audience")), id="edit_audience", state=CampaignSG.audience
                ),
                SwitchTo(Tr(N_("Change the text")), id="edit_text", state=CampaignSG.text),
            ),
            Cancel(Tr(N_("Cancel"))),
            buttons_only(),
            getter=preview_getter,
            state=CampaignSG.preview,
        ),
    )


def routers() -> list[Router]:
    """Bare /campaign (the one-line form with arguments stays in campaigns.py), then the dialog."""
    commands = Router(name="campaign_dialog.commands")
    commands.message.register(open_dialog, Command("campaign", magic=F.args.is_(None)))
    return [commands, dialog()]
