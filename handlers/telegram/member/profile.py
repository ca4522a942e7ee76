"""The member's profile: names, birthday, gender, self or company, interests, language,
campaign consent and home branch."""

from __future__ import annotations

from datetime import date
from typing import Any

from aiogram.types import CallbackQuery, Message
from aiogram_dialog import Data, Dialog, DialogManager, Window
from aiogram_dialog.widgets.input import TextInput
from aiogram_dialog.widgets.kbd import Button, Column, Multiselect, Row, Select, SwitchTo
from aiogram_dialog.widgets.text import Const, Format

from handlers.format import day
from handlers.i18n import N_, t
from handlers.telegram.member.birthday_picker import picked, start_picker
from handlers.telegram.member.common import answer_error, current_member, typed_birthday
from handlers.telegram.member.signup import BIRTHDAY_EXAMPLE, interests_getter
from handlers.telegram.member.states import ProfileSG
from handlers.telegram.widgets import (
    Tr,
    back_to,
    buttons_only,
    choices,
    esc,
    leave,
    locale_of,
    text_input,
)
from handlers.texts import branch_name, error_text
from loyalty import members
from loyalty.errors import LoyaltyError
from loyalty.rules import current_config
from loyalty.text import clean_name
from models import CustomerType, Gender, Member

LANGUAGES = {"fa": "فارسی", "en": "English"}


GENDERS = {
    Gender.FEMALE: N_("woman"),
    Gender.MALE: N_("man"),
    Gender.UNSPECIFIED: N_("not given"),
}


async def profile_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    locale = locale_of(dialog_manager)
    member = await current_member(dialog_manager)
    consent = member is not None and member.consent_telegram
    branches = await members.open_branches()
    mine = next((b for b in branches if member and b.id == member.branch_id), None)
    interests = await members.interests_of(member.id) if member else []
    return {
        # With one open branch there is nothing to choose.
        "branch_choice": len(branches) > 1,
        "branch": esc(branch_name(mine.name, locale)) if mine else t(N_("not chosen"), locale),
        "branches": [
            {"id": b.id, "label": ("✓ " if b is mine else "") + branch_name(b.name, locale)}
            for b in branches
        ],
        "name": esc(member.first_name if member else ""),
        "last_name": esc(member.last_name) if member and member.last_name else "-",
        "birthday": day(member.birth_date, locale) if member and member.birth_date else "-",
        "gender": t(GENDERS[member.gender if member else Gender.UNSPECIFIED], locale),
        "customer": _customer(member, locale),
        "interests": ("، " if locale == "fa" else ", ").join(esc(g.name) for g in interests) or "-",
        "language": LANGUAGES.get(locale, locale),
        "consent": t(N_("yes") if consent else N_("no"), locale),
        "consenting": consent,
        "groups_offered": bool((await current_config()).groups),
        "not_consenting": not consent,
        "example": BIRTHDAY_EXAMPLE.get(locale, BIRTHDAY_EXAMPLE["en"]),
    }


def _customer(member: Member | None, locale: str) -> str:
    if member is None or member.customer_type is not CustomerType.COMPANY:
        return t(N_("for yourself"), locale)
    if not member.company_name:
        return t(N_("for a company"), locale)
    return t(N_("for the company {company}"), locale, company=esc(member.company_name))


async def _update(manager: DialogManager, message: Message | None, **changes: Any) -> bool:
    member = await current_member(manager)
    if member is None:
        return False
    try:
        await members.update_profile(member.id, **changes)
    except LoyaltyError as error:
        if message is not None:
            await answer_error(message, error, manager)
        return False
    return True


async def on_name(message: Message, widget: TextInput, manager: DialogManager, name: str) -> None:
    if await _update(manager, message, first_name=name):
        await manager.switch_to(ProfileSG.profile)


async def on_last_name(
    message: Message, widget: TextInput, manager: DialogManager, name: str
) -> None:
    if await _update(manager, message, last_name=name):
        await manager.switch_to(ProfileSG.profile)


async def on_gender(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    if await _update(manager, None, gender=Gender(button.widget_id)):
        await manager.switch_to(ProfileSG.profile)


async def on_customer_type(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    if button.widget_id == CustomerType.COMPANY.value:
        await manager.switch_to(ProfileSG.company)  # the type is saved with the company's name
    elif await _update(manager, None, customer_type=CustomerType.INDIVIDUAL, company_name=""):
        await manager.switch_to(ProfileSG.profile)


async def on_company(
    message: Message, widget: TextInput, manager: DialogManager, name: str
) -> None:
    if await _update(manager, message, customer_type=CustomerType.COMPANY, company_name=name):
        await manager.switch_to(ProfileSG.profile)


async def on_open_interests(
    callback: CallbackQuery, button: Button, manager: DialogManager
) -> None:
    """The list opens with the member's present interests ticked."""
    member = await current_member(manager)
    chosen: Multiselect = manager.find("interests")  # type: ignore[assignment]
    await chosen.reset_checked()
    for group in await members.interests_of(member.id) if member else []:
        await chosen.set_checked(group.id, True)
    await manager.switch_to(ProfileSG.interests)


async def on_interests_done(
    callback: CallbackQuery, button: Button, manager: DialogManager
) -> None:
    chosen: Multiselect = manager.find("interests")  # type: ignore[assignment]
    ids = [int(item) for item in chosen.get_checked()]
    if await _update(manager, None, interest_ids=ids):
        await manager.switch_to(ProfileSG.profile)


async def on_birthday(
    message: Message, widget: TextInput, manager: DialogManager, born: date
) -> None:
    if await _update(manager, message, birth_date=born):
        await manager.switch_to(ProfileSG.profile)


async def on_calendar(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    await start_picker(manager)


async def on_birthday_picked(start_data: Data, result: Data, manager: DialogManager) -> None:
    born = picked(result)
    if born is not None and await _update(manager, None, birth_date=date.fromisoformat(born)):
        await manager.switch_to(ProfileSG.profile)


async def on_language(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    if await _update(manager, None, locale=button.widget_id):
        manager.middleware_data["locale"] = button.widget_id  # this very answer already in it
        await manager.switch_to(ProfileSG.profile)


async def on_consent(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    await _update(manager, None, consent_telegram=button.widget_id == "consent_on")


async def on_branch(
    callback: CallbackQuery, widget: Select, manager: DialogManager, item_id: str
) -> None:
    member = await current_member(manager)
    if member is None:
        return
    try:
        await members.choose_branch(member.id, int(item_id))
    except LoyaltyError as error:
        # Closed while the buttons were shown: the choice is shown again without it.
        await callback.answer(error_text(error, locale_of(manager)), show_alert=True)
        return
    await manager.switch_to(ProfileSG.profile)


def dialog() -> Dialog:
    """A fresh dialog: a router can belong to one dispatcher only."""
    return Dialog(
        Window(
            Tr(
                N_(
                    "Your profile\nName: {name}\nLast name: {last_name}\n"
                    "Birthday: {birthday}\nGender: {gender}\nYou buy {customer}\n"
                    "Interests: {interests}\nLanguage: {language}\nNews and offers: {consent}"
                )
            ),
            Row(
                SwitchTo(Tr(N_("Change name")), id="name", state=ProfileSG.name),
                SwitchTo(Tr(N_("Change last name")), id="last", state=ProfileSG.last_name),
            ),
            Row(
                SwitchTo(Tr(N_("Change birthday")), id="birthday", state=ProfileSG.birthday),
                SwitchTo(Tr(N_("Change gender")), id="gender", state=ProfileSG.gender),
            ),
            Row(
                SwitchTo(Tr(N_("Self or company")), id="type", state=ProfileSG.customer_type),
                Button(
                    Tr(N_("Interests")),
                    id="interests_open",
                    on_click=on_open_interests,
                    when="groups_offered",
                ),
            ),
            Tr(N_("My branch: {branch}"), when="branch_choice"),
            SwitchTo(Tr(N_("Change language")), id="language", state=ProfileSG.language),
            SwitchTo(
                Tr(N_("My branch")), id="branch", state=ProfileSG.branch, when="branch_choice"
            ),
            Button(
                Tr(N_("Stop news and offers")),
                id="consent_off",
                on_click=on_consent,
                when="consenting",
            ),
            Button(
                Tr(N_("Send me news and offers")),
                id="consent_on",
                on_click=on_consent,
                when="not_consenting",
            ),
            leave(),
            buttons_only(),
            getter=profile_getter,
            state=ProfileSG.profile,
        ),
        Window(
            Tr(N_("Send your new first name.")),
            back_to(ProfileSG.profile),
            *text_input("first_name", on_name, type_factory=clean_name),
            state=ProfileSG.name,
        ),
        Window(
            Tr(N_("Send your last name.")),
            back_to(ProfileSG.profile),
            *text_input("last_name", on_last_name, type_factory=clean_name),
            state=ProfileSG.last_name,
        ),
        Window(
            Tr(N_("Are you a woman or a man?")),
            Row(
                Button(Tr(N_("Woman")), id=Gender.FEMALE.value, on_click=on_gender),
                Button(Tr(N_("Man")), id=Gender.MALE.value, on_click=on_gender),
            ),
            Button(Tr(N_("Rather not say")), id=Gender.UNSPECIFIED.value, on_click=on_gender),
            back_to(ProfileSG.profile),
            buttons_only(),
            state=ProfileSG.gender,
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
            back_to(ProfileSG.profile),
            buttons_only(),
            state=ProfileSG.customer_type,
        ),
        Window(
            Tr(N_("Send your company's name.")),
            back_to(ProfileSG.profile),
            *text_input("company", on_company, type_factory=clean_name),
            state=ProfileSG.company,
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
            back_to(ProfileSG.profile),
            buttons_only(),
            getter=interests_getter,
            state=ProfileSG.interests,
        ),
        Window(
            Tr(N_("Send your birthday like {example}.")),
            Button(Tr(N_("Pick from a calendar")), id="calendar", on_click=on_calendar),
            back_to(ProfileSG.profile),
            *text_input("birthday", on_birthday, type_factory=typed_birthday),
            getter=profile_getter,
            state=ProfileSG.birthday,
        ),
        Window(
            Tr(N_("Choose your language.")),
            Row(
                Button(Const(LANGUAGES["fa"]), id="fa", on_click=on_language),
                Button(Const(LANGUAGES["en"]), id="en", on_click=on_language),
            ),
            back_to(ProfileSG.profile),
            buttons_only(),
            state=ProfileSG.language,
        ),
        Window(
            Tr(N_("Choose your branch: the one you shop at most.")),
            choices("branches", on_branch, "branch_choice"),
            back_to(ProfileSG.profile),
            buttons_only(),
            getter=profile_getter,
            state=ProfileSG.branch,
        ),
        on_process_result=on_birthday_picked,
    )
