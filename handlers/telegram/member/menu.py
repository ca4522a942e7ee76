"""/start, the main menu, and following who blocked or unblocked the bot."""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.enums import ContentType
from aiogram.filters import CommandObject, CommandStart, MagicData
from aiogram.types import ChatMemberUpdated, Message
from aiogram_dialog import Dialog, DialogManager, ShowMode, StartMode, Window
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Row, Start, WebApp
from aiogram_dialog.widgets.text import Format

from handlers.festivals import member_line
from handlers.format import number
from handlers.i18n import N_
from handlers.telegram.member import states
from handlers.telegram.member.common import (
    answer_error,
    current_member,
    current_member_and_config,
)
from handlers.telegram.widgets import Tr, buttons_only, esc, locale_of, on_not_text
from loyalty import agents, festivals, members
from loyalty.clock import utcnow
from loyalty.errors import LoyaltyError
from loyalty.rules import ClubConfig
from models import Channel, Member


async def open_home(
    manager: DialogManager, *, payload: str | None = None, show_mode: ShowMode = ShowMode.SEND
) -> None:
    """The main menu for a member, sign-up for anyone else; every stale path ends here."""
    member = await current_member(manager)
    if member is None:
        # A friend's invitation (ref_) or an agent's link (ag_): the sign-up keeps either.
        ref = payload[4:] if payload and payload.startswith("ref_") else None
        await manager.start(
            states.SignupSG.language,
            data={"ref": ref, "agent": agents.payload_code(payload)},
            mode=StartMode.RESET_STACK,
            show_mode=show_mode,
        )
    else:
        # A member added without a name (the CLI, SMS JOIN) is asked for it before the menu.
        state = states.MenuSG.main if member.first_name.strip() else states.MenuSG.name
        await manager.start(state, mode=StartMode.RESET_STACK, show_mode=show_mode)


async def on_name(message: Message, widget: MessageInput, manager: DialogManager) -> None:
    member = await current_member(manager)
    if member is None:
        return
    try:
        await members.update_profile(member.id, first_name=message.text or "")
    except LoyaltyError as error:
        await answer_error(message, error, manager)
        return
    await manager.switch_to(states.MenuSG.main)


async def on_start(message: Message, command: CommandObject, dialog_manager: DialogManager) -> None:
    payload = command.args
    code = agents.payload_code(payload)
    if code is not None and await current_member(dialog_manager) is None:
        # An agent's link that is nobody's: say so once, and let them join all the same.
        try:
            await agents.by_code(code)
        except LoyaltyError as error:
            await answer_error(message, error, dialog_manager)
            payload = None
    await open_home(dialog_manager, payload=payload)


async def on_my_chat_member(update: ChatMemberUpdated) -> None:
    member = await members.member_by_telegram(update.from_user.id)
    if member is None:
        return
    status = update.new_chat_member.status
    if status == "kicked":
        await members.set_reachable(member.id, Channel.TELEGRAM, False)
    elif status == "member":
        await members.set_reachable(member.id, Channel.TELEGRAM, True)


async def on_stray_message(message: Message, dialog_manager: DialogManager) -> None:
    """A message outside any dialog (after a restart, or before /start) gets the menu back."""
    await open_home(dialog_manager)


def commands_router() -> Router:
    router = Router(name="member-commands")
    router.message.register(on_start, CommandStart())
    router.my_chat_member.register(on_my_chat_member, MagicData(F.event.chat.type == "private"))
    return router


def fallback_router() -> Router:
    """Included after the dialogs, so only messages no dialog took arrive here."""
    router = Router(name="member-fallback")
    router.message.register(on_stray_message)
    return router


async def menu_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    # The set-up's copy comes with the member in one statement: it holds the festivals.
    member, config = await current_member_and_config(dialog_manager)
    locale = locale_of(dialog_manager)
    settings = dialog_manager.middleware_data.get("settings")
    return {
        # The club's pages, as a Mini App: only at a public HTTPS address (handlers/web).
        "web_app": getattr(settings, "pages_url", None) or "",
        "name": esc(member.first_name if member else ""),
        "balance": number(member.balance if member else 0, locale),
        "festivals": festival_lines(dialog_manager, member, config, locale),
    }


def festival_lines(
    manager: DialogManager, member: Member | None, config: ClubConfig, locale: str
) -> str:
    """A line for each festival running now for the member's tier (empty: none)."""
    if member is None:
        return ""
    now = manager.middleware_data.get("clock", utcnow)()
    tz = manager.middleware_data.get("tz")
    found = festivals.running(config.festivals, now, member.tier_id)  # type: ignore[attr-defined]
    return "\n".join(esc(member_line(festival, locale, tz)) for festival in found)


def dialog() -> Dialog:
    """A fresh dialog: a router can belong to one dispatcher only."""
    return Dialog(
        Window(
            # Never shown without a name: open_home asks a nameless member for it first.
            Tr(N_("Hello {name}! You have {balance} points.\nWhat would you like to do?")),
            Format("{festivals}", when="festivals"),
            WebApp(Tr(N_("Open the club")), Format("{web_app}"), id="web", when="web_app"),
            Row(
                Start(Tr(N_("My card")), id="card", state=states.CardSG.card),
                Start(Tr(N_("My points")), id="points", state=states.PointsSG.points),
            ),
            Row(
                Start(Tr(N_("Rewards")), id="rewards", state=states.RewardsSG.catalog),
                Start(Tr(N_("My vouchers")), id="vouchers", state=states.VouchersSG.vouchers),
            ),
            Start(Tr(N_("Partner offers")), id="partners", state=states.PartnersSG.offers),
            Row(
                Start(Tr(N_("Gift cards")), id="giftcards", state=states.GiftCardsSG.cards),
                Start(Tr(N_("Charity")), id="charity", state=states.CharitySG.causes),
            ),
            Row(
                Start(Tr(N_("History")), id="history", state=states.HistorySG.page),
                Start(Tr(N_("Invite friends")), id="invite", state=states.InviteSG.invite),
            ),
            Row(
                Start(Tr(N_("Feedback")), id="feedback", state=states.FeedbackSG.rating),
                Start(Tr(N_("Write to us")), id="messages", state=states.MessagesSG.write),
            ),
            Start(Tr(N_("Surveys")), id="surveys", state=states.SurveySG.surveys),
            Row(
                Start(Tr(N_("Profile")), id="profile", state=states.ProfileSG.profile),
                Start(Tr(N_("Delete my data")), id="delete", state=states.DeleteSG.confirm),
            ),
            buttons_only(),
            getter=menu_getter,
            state=states.MenuSG.main,
        ),
        Window(
            Tr(N_("Hello! What is your first name?")),
            MessageInput(on_name, content_types=ContentType.TEXT),
            MessageInput(on_not_text, content_types=ContentType.ANY),
            state=states.MenuSG.name,
        ),
    )
