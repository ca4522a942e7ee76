"""Joining the club: language, own phone number, name, then optional details and a welcome."""

from __future__ import annotations

from contextlib import suppress
from datetime import date
from typing import Any

from aiogram.enums import ContentType
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import Data, Dialog, DialogManager, StartMode, Window
from aiogram_dialog.widgets.input import MessageInput, TextInput
from aiogram_dialog.widgets.kbd import (
    Button,
    Column,
    Multiselect,
    RequestContact,
    Row,
    Select,
)
from aiogram_dialog.widgets.markup.reply_keyboard import ReplyKeyboardFactory
from aiogram_dialog.widgets.text import Const, Format

from handlers.format import number
from handlers.i18n import N_, t
from handlers.telegram.member.birthday_picker import picked, start_picker
from handlers.telegram.member.common import answer_error, typed_birthday
from handlers.telegram.member.states import MenuSG, SignupSG
from handlers.telegram.widgets import Tr, buttons_only, choices, esc, locale_of, text_input
from handlers.texts import branch_name
from loyalty import members
from loyalty.bonuses import birthday_gift_offered
from loyalty.errors import LoyaltyError
from loyalty.phones import normalize_mobile
from loyalty.rules import get_rules
from loyalty.text import clean_name
from models import CustomerType, Gender, ProductGroup

BIRTHDAY_EXAMPLE = {"fa": "۱۳۷۰/۰۵/۱۲", "en": "1991-08-03"}


class Both(Tr):
    """The first screen, before a language is chosen: the sentence in both languages."""

    async def _render_text(self, data: dict, manager: DialogManager) -> str:
        return f"{t(self.msgid, 'fa')}\n\n{t(self.msgid, 'en')}"


async def on_language(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    manager.dialog_data["locale"] = button.widget_id
    await manager.next()


async def on_contact(message: Message, widget: MessageInput, manager: DialogManager) -> None:
    locale = locale_of(manager)
    contact = message.contact
    if contact is None or message.from_user is None or contact.user_id != message.from_user.id:
        await message.answer(
            t(
                N_("That is someone else's number. Please share your own with the button below."),
                locale,
            )
        )
        return
    try:
        normalize_mobile(contact.phone_number)  # a landline shared as a contact: refused now
        existing = await members.member_by_phone(contact.phone_number)
        if existing is not None:
            await _join(manager, contact.phone_number, existing.first_name)
            return
    except LoyaltyError as error:
        await answer_error(message, error, manager)
        return
    manager.dialog_data["phone"] = contact.phone_number
    await manager.next()


async def on_not_contact(message: Message, widget: MessageInput, manager: DialogManager) -> None:
    await message.answer(
        t(N_("Please press the button below to share your phone number."), locale_of(manager))
    )


async def on_name(message: Message, widget: TextInput, manager: DialogManager, name: str) -> None:
    manager.dialog_data["first_name"] = name
    await manager.next()


async def on_birthday(
    message: Message, widget: TextInput, manager: DialogManager, born: date
) -> None:
    manager.dialog_data["birth_date"] = born.isoformat()
    await manager.next()


async def on_calendar(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    await start_picker(manager)


async def on_birthday_picked(start_data: Data, result: Data, manager: DialogManager) -> None:
    born = picked(result)
    if born is not None and manager.current_context().state == SignupSG.birthday:
        manager.dialog_data["birth_date"] = born
        await manager.next()


async def on_gender(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    manager.dialog_data["gender"] = button.widget_id
    await manager.next()


async def on_customer_type(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    manager.dialog_data["customer_type"] = button.widget_id
    if len(await members.open_branches()) > 1:
        await manager.switch_to(SignupSG.branch)
    else:
        await _to_interests(manager)


async def on_branch(
    callback: CallbackQuery, widget: Select, manager: DialogManager, item_id: str
) -> None:
    manager.dialog_data["branch"] = int(item_id)
    await _to_interests(manager)


async def on_branch_skipped(
    callback: CallbackQuery, button: Button, manager: DialogManager
) -> None:
    await _to_interests(manager)


async def _to_interests(manager: DialogManager) -> None:
    if await ProductGroup.filter(active=True).exists():
        await manager.switch_to(SignupSG.interests)
    else:
        await _finish(manager)


async def on_interests_done(
    callback: CallbackQuery, button: Button, manager: DialogManager
) -> None:
    await _finish(manager)


async def on_skip(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    await manager.next()


async def _finish(manager: DialogManager) -> None:
    data = manager.dialog_data
    interests = manager.find("interests")
    interest_ids = [int(i) for i in interests.get_checked()] if interests else []
    await _join(manager, data["phone"], data.get("first_name", ""), interest_ids=interest_ids)


async def _join(
    manager: DialogManager, phone: str, first_name: str, *, interest_ids: list[int] | None = None
) -> None:
    """Register (or link) the member, store the optional answers, and show the welcome."""
    data = manager.dialog_data
    user = manager.middleware_data["event_from_user"]
    locale = locale_of(manager)
    result = await members.register_member(
        phone,
        first_name=first_name,
        telegram_id=user.id,
        locale=locale,
        referral_code=(manager.start_data or {}).get("ref"),
        agent_code=(manager.start_data or {}).get("agent"),
    )
    if result.created:
        await members.update_profile(
            result.member.id,
            birth_date=date.fromisoformat(data["birth_date"]) if data.get("birth_date") else None,
            gender=Gender(data["gender"]) if data.get("gender") else None,
            customer_type=CustomerType(data["customer_type"])
            if data.get("customer_type")
            else None,
            interest_ids=interest_ids or None,
        )
        if data.get("branch"):
            await _choose_branch(result.member.id, data["branch"])
    else:
        # A member who joined by SMS or was imported keeps points, and now reads in this language.
        await members.update_profile(result.member.id, locale=locale)
    manager.middleware_data["locale"] = locale
    data["welcome"] = {
        "created": result.created,
        "name": result.member.first_name,
        "bonus": result.bonus,
        "balance": result.member.balance,
    }
    await manager.switch_to(SignupSG.welcome)


async def _choose_branch(member_id: int, branch_id: int) -> None:
    # Closed while the member was signing up: they have joined all the same, and their
    # first purchase (or the profile) gives them a branch.
    with suppress(LoyaltyError):
        await members.choose_branch(member_id, branch_id)


async def on_menu(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    # A member linked here who joined by SMS without a name is asked for it first.
    state = MenuSG.main if manager.dialog_data.get("welcome", {}).get("name") else MenuSG.name
    await manager.start(state, mode=StartMode.RESET_STACK)


async def birthday_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    # A gift is promised only when the owner set one (a birthday bonus or voucher).
    gift = birthday_gift_offered(await get_rules())
    return {
        "example": BIRTHDAY_EXAMPLE.get(locale_of(dialog_manager), BIRTHDAY_EXAMPLE["en"]),
        "gift": gift,
        "no_gift": not gift,
    }


async def interests_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    groups = await ProductGroup.filter(active=True).order_by("name")
    return {"groups": [(esc(g.name), g.id) for g in groups]}


async def branches_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    locale = locale_of(dialog_manager)
    return {
        "branches": [
            {"id": b.id, "label": branch_name(b.name, locale)}
            for b in await members.open_branches()
        ]
    }


async def welcome_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    locale = locale_of(dialog_manager)
    welcome = dialog_manager.dialog_data.get("welcome", {})
    name = (welcome.get("name") or "").strip()
    return {
        "created": welcome.get("created", False),
        "linked": not welcome.get("created", False),
        "named": bool(name),
        "name": esc(name),
        "bonus": number(welcome.get("bonus", 0), locale),
        "balance": number(welcome.get("balance", 0), locale),
        "has_bonus": welcome.get("bonus", 0) > 0,
    }


def dialog() -> Dialog:
    """A fresh dialog: a router can belong to one dispatcher only."""
    return Dialog(
        Window(
            Both(N_("Welcome to our customer club! Choose your language.")),
            Row(
                Button(Const("فارسی"), id="fa", on_click=on_language),
                Button(Const("English"), id="en", on_click=on_language),
            ),
            buttons_only(),
            state=SignupSG.language,
        ),
        Window(
            Tr(
                N_(
                    "To join, share your phone number with the button below. Only your own "
                    "number is accepted."
                )
            ),
            RequestContact(Tr(N_("Share my phone number"))),
            MessageInput(on_contact, content_types=ContentType.CONTACT),
            MessageInput(on_not_contact, content_types=ContentType.ANY),
            markup_factory=ReplyKeyboardFactory(resize_keyboard=True, one_time_keyboard=True),
            state=SignupSG.phone,
        ),
        Window(
            Tr(N_("Thank you! What is your first name?")),
            *text_input("first_name", on_name, type_factory=clean_name),
            state=SignupSG.name,
        ),
        Window(
            Tr(
                N_(
                    "When is your birthday? We have a gift for you on that day. Type it like "
                    "{example}, or skip."
                ),
                when="gift",
            ),
            Tr(
                N_("When is your birthday? Type it like {example}, or skip."),
                when="no_gift",
            ),
            Button(Tr(N_("Pick from a calendar")), id="calendar", on_click=on_calendar),
            Button(Tr(N_("Skip")), id="skip", on_click=on_skip),
            *text_input("birthday", on_birthday, type_factory=typed_birthday),
            getter=birthday_getter,
            state=SignupSG.birthday,
        ),
        Window(
            Tr(N_("Are you a woman or a man? (optional)")),
            Row(
                Button(Tr(N_("Woman")), id=Gender.FEMALE.value, on_click=on_gender),
                Button(Tr(N_("Man")), id=Gender.MALE.value, on_click=on_gender),
            ),
            Button(Tr(N_("Skip")), id="skip", on_click=on_skip),
            buttons_only(),
            state=SignupSG.gender,
        ),
        Window(
            Tr(N_("Do you buy for yourself or for a company?")),
            Row(
                Button(
                    Tr(N_("For myself")),
                    id=CustomerType.INDIVIDUAL.value,
                    on_click=on_customer_type,
                ),
                Button(
                    Tr(N_("For a company")),
                    id=CustomerType.COMPANY.value,
                    on_click=on_customer_type,
                ),
            ),
            buttons_only(),
            state=SignupSG.customer_type,
        ),
        Window(
            Tr(N_("Which branch do you shop at most? (optional)")),
            choices("branches", on_branch, "branch"),
            Button(Tr(N_("Skip")), id="skip_branch", on_click=on_branch_skipped),
            buttons_only(),
            getter=branches_getter,
            state=SignupSG.branch,
        ),
        Window(
            Tr(N_("What are you interested in? Choose any, then press Done.")),
            Column(
                Multiselect(
                    Format("✅ {item[0]}"),
                    Format("{item[0]}"),
                    id="interests",
                    item_id_getter=lambda item: item[1],
                    items="groups",
                )
            ),
            Button(Tr(N_("Done")), id="done", on_click=on_interests_done),
            buttons_only(),
            getter=interests_getter,
            state=SignupSG.interests,
        ),
        Window(
            Tr(
                N_("Welcome to the club, {name}! You received {bonus} points for joining."),
                when="has_bonus",
            ),
            Tr(
                N_("Welcome to the club, {name}!"),
                when=lambda d, w, m: d["created"] and not d["has_bonus"],
            ),
            Tr(
                N_(
                    "Welcome back, {name}! Your membership is now linked to this Telegram "
                    "account and keeps its {balance} points."
                ),
                when=lambda d, w, m: d["linked"] and d["named"],
            ),
            # Joined by SMS without a name: no "Welcome back, !"; the menu asks for the name.
            Tr(
                N_(
                    "Welcome back! Your membership is now linked to this Telegram account and "
                    "keeps its {balance} points."
                ),
                when=lambda d, w, m: d["linked"] and not d["named"],
            ),
            Button(Tr(N_("Open the menu")), id="menu", on_click=on_menu),
            buttons_only(),
            state=SignupSG.welcome,
            getter=welcome_getter,
        ),
        on_process_result=on_birthday_picked,
    )
