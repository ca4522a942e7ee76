"""What every dialog shares: the reader's language, translated texts, typed input, pagers,
lists of choices and the buttons that leave a window."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from aiogram.enums import ContentType
from aiogram.fsm.state import State
from aiogram.types import Message
from aiogram_dialog import DialogManager
from aiogram_dialog.widgets.input import MessageInput, TextInput
from aiogram_dialog.widgets.input.text import OnSuccess
from aiogram_dialog.widgets.kbd import (
    Back,
    Cancel,
    Group,
    NextPage,
    PrevPage,
    Row,
    Select,
    StubScroll,
    SwitchTo,
)
from aiogram_dialog.widgets.text import Format, Text

from handlers.i18n import N_, pick_locale, t
from handlers.texts import error_text
from loyalty.errors import ErrorCode, LoyaltyError

T = TypeVar("T")
PAGE_SIZE = 5


# ---- the reader's language and translated text ---------------------------------------------


def locale_of(manager: DialogManager) -> str:
    """The language chosen in this dialog (sign-up) or passed to it, else the reader's own."""
    chosen = None
    if manager.has_context():
        context = manager.current_context()
        passed = context.start_data if isinstance(context.start_data, dict) else {}
        chosen = context.dialog_data.get("locale") or passed.get("locale")
    return pick_locale(chosen, manager.middleware_data.get("locale"), default="fa")


class Tr(Text):
    """A sentence from the catalogues, translated for the reader and filled from the getter."""

    def __init__(self, msgid: str, when: Any = None) -> None:
        super().__init__(when=when)
        self.msgid = msgid

    async def _render_text(self, data: dict, manager: DialogManager) -> str:
        return t(self.msgid, locale_of(manager), **data)


def esc(value: object) -> str:
    """Anything a person typed, safe inside the bot's HTML messages."""
    return html.escape(str(value), quote=False)


# ---- what a window accepts -----------------------------------------------------------------


async def on_not_text(message: Message, widget: MessageInput, manager: DialogManager) -> None:
    """A photo, sticker or contact where the dialog waits for typed text."""
    await message.answer(t(N_("Please answer with a text message."), locale_of(manager)))


async def on_not_button(message: Message, widget: MessageInput, manager: DialogManager) -> None:
    """Typed text, a photo or a sticker where the dialog waits for a button."""
    await message.answer(t(N_("Please choose from the buttons."), locale_of(manager)))


def buttons_only() -> MessageInput:
    return MessageInput(on_not_button, content_types=ContentType.ANY)


class Refused(ValueError):
    """A typed value the rules refused, as TextInput hands it to `on_error`."""

    def __init__(self, error: LoyaltyError) -> None:
        super().__init__(error.code.value)
        self.error = error


def _refusing(parse: Callable[[str], T]) -> Callable[[str], T]:
    # TextInput reports only a ValueError to on_error; the domain refuses with LoyaltyError.
    def type_factory(text: str) -> T:
        try:
            return parse(text)
        except LoyaltyError as error:
            raise Refused(error) from error

    return type_factory


def refusal(error: ValueError) -> LoyaltyError:
    """What the rules said about a typed value TextInput could not read."""
    return error.error if isinstance(error, Refused) else LoyaltyError(ErrorCode.INVALID_VALUE)


async def on_refused(
    message: Message, widget: Any, manager: DialogManager, error: ValueError
) -> None:
    """A typed value the rules refused: say why; nothing was changed."""
    await message.answer(error_text(refusal(error), locale_of(manager)))


def text_input(
    widget_id: str,
    on_success: OnSuccess[T],
    *,
    type_factory: Callable[[str], T] = str,  # type: ignore[assignment]
    on_error: Callable[..., Any] = on_refused,
    filter: Callable[..., Any] | None = None,
) -> tuple[TextInput[T], MessageInput]:
    """Typed text read by `type_factory` (a domain parser), and an answer to anything else.

    A refusal of the parser (LoyaltyError) reaches `on_error` as `Refused`; `on_success`
    gets the parsed value.
    """
    return (
        TextInput(
            widget_id,
            type_factory=_refusing(type_factory),
            on_success=on_success,
            on_error=on_error,
            filter=filter,
        ),
        MessageInput(on_not_text, content_types=ContentType.ANY),
    )


# ---- lists -------------------------------------------------------------------------------


def choices(items: str, on_click: Any, widget_id: str, *, width: int = 1) -> Group:
    """Buttons for the getter's `items`, each a dict with an `id` and a `label`."""
    return Group(
        Select(
            Format("{item[label]}"),
            id=widget_id,
            item_id_getter=lambda item: item["id"],
            items=items,
            on_click=on_click,
        ),
        width=width,
    )


def _has_prev(data: dict, widget: Any, manager: DialogManager) -> bool:
    return data["current_page"] > 0


def _has_next(data: dict, widget: Any, manager: DialogManager) -> bool:
    return data["current_page"] < data["pages"] - 1


def pager(scroll_id: str, prev_label: str, next_label: str) -> tuple[StubScroll, Row]:
    """A list shown a page at a time: the getter reads the page with `page_of`, shows that
    page and gives `page_count`; a button leads to each side only where there is a page."""
    return (
        StubScroll(id=scroll_id, pages="page_count"),
        Row(
            PrevPage(scroll=scroll_id, id=f"{scroll_id}_prev", text=Tr(prev_label), when=_has_prev),
            NextPage(scroll=scroll_id, id=f"{scroll_id}_next", text=Tr(next_label), when=_has_next),
        ),
    )


async def page_of(manager: DialogManager, scroll_id: str) -> int:
    return await manager.find(scroll_id).get_page()


async def settle_page(manager: DialogManager, scroll_id: str, page: int) -> None:
    """Keep the pager on the page shown: a list that has shrunk shows its last page."""
    scroll = manager.find(scroll_id)
    if await scroll.get_page() != page:
        await scroll.set_page(page)


async def page_slice(
    manager: DialogManager, scroll_id: str, items: Sequence[T]
) -> tuple[Sequence[T], int, int]:
    """This page of a list held whole: the items shown, the page and the number of pages."""
    pages = max(1, -(-len(items) // PAGE_SIZE))
    page = min(await page_of(manager, scroll_id), pages - 1)
    await settle_page(manager, scroll_id, page)
    return items[page * PAGE_SIZE : (page + 1) * PAGE_SIZE], page, pages


# ---- leaving a window ----------------------------------------------------------------------


def leave(label: str = N_("Back")) -> Cancel:
    """Close the dialog, back to the one that opened it (the menu)."""
    return Cancel(Tr(label))


def back() -> Back:
    """The window before this one."""
    return Back(Tr(N_("Back")))


def back_to(state: State, widget_id: str = "back") -> SwitchTo:
    return SwitchTo(Tr(N_("Back")), id=widget_id, state=state)
