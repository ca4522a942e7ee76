"""Staff commands in the members' bot: `router()` gives the router the dispatcher includes.

Include it before the member chat's router, so that `/start staff_<token>` reaches the
invitation handler here. The dispatcher must carry `settings` (`dp["settings"] = settings`).
"""

from aiogram import Router

from handlers.telegram.staff import (
    agents,
    api_keys,
    causes,
    counter,
    discounts,
    festivals,
    figures,
    giftcards,
    importing,
    inbox,
    manage,
    member_settings,
    panel,
    partners,
    promos,
    surveys,
)
from handlers.telegram.staff.access import install


def router() -> Router:
    """A fresh router each call: aiogram attaches a router to one dispatcher only."""
    staff = Router(name="staff")
    install(staff)
    staff.include_routers(
        manage.router(),
        counter.router(),
        member_settings.router(),
        giftcards.router(),
        inbox.router(),
        figures.router(),
        importing.router(),
        api_keys.router(),
        festivals.router(),
        discounts.router(),
        promos.router(),
        causes.router(),
        partners.router(),
        agents.router(),
        surveys.router(),
        panel.router(),
    )
    return staff


__all__ = ["router"]
