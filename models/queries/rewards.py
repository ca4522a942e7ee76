"""The rewards catalogue, read on every visit of the member's rewards window."""

from __future__ import annotations

from models.rewards import Reward
from models.statements import Select

# The dates and the branch are checked by the caller, on the loaded values: a catalogue is short.
_active = Select(Reward, "active = ? AND (stock IS NULL OR stock > 0)", order="cost, id")


async def active_rewards() -> list[Reward]:
    """Active rewards in stock, cheapest first."""
    return await _active.all(True)
