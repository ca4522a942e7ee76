"""Staff commands in the members' bot: one router the dispatcher includes.

Include it before the member chat's router, so that `/start staff_<token>` reaches the
invitation handler here. The dispatcher must carry `settings` (`dp["settings"] = settings`).
"""

from aiogram import Router

from handlers.telegram.staff import api_keys, counter, figures, importing, inbox, manage
from handlers.telegram.staff.access import install

router = Router(name="staff")
install(router)
router.include_router(manage.router)
router.include_router(counter.router)
router.include_router(inbox.router)
router.include_router(figures.router)
router.include_router(importing.router)
router.include_router(api_keys.router)

__all__ = ["router"]
