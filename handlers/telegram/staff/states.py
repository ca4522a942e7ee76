"""States of the staff dialogs, one group per dialog."""

from aiogram.fsm.state import State, StatesGroup


class RewardsAdminSG(StatesGroup):
    catalog = State()
    detail = State()
    withdraw = State()
    name = State()
    cost = State()
    kind = State()
    value = State()
    group = State()
    stock = State()
    tier = State()
    branch = State()
    days = State()
    confirm = State()


class SettingsSG(StatesGroup):
    rules = State()
    rule = State()
    tiers = State()
    tier = State()
    tier_field = State()


class BranchesSG(StatesGroup):
    branches = State()
    branch = State()
    name = State()
    currency_unit = State()
    min_purchase = State()
    rename = State()


class GroupsSG(StatesGroup):
    groups = State()
    multiplier = State()
    name = State()
