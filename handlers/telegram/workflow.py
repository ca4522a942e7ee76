"""What the Telegram handlers take from the dispatcher's workflow data.

The composition root (bot/) builds the dispatcher with `settings=...`; aiogram hands it to
every handler and middleware that names a `settings` parameter. Handlers describe the part
they read here instead of importing bot/, so the same routers run under any dispatcher a
test or a worker builds.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol
from zoneinfo import ZoneInfo


class Settings(Protocol):
    """The club's settings as the Telegram handlers read them."""

    @property
    def owner_ids(self) -> Iterable[int]: ...

    @property
    def default_locale(self) -> str: ...

    @property
    def tz(self) -> ZoneInfo: ...
