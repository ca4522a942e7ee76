"""The club's set-up: its rules, branches and the token that says when they changed."""

from __future__ import annotations

from models.club import Branch, ClubRules
from models.statements import Select, Statement

# The token of the club's set-up (migration 0003); NULL when its row is missing.
CONFIG_TOKEN = "(SELECT token FROM config_token WHERE id = 1)"

_rules = Select(ClubRules, "id = ?")
_first_active_branch = Select(Branch, "active = ?", order="id", limit=1)
_config_token = Statement(ClubRules, f"SELECT {CONFIG_TOKEN} AS config_token")


async def rules() -> ClubRules | None:
    return await _rules.first(1)


async def first_active_branch() -> Branch | None:
    return await _first_active_branch.first(True)


async def config_token() -> str | None:
    return (await _config_token.rows())[0]["config_token"]
