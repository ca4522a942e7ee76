"""The `club` command: run the club and drive its rules from a terminal.

Every subcommand opens the store (applying migrations), does one thing, and prints one
answer in the club's default language. A refused request prints one line and exits 1.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import logging
import os
import re
import sqlite3
import sys
import uuid
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any, NoReturn

from tortoise.exceptions import OperationalError

from bot import patches
from bot.db import apply_migrations, close_db, open_db
from bot.settings import Settings, get_settings
from bot.sqlite_engine import is_busy
from handlers.format import day, digits, number, persian_digits
from handlers.i18n import N_, t
from handlers.promo_texts import batch_line, promo_line, promo_spec
from handlers.reward_values import warning_text, worth_text
from handlers.texts import branch_name, error_text, money, reason_text, tier_name, tier_names
from handlers.till_texts import listing_text, offer_line, priced_lines, rule_line
from loyalty import earning, ledger, members, rewards, till
from loyalty.clock import utcnow
from loyalty.dates import parse_birthday
from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.numbers import BIGINT_MAX, INT_MAX, parse_decimal, parse_int
from loyalty.reward_values import mispriced
from loyalty.rules import current_config, get_rules
from loyalty.staff import counter, discount_rules, places, promo_codes
from loyalty.staff.catalogue import RewardSpec, save_reward
from models import Branch, CustomerType, Member, Reward, RewardKind, Staff, StaffRole, Tier

Command = Callable[[argparse.Namespace, Settings], Awaitable[str]]
_commands: dict[str, Command] = {}


def command(name: str) -> Callable[[Command], Command]:
    def register(func: Command) -> Command:
        _commands[name] = func
        return func

    return register


async def _describe_member(member: Member, locale: str, settings: Settings) -> str:
    card = await members.active_card(member.id)
    tier = await Tier.get_or_none(id=member.tier_id)
    lines = [
        t(
            N_("Member: {name}"),
            locale,
            name=f"{member.first_name} {member.last_name}".strip() or "-",
        ),
        t(N_("Phone: {phone}"), locale, phone=digits(member.phone or "-", locale)),
        t(N_("Card: {card}"), locale, card=digits(card.number, locale)),
        t(N_("Balance: {points} points"), locale, points=number(member.balance, locale)),
        t(
            N_("Tier: {tier}"),
            locale,
            tier=tier_name(tier.code, tier.name, locale) if tier else "-",
        ),
    ]
    if member.tier_floor_id is not None:
        floor = await Tier.get(id=member.tier_floor_id)
        lines.append(
            t(N_("Tier floor: {tier}"), locale, tier=tier_name(floor.code, floor.name, locale))
        )
    if member.company_name:
        lines.append(t(N_("Company: {company}"), locale, company=member.company_name))
    for entry in await ledger.history(member.id, limit=5):
        amount = number(entry.amount, locale)
        lines.append(
            f"  #{digits(str(entry.id), locale)} {day(entry.created_at, locale, settings.tz)} "
            f"{amount if entry.amount < 0 else '+' + amount} "
            f"{reason_text(entry.reason, entry.note, locale)}"
        )
    return "\n".join(lines)


@command("migrate")
async def _migrate(args: argparse.Namespace, settings: Settings) -> str:
    await apply_migrations(settings.database_url)
    # The default rules too, so processes started after it (the workers of several
    # machines) find a ready club and never race to create them.
    await open_db(settings.database_url, run_migrations=False)
    await close_db()
    return t(N_("The database is up to date."), settings.default_locale)


@command("backup")
async def _backup(args: argparse.Namespace, settings: Settings) -> str:
    from pathlib import Path

    from bot.backup import TargetInDataFolder, backup_sqlite, copy_pictures, sqlite_path

    locale = settings.default_locale
    source = sqlite_path(settings.database_url)
    if source is None:
        return t(N_("This database is not a SQLite file: back it up with pg_dump."), locale)
    if not source.exists():
        raise SystemExit(
            t(N_("There is no database at {path} to back up."), locale, path=str(source))
        )
    try:
        target = await asyncio.to_thread(backup_sqlite, source, Path(args.path))
    except TargetInDataFolder as refused:
        raise SystemExit(
            t(
                N_(
                    "A backup cannot be written in {folder}, the database's own "
                    "folder: choose a path outside it."
                ),
                locale,
                folder=str(refused.folder),
            )
        ) from None
    done = t(N_("Backup written to {path}."), locale, path=str(target))
    # The pages' pictures beside it, in one folder every backup there shares.
    pictures = target.parent / "media"
    copied = await asyncio.to_thread(copy_pictures, settings.media_dir, pictures)
    if copied:
        done += "\n" + t(
            N_("New pictures copied to {folder}: {count}."),
            locale,
            count=number(copied, locale),
            folder=str(pictures),
        )
    return done


@command("status")
async def _status(args: argparse.Namespace, settings: Settings) -> str:
    locale = settings.default_locale
    total = await Member.filter(deleted_at=None).count()
    offered = await Reward.filter(active=True).count()
    lines = [
        t(N_("The club is ready."), locale),
        t(N_("Members: {count}"), locale, count=number(total, locale)),
        t(N_("Rewards on offer: {count}"), locale, count=number(offered, locale)),
    ]
    if settings.bot_token is None:
        lines.append(t(N_("No BOT_TOKEN is set: the Telegram bot is not connected yet."), locale))
    return "\n".join(lines)


@command("member add")
async def _member_add(args: argparse.Namespace, settings: Settings) -> str:
    locale = settings.default_locale
    result = await members.register_member(
        args.phone,
        first_name=args.first_name or "",
        last_name=args.last_name or "",
        telegram_id=args.telegram_id,
        locale=args.locale or locale,
        agent_code=args.agent,
    )
    head = (
        t(N_("Welcome! {points} points for joining."), locale, points=number(result.bonus, locale))
        if result.created
        else t(N_("This phone already belongs to a member."), locale)
    )
    return head + "\n" + await _describe_member(result.member, locale, settings)


@command("member show")
async def _member_show(args: argparse.Namespace, settings: Settings) -> str:
    member = await members.find_member(args.member)
    return await _describe_member(member, settings.default_locale, settings)


@command("member replace-card")
async def _member_replace_card(args: argparse.Namespace, settings: Settings) -> str:
    from loyalty.staff.member_settings import new_card

    locale = settings.default_locale
    done = await new_card(_terminal_owner(), args.member)
    return t(
        N_("New card: {card}. Card {old} no longer works."),
        locale,
        card=done.card.number,
        old=done.old or "-",
    )


@command("member tier")
async def _member_tier(args: argparse.Namespace, settings: Settings) -> str:
    from handlers.texts import tier_code
    from loyalty.staff.member_settings import set_tier_floor

    locale = settings.default_locale
    member = await members.find_member(args.member)
    off = args.tier.strip().lower() in ("off", "-")
    code = None if off else tier_code(args.tier, await Tier.all().values_list("code", "name"))
    member = await set_tier_floor(_terminal_owner(), member.id, code)
    tier = await Tier.get(id=member.tier_id)
    shown = tier_name(tier.code, tier.name, locale)
    if code is None:
        return t(
            N_("No tier floor: from the next review the points decide. Tier: {tier}."),
            locale,
            tier=shown,
        )
    floor = await Tier.get(id=member.tier_floor_id)
    return t(
        N_("Tier floor {floor}: the review keeps the member at least there. Tier: {tier}."),
        locale,
        floor=tier_name(floor.code, floor.name, locale),
        tier=shown,
    )


@command("member company")
async def _member_company(args: argparse.Namespace, settings: Settings) -> str:
    from handlers.telegram.staff.texts import amount, staff_error_text
    from loyalty.staff.limits import parse_number
    from loyalty.staff.member_settings import set_company, set_company_rate

    locale = settings.default_locale
    owner = _terminal_owner()
    member = await members.find_member(args.member)
    try:
        if args.company is not None:
            off = args.company.strip().lower() in ("off", "-")
            member = await set_company(owner, member.id, None if off else args.company)
        if args.rate is not None:
            club = args.rate.strip().lower() == "club"
            rate = None if club else parse_number(args.rate, "earn_rate", decimal=True)
            member = await set_company_rate(owner, member.id, rate)  # type: ignore[arg-type]
    except LoyaltyError as error:
        # The settings' refusals (a rate out of range, no company yet) as staff read them.
        raise SystemExit(staff_error_text(error, locale)) from None
    if not member.company_name:
        return t(N_("An individual customer."), locale)
    if member.company_earn_rate is None:
        return t(
            N_("A company customer, for {company}, earning by the club's rate."),
            locale,
            company=member.company_name,
        )
    return t(
        N_("A company customer, for {company}, earning {rate} points per currency unit."),
        locale,
        company=member.company_name,
        rate=amount(member.company_earn_rate, locale),
    )


@command("tier list")
async def _tier_list(args: argparse.Namespace, settings: Settings) -> str:
    locale = settings.default_locale
    return "\n".join(
        t(
            N_("{code}: {name}, from {threshold} points"),
            locale,
            code=tier.code,
            name=tier_name(tier.code, tier.name, locale),
            threshold=number(tier.threshold, locale),
        )
        for tier in await Tier.all().order_by("threshold")
    )


@command("tier name")
async def _tier_name(args: argparse.Namespace, settings: Settings) -> str:
    from handlers.texts import tier_code
    from loyalty.staff.club_settings import rename_tier
    from loyalty.staff.member_settings import tier_by_code

    locale = settings.default_locale
    tier = await tier_by_code(tier_code(args.tier, await Tier.all().values_list("code", "name")))
    tier = await rename_tier(_terminal_owner(), tier.id, args.name)
    return t(
        N_("Tier {code} is shown as {name}."),
        locale,
        code=tier.code,
        name=tier_name(tier.code, tier.name, locale),
    )


@command("earn")
async def _earn(args: argparse.Namespace, settings: Settings) -> str:
    locale = settings.default_locale
    earning.check_positive(args.amount)
    member = await members.find_member(args.member)
    # The discounts and the offer as at the till (`loyalty.till`); the branch as the
    # purchase's own: the club's first when none is named.
    config = await current_config()
    earning.check_amount(args.amount, config.rules)
    branch_id = config.branch(args.branch).id
    # A promo code is checked and claimed with the purchase, as at the till's /earn.
    sale = await till.record_purchase(
        member,
        args.amount,
        receipt=args.receipt,
        branch_id=branch_id,
        group_id=args.group,
        now=utcnow(),
        tz=settings.tz,
        promo_code=args.code,
    )
    result, quote = sale.result, sale.quote
    values = {
        "points": number(result.points, locale),
        "balance": number(result.balance, locale),
        "tier": tier_name(result.tier.code, result.tier.name, locale),
    }
    if result.replayed:
        return t(
            N_(
                "This receipt was recorded before: {points} points; balance {balance}; tier {tier}."
            ),
            locale,
            **values,
        )
    params = quote.params()
    lines = priced_lines(params, args.amount, locale)
    lines.append(t(N_("{points} points earned; balance {balance}; tier {tier}."), locale, **values))
    offer = offer_line(params, locale, member=False)
    return "\n".join([*lines, offer] if offer else lines)


@command("discount list")
@command("discount spend")
@command("discount group")
@command("discount off")
@command("discount stack")
@command("discount points")
async def _discount(args: argparse.Namespace, settings: Settings) -> str:
    """The owner's /discounts, from the terminal."""
    locale, owner = settings.default_locale, _terminal_owner()
    if args.action == "spend":
        percent = discount_rules.check_percent(_percent(args.percent))
        rule = await discount_rules.add_spend_level(
            owner, args.amount, percent, branch_id=args.branch
        )
    elif args.action == "group":
        percent = discount_rules.check_percent(_percent(args.percent))
        starts = parse_birthday(args.starts, locale) if args.starts else None
        ends = parse_birthday(args.ends, locale) if args.ends else None
        rule = await discount_rules.add_group_discount(
            owner, args.id, percent, starts=starts, ends=ends, branch_id=args.branch
        )
    elif args.action == "off":
        rule = await discount_rules.remove(owner, args.id)
        return t(N_("Discount #{id} no longer applies."), locale, id=str(rule.id))
    else:
        if args.action == "stack":
            await discount_rules.set_switch(owner, "discount_stacking", args.value == "on")
        elif args.action == "points":
            await discount_rules.set_switch(owner, "points_on_paid", args.value == "paid")
        found = await discount_rules.rules_in_force(owner)
        return await listing_text(found, await get_rules(), locale)
    return t(N_("Discount added:"), locale) + " " + await rule_line(rule, locale)


def _percent(text: str) -> Decimal:
    return parse_decimal(text.strip().rstrip("%٪"))


@command("promo list")
@command("promo add")
@command("promo off")
async def _promo(args: argparse.Namespace, settings: Settings) -> str:
    """The owner's /promo, from the terminal: the same options, checks and answers."""
    locale, owner = settings.default_locale, _terminal_owner()
    if args.action == "add":
        spec = promo_spec([args.code, args.value, *args.options], locale)
        promo = await promo_codes.add_promo(owner, spec)
        return t(N_("Promo code added:"), locale) + " " + promo_line(promo, locale)
    if args.action == "off":
        promo = await promo_codes.withdraw(owner, args.code)
        return t(N_("Promo code {code} withdrawn."), locale, code=promo.code)
    lines = [promo_line(promo, locale) for promo in await promo_codes.promo_list(owner)]
    lines += [batch_line(found, locale) for found in await promo_codes.batch_list(owner)]
    return "\n".join(lines) or t(N_("No promo codes yet."), locale)


@command("refund")
async def _refund(args: argparse.Namespace, settings: Settings) -> str:
    locale = settings.default_locale
    # As the owner's /refund: the receipt is found in whichever branch holds it.
    result = await counter.refund(
        _terminal_owner(), args.receipt, args.amount, branch_id=args.branch
    )
    return t(
        N_("{points} points taken back; balance {balance}."),
        locale,
        points=number(result.points_reversed, locale),
        balance=number(result.balance, locale),
    )


@command("redeem")
async def _redeem(args: argparse.Namespace, settings: Settings) -> str:
    locale = settings.default_locale
    member = await members.find_member(args.member)
    result = await rewards.redeem_reward(member.id, args.reward)
    return t(
        N_("Voucher {code} for {reward}, valid until {until}; balance {balance}."),
        locale,
        code=result.voucher.code,
        reward=result.voucher.reward.name,
        until=day(result.voucher.expires_at, locale, settings.tz),
        balance=number(result.balance, locale),
    )


@command("voucher use")
async def _voucher_use(args: argparse.Namespace, settings: Settings) -> str:
    voucher = await rewards.use_voucher(args.code)
    return t(
        N_("Voucher accepted: give {reward}."), settings.default_locale, reward=voucher.reward.name
    )


@command("voucher cancel")
async def _voucher_cancel(args: argparse.Namespace, settings: Settings) -> str:
    # The staff's /voucher cancel: points back once, the member told, an audit row.
    voucher = await counter.cancel_voucher(_terminal_owner(), args.code)
    locale = settings.default_locale
    return t(
        N_("Voucher {code} cancelled: {points} points back to the member. Balance: {balance}."),
        locale,
        code=voucher.code,
        points=number(voucher.cost, locale),
        balance=number(await ledger.balance_of(voucher.member_id), locale),
    )


def _terminal_owner() -> Staff:
    """Whoever runs `club` on the club's machine acts as an owner; no staff row is theirs."""
    return Staff(name="club command", role=StaffRole.OWNER, active=True, telegram_id=0)


@command("reward add")
async def _reward_add(args: argparse.Namespace, settings: Settings) -> str:
    # The rules and the audit of the staff's /rewards, for a product or a discount.
    spec = RewardSpec(
        name=args.name,
        cost=args.cost,
        kind=RewardKind(args.kind),
        value=args.value,
        stock=args.stock,
        customer_type=CustomerType(args.for_whom) if args.for_whom else None,
        value_money=args.value_money,
    )
    try:
        reward = await save_reward(_terminal_owner(), spec)
    except LoyaltyError as error:
        if error.code is not ErrorCode.INVALID_SETTING:
            raise
        from handlers.telegram.staff.texts import staff_error_text

        # The staff's words name the setting's bounds (a money value, a discount).
        sys.exit(staff_error_text(error, settings.default_locale))
    return t(
        N_("Reward {id} added: {name} for {cost} points."),
        settings.default_locale,
        id=reward.id,
        name=reward.name,
        cost=number(reward.cost, settings.default_locale),
    )


@command("reward list")
async def _reward_list(args: argparse.Namespace, settings: Settings) -> str:
    locale = settings.default_locale
    items = await rewards.catalog()
    if not items:
        return t(N_("No rewards on offer yet."), locale)
    lines = []
    for r in items:
        # The id other commands take (`club redeem`): no thousands separator.
        ident = persian_digits(str(r.id)) if locale == "fa" else str(r.id)
        values = {"id": ident, "name": r.name, "cost": number(r.cost, locale)}
        worth = worth_text(r, locale)
        values["name"] = f"{r.name} ({worth})" if worth else r.name
        if r.stock is None:
            lines.append(
                t(N_("Reward {id}: {name}, {cost} points, no stock limit"), locale, **values)
            )
        else:
            stock = number(r.stock, locale)
            lines.append(
                t(
                    N_("Reward {id}: {name}, {cost} points, {stock} left"),
                    locale,
                    stock=stock,
                    **values,
                )
            )
    # What each point of a priced reward is worth, and the rewards priced against their cost.
    return "\n".join(lines + [warning_text(found, locale) for found in mispriced(items)])


async def _gift_answer(template: str, moved: Any, amount: int, settings: Settings) -> str:
    from handlers.gift_texts import code_text

    locale = settings.default_locale
    return t(
        template,
        locale,
        code=code_text(moved.card.code),
        amount=money(amount, moved.currency, locale),
        balance=money(moved.balance, moved.currency, locale),
        receipt=moved.entry.receipt or "",
    )


@command("giftcard sell")
async def _giftcard_sell(args: argparse.Namespace, settings: Settings) -> str:
    from loyalty import giftcards

    sold = await giftcards.sell(_terminal_owner(), args.amount, args.member)
    return await _gift_answer(
        N_("Gift card sold: {code}, holding {balance}."), sold, sold.balance, settings
    )


@command("giftcard topup")
async def _giftcard_topup(args: argparse.Namespace, settings: Settings) -> str:
    from loyalty import giftcards

    moved = await giftcards.top_up(_terminal_owner(), args.code, args.amount)
    return await _gift_answer(
        N_("Gift card {code} topped up by {amount}. Balance: {balance}."),
        moved,
        args.amount,
        settings,
    )


@command("giftcard spend")
async def _giftcard_spend(args: argparse.Namespace, settings: Settings) -> str:
    from loyalty import giftcards

    moved = await giftcards.spend(_terminal_owner(), args.code, args.amount, args.receipt)
    template = (
        N_("Receipt {receipt} was already paid by this card: {amount}. Left on it: {balance}.")
        if moved.replayed
        else N_("Paid {amount} by gift card {code}. Left on it: {balance}.")
    )
    return await _gift_answer(template, moved, -moved.entry.amount, settings)


@command("giftcard refund")
async def _giftcard_refund(args: argparse.Namespace, settings: Settings) -> str:
    from loyalty import giftcards

    moved = await giftcards.refund(_terminal_owner(), args.code, args.amount, args.receipt)
    return await _gift_answer(
        N_("{amount} put back on gift card {code}. Balance: {balance}."),
        moved,
        args.amount,
        settings,
    )


@command("giftcard block")
async def _giftcard_block(args: argparse.Namespace, settings: Settings) -> str:
    from handlers.gift_texts import code_text
    from loyalty import giftcards

    locale = settings.default_locale
    card = await giftcards.block(_terminal_owner(), args.code)
    return t(
        N_("Gift card {code} is blocked; the {balance} on it stays owed."),
        locale,
        code=code_text(card.code),
        balance=money(card.balance, await giftcards.currency(), locale),
    )


@command("giftcard show")
async def _giftcard_show(args: argparse.Namespace, settings: Settings) -> str:
    from handlers.gift_texts import code_text, entry_line
    from loyalty import giftcards

    locale = settings.default_locale
    card = await giftcards.find_card(args.code)
    currency = await giftcards.currency()
    lines = [
        t(
            N_("Gift card {code}: {balance}."),
            locale,
            code=code_text(card.code),
            balance=money(card.balance, currency, locale),
        )
    ]
    lines += [
        "  " + entry_line(entry, currency, locale, settings.tz)
        for entry in await giftcards.history(card.id)
    ]
    return "\n".join(lines)


@command("branch list")
async def _branch_list(args: argparse.Namespace, settings: Settings) -> str:
    from handlers.telegram.staff.manage import branch_line, branch_rules_text

    locale = settings.default_locale
    lines = []
    for branch in await Branch.all().order_by("-active", "id"):
        lines.append(branch_line(branch, locale))
        if branch.active:
            lines.append("  " + await branch_rules_text(branch, locale))
    return "\n".join(lines)


@command("branch unit")
@command("branch minimum")
async def _branch_rule(args: argparse.Namespace, settings: Settings) -> str:
    from handlers.telegram.staff.manage import branch_rules_text
    from handlers.telegram.staff.texts import staff_error_text

    key = "currency_unit" if args.action == "unit" else "min_purchase"
    club = args.value.strip().lower() in ("club", "باشگاه")
    try:
        value = None if club else parse_int(args.value, signed=True, maximum=None)
        branch = await places.set_branch_rule(_terminal_owner(), args.id, key, value)
    except LoyaltyError as error:
        if error.code is not ErrorCode.INVALID_SETTING:
            raise
        # The staff's words name the bounds of the setting.
        sys.exit(staff_error_text(error, settings.default_locale))
    return await branch_rules_text(branch, settings.default_locale)


@command("branch rename")
@command("branch close")
@command("branch open")
async def _branch_change(args: argparse.Namespace, settings: Settings) -> str:
    from handlers.telegram.staff.manage import branch_line

    owner = _terminal_owner()
    if args.action == "rename":
        branch = await places.rename_branch(owner, args.id, args.name)
    else:
        branch = await places.set_branch_open(owner, args.id, args.action == "open")
    return branch_line(branch, settings.default_locale)


@command("apikey create")
async def _apikey_create(args: argparse.Namespace, settings: Settings) -> str:
    from handlers.api.texts import created_text
    from loyalty import api_keys

    new = await api_keys.create_key(args.branch, args.scopes, args.name)
    branch = await Branch.get(id=new.key.branch_id)
    return created_text(
        new, branch_name(branch.name, settings.default_locale), settings.default_locale
    )


@command("apikey revoke")
async def _apikey_revoke(args: argparse.Namespace, settings: Settings) -> str:
    from handlers.api.texts import revoked_text
    from loyalty import api_keys

    return revoked_text(await api_keys.revoke_key(args.id), settings.default_locale)


@command("apikey webhook")
async def _apikey_webhook(args: argparse.Namespace, settings: Settings) -> str:
    from handlers.api.texts import webhook_set_text
    from loyalty import webhooks

    url = None if args.url.lower() == "off" else args.url
    return webhook_set_text(await webhooks.set_webhook(args.id, url), settings.default_locale)


@command("api demo")
async def _api_demo(args: argparse.Namespace, settings: Settings) -> str:
    import aiohttp

    from bot import api_demo
    from loyalty import api_keys

    locale = settings.default_locale
    host = "127.0.0.1" if settings.web_host in ("0.0.0.0", "::", "") else settings.web_host
    url = args.url or f"http://{host}:{settings.web_port}"
    made = None
    if args.key:
        print(t(api_demo.GIVEN_KEY, locale))
        key, voucher = args.key, args.voucher
    else:
        made = await api_demo.demo_key()
        print(
            t(
                api_demo.MADE_KEY,
                locale,
                id=number(made.key.id, locale),
                branch=number(made.key.branch_id, locale),
            )
        )
        key, voucher = made.secret, args.voucher or await api_demo.voucher_of(args.phone)
    try:
        await api_demo.run_demo(url, key, args.phone, voucher, locale, print)
    except aiohttp.ClientConnectionError:
        raise SystemExit(t(api_demo.NO_CLUB, locale, url=url)) from None
    finally:
        if made is not None:
            await api_keys.revoke_key(made.key.id)
    return t(api_demo.REVOKED_KEY, locale, id=number(made.key.id, locale)) if made else ""


@command("apikey list")
async def _apikey_list(args: argparse.Namespace, settings: Settings) -> str:
    from handlers.api.texts import NO_KEYS, key_line
    from loyalty import api_keys

    locale = settings.default_locale
    keys = await api_keys.list_keys()
    if not keys:
        return t(NO_KEYS, locale)
    return "\n".join(
        key_line(key, branch_name(key.branch.name, locale), locale, settings.tz) for key in keys
    )


@command("festival add")
async def _festival_add(args: argparse.Namespace, settings: Settings) -> str:
    from handlers.festivals import staff_line
    from loyalty import festivals

    now, tz, locale = utcnow(), settings.tz, settings.default_locale
    # Every value read and checked before anything is written, as /festival add does.
    multiplier = festivals.read_multiplier(args.multiplier.lstrip("x×X"))
    starts_at = festivals.read_day(args.first, tz, end=False, now=now)
    ends_at = festivals.read_day(args.last, tz, end=True, now=now)
    names = tier_names([(tier.code, tier.name) for tier in await Tier.all()])
    festival = await festivals.add_festival(
        args.name,
        multiplier,
        starts_at,
        ends_at,
        branch_id=await festivals.find_branch(args.branch) if args.branch else None,
        group_id=await festivals.find_group(args.group) if args.group else None,
        tier_id=await festivals.find_tier(args.tier, names) if args.tier else None,
        actor="club command",
        now=now,
    )
    return staff_line(festival, locale, tz, now)


@command("festival list")
async def _festival_list(args: argparse.Namespace, settings: Settings) -> str:
    from handlers.festivals import staff_line
    from handlers.telegram.staff.festivals import NONE
    from loyalty import festivals

    now, locale = utcnow(), settings.default_locale
    lines = [staff_line(f, locale, settings.tz, now) for f in await festivals.listed(now)]
    return "\n".join(lines) or t(NONE, locale)


@command("festival end")
async def _festival_end(args: argparse.Namespace, settings: Settings) -> str:
    from handlers.festivals import staff_line
    from loyalty import festivals

    now = utcnow()
    ended = await festivals.end_festival(args.id, actor="club command", now=now)
    return staff_line(ended, settings.default_locale, settings.tz, now)


async def _file_bytes(path: str, locale: str) -> bytes:
    """A file's bytes; a missing or unreadable file is one line and exit status 1."""
    from pathlib import Path

    try:
        return await asyncio.to_thread(Path(path).read_bytes)
    except FileNotFoundError:
        raise SystemExit(t(N_("There is no file {path}."), locale, path=path)) from None
    except OSError:  # a folder, no permission
        raise SystemExit(
            t(
                N_("The file {path} cannot be read: is it a folder, or not yours to read?"),
                locale,
                path=path,
            )
        ) from None


@command("partner add")
async def _partner_add(args: argparse.Namespace, settings: Settings) -> str:
    from handlers.telegram.staff.partners import listing
    from loyalty import partners

    partner = await partners.add_partner(
        args.name,
        description=args.description,
        contact=args.contact,
        actor="club command",
        now=utcnow(),
    )
    return await listing(settings.default_locale, partner.id)


@command("partner list")
async def _partner_list(args: argparse.Namespace, settings: Settings) -> str:
    from handlers.telegram.staff.partners import listing

    return await listing(settings.default_locale)


@command("partner off")
async def _partner_off(args: argparse.Namespace, settings: Settings) -> str:
    from handlers.telegram.staff.partners import listing
    from loyalty import partners

    await partners.end_partner(args.id, actor="club command", now=utcnow())
    return await listing(settings.default_locale, args.id)


@command("partner offer")
async def _partner_offer(args: argparse.Namespace, settings: Settings) -> str:
    from handlers.partners import price
    from handlers.telegram.staff.partners import OFFER_ADDED, tiers_by_id
    from loyalty import festivals, partners

    locale = settings.default_locale
    # Every value read and checked before anything is written, as /partners offer does.
    cost = partners.read_cost(args.cost)
    names = tier_names([(tier.code, tier.name) for tier in await Tier.all()])
    tier_id = await festivals.find_tier(args.tier, names) if args.tier else None
    offer = await partners.add_offer(
        args.id,
        args.name,
        cost,
        min_tier_id=tier_id,
        uploaded_codes=args.upload,
        description=args.description,
        actor="club command",
        now=utcnow(),
    )
    partner = await partners.get_partner(args.id)
    return t(
        OFFER_ADDED,
        locale,
        id=digits(str(offer.id), locale),
        partner=partner.name,
        name=offer.name,
        price=price(offer, await tiers_by_id(), locale),
    )


@command("partner codes")
async def _partner_codes(args: argparse.Namespace, settings: Settings) -> str:
    from handlers.partners import uploaded_text
    from loyalty import partners

    locale = settings.default_locale
    await partners.get_offer(args.id)
    codes = partners.read_codes(await _file_bytes(args.file, locale))
    uploaded = await partners.upload_codes(args.id, codes, actor="club command", now=utcnow())
    return uploaded_text(uploaded, locale)


@command("cause add")
async def _cause_add(args: argparse.Namespace, settings: Settings) -> str:
    from handlers.charity import staff_line
    from loyalty import charity

    # Every value read and checked before anything is written, as /causes add does.
    value = charity.read_point_value(args.value)
    target = charity.read_target(args.target) if args.target else None
    cause = await charity.add_cause(
        args.name,
        value,
        description=args.description,
        target=target,
        actor="club command",
        now=utcnow(),
    )
    currency = (await get_rules()).currency
    return staff_line(charity.Standing(cause, 0, 0), currency, settings.default_locale)


@command("cause list")
async def _cause_list(args: argparse.Namespace, settings: Settings) -> str:
    from handlers.charity import staff_line
    from handlers.telegram.staff.causes import NONE
    from loyalty import charity

    locale, currency = settings.default_locale, (await get_rules()).currency
    shown = [staff_line(s, currency, locale) for s in await charity.standings(active_only=False)]
    return "\n\n".join(shown) or t(NONE, locale)


@command("cause off")
async def _cause_off(args: argparse.Namespace, settings: Settings) -> str:
    from handlers.charity import staff_line
    from loyalty import charity

    await charity.end_cause(args.id, actor="club command", now=utcnow())
    standing = next(s for s in await charity.standings(active_only=False) if s.cause.id == args.id)
    return staff_line(standing, (await get_rules()).currency, settings.default_locale)


@command("agent add")
async def _agent_add(args: argparse.Namespace, settings: Settings) -> str:
    from handlers.agents import CLI_ADDED, staff_line
    from handlers.telegram.staff.texts import staff_error_text
    from loyalty import agents

    # Every value read and checked before anything is written, as /agents add does.
    try:
        percent = agents.read_percent(args.percent) if args.percent is not None else None
        days = agents.read_days(args.days) if args.days is not None else None
    except LoyaltyError as error:  # a percent or days out of range, with the range
        raise SystemExit(staff_error_text(error, settings.default_locale)) from None
    agent = await agents.add_agent(
        args.name, percent=percent, days=days, actor="club command", now=utcnow()
    )
    locale = settings.default_locale
    figures = (await agents.figures([agent]))[0]
    line = staff_line(figures, (await get_rules()).currency, locale)
    return line + "\n" + t(CLI_ADDED, locale, code=agent.code)


@command("agent off")
async def _agent_off(args: argparse.Namespace, settings: Settings) -> str:
    from handlers.agents import OFF_DONE
    from loyalty import agents

    agent = await agents.by_reference(args.agent)
    agent = await agents.switch_off(agent.id, actor="club command", now=utcnow())
    return t(OFF_DONE, settings.default_locale, name=agent.name)


@command("agent set")
async def _agent_set(args: argparse.Namespace, settings: Settings) -> str:
    from handlers.agents import CLI_TERMS_HOW, TERMS_SET, staff_line
    from handlers.telegram.staff.texts import staff_error_text
    from loyalty import agents

    locale = settings.default_locale
    if args.percent is None and args.days is None:
        raise SystemExit(t(CLI_TERMS_HOW, locale))
    # Every value read and checked before anything is written, as /agents set does.
    try:
        percent = agents.read_percent(args.percent) if args.percent is not None else None
        days = agents.read_days(args.days) if args.days is not None else None
    except LoyaltyError as error:  # a percent or days out of range, with the range
        raise SystemExit(staff_error_text(error, locale)) from None
    agent = await agents.by_reference(args.agent)
    agent = await agents.set_terms(
        agent.id, percent=percent, days=days, actor="club command", now=utcnow()
    )
    figures = (await agents.figures([agent]))[0]
    return t(TERMS_SET, locale, line=staff_line(figures, (await get_rules()).currency, locale))


@command("agent list")
async def _agent_list(args: argparse.Namespace, settings: Settings) -> str:
    from handlers.agents import NONE, staff_line
    from loyalty import agents

    locale, currency = settings.default_locale, (await get_rules()).currency
    lines = [staff_line(f, currency, locale) for f in await agents.figures()]
    return "\n\n".join(lines) or t(NONE, locale)


@command("agent pay")
async def _agent_pay(args: argparse.Namespace, settings: Settings) -> str:
    from handlers.agents import paid_text
    from loyalty import agents

    amount = agents.read_money(args.amount)
    agent = await agents.by_reference(args.agent)
    paid = await agents.pay(
        agent.id, amount, actor="club command", key=f"cli-{uuid.uuid4().hex}", now=utcnow()
    )
    due = paid.agent.accrued - paid.agent.paid
    currency = (await get_rules()).currency
    return paid_text(paid.agent.name, amount, due, currency, settings.default_locale)


@command("survey add")
async def _survey_add(args: argparse.Namespace, settings: Settings) -> str:
    from handlers.surveys import staff_line
    from handlers.telegram.staff.campaigns import not_understood, parse_audience
    from loyalty import festivals, surveys
    from loyalty.numbers import INT_MAX, parse_int

    now, locale = utcnow(), settings.default_locale
    # Every value read and checked before anything is written, as /survey add does.
    points = parse_int(args.points, maximum=INT_MAX)
    if points < 0:
        raise LoyaltyError(ErrorCode.INVALID_AMOUNT, amount=args.points)
    deadline = festivals.read_day(args.deadline, settings.tz, end=True, now=now)
    try:
        audience, _ = parse_audience(args.filter or [], settings.tz, now)
    except ValueError as error:
        raise SystemExit(not_understood(str(error), locale)) from None
    survey = await surveys.add_survey(
        args.title, points, deadline, audience, actor="club command", now=now
    )
    return staff_line(survey, 0, locale, settings.tz)


@command("survey question")
async def _survey_question(args: argparse.Namespace, settings: Settings) -> str:
    from handlers.surveys import question_line
    from loyalty import surveys

    question = await surveys.add_question(
        args.id,
        args.kind,
        args.question,
        args.option,
        optional=args.optional,
        actor="club command",
        now=utcnow(),
    )
    return question_line(question, settings.default_locale)


@command("survey list")
async def _survey_list(args: argparse.Namespace, settings: Settings) -> str:
    from handlers.surveys import staff_line
    from handlers.telegram.staff.surveys import NONE
    from loyalty import surveys

    locale = settings.default_locale
    lines = [
        staff_line(s, len(await surveys.questions_of(s.id)), locale, settings.tz)
        for s in await surveys.listed()
    ]
    return "\n".join(lines) or t(NONE, locale)


@command("survey show")
async def _survey_show(args: argparse.Namespace, settings: Settings) -> str:
    from handlers.surveys import survey_text
    from loyalty import surveys

    survey = await surveys.get_survey(args.id)
    questions = await surveys.questions_of(args.id)
    return survey_text(survey, questions, settings.default_locale, settings.tz)


@command("survey send")
async def _survey_send(args: argparse.Namespace, settings: Settings) -> str:
    from handlers.format import number
    from handlers.telegram.staff.surveys import SENT, check_sms
    from loyalty import surveys

    now, locale = utcnow(), settings.default_locale
    await check_sms(args.id, args.channel, settings)
    survey = await surveys.send(args.id, args.channel, actor="club command", now=now)
    count = await surveys.reach(survey, now, settings.tz)
    return t(SENT, locale, count=number(count, locale))


@command("survey close")
async def _survey_close(args: argparse.Namespace, settings: Settings) -> str:
    from handlers.telegram.staff.surveys import CLOSED
    from loyalty import surveys

    await surveys.close(args.id, actor="club command", now=utcnow())
    return t(CLOSED, settings.default_locale)


@command("survey results")
async def _survey_results(args: argparse.Namespace, settings: Settings) -> str:
    from handlers.surveys import results_text, results_xlsx
    from loyalty import surveys

    locale = settings.default_locale
    found = await surveys.results(args.id)
    if args.xlsx:
        from pathlib import Path

        data = await asyncio.to_thread(results_xlsx, found, locale)
        await asyncio.to_thread(Path(args.xlsx).write_bytes, data)
    return results_text(found, locale)


class ProgressBar:
    """A one-line progress bar on stderr, redrawn at most once per percent."""

    def __init__(self, total: int, width: int = 30) -> None:
        self.total, self.width, self.shown = total, width, -1

    def __call__(self, done: int) -> None:
        percent = done * 100 // self.total if self.total else 100
        if percent == self.shown:
            return
        self.shown = percent
        filled = self.width * percent // 100
        end = "\n" if done >= self.total else ""
        print(
            f"\r[{'#' * filled}{'.' * (self.width - filled)}] {done}/{self.total}",
            end=end,
            file=sys.stderr,
            flush=True,
        )

    def end_line(self) -> None:
        """Ends a bar left part-way, so that what follows starts on a line of its own."""
        if 0 <= self.shown < 100:
            print(file=sys.stderr)


STOPPED = N_(
    "The import stopped after {done} of {total} rows ({created} imported, {skipped} "
    "already in the club): run the same command again for the rest; nothing is imported "
    "twice."
)


@command("import")
async def _import(args: argparse.Namespace, settings: Settings) -> str:

    from handlers.telegram.staff.importing import summary_text
    from loyalty import importing
    from loyalty.clock import utcnow

    locale = settings.default_locale
    text = importing.decode_csv(await _file_bytes(args.file, locale))
    now = utcnow()
    tiers = await Tier.all().values_list("code", "name")
    records, errors = importing.parse_csv(
        text,
        [code for code, _ in tiers],
        today=now.astimezone(settings.tz).date(),
        tier_names=tier_names(tiers),
    )
    bar = ProgressBar(len(records))
    committed = importing.ImportSummary(0, 0)

    def advance(summary: importing.ImportSummary) -> None:
        nonlocal committed
        committed = summary
        bar(summary.done)

    try:
        summary = await importing.import_records(records, actor="cli", now=now, progress=advance)
    except BaseException:  # busy, interrupted or failed: what is committed stays, and is said
        bar.end_line()
        counts = {
            "done": committed.done,
            "total": len(records),
            "created": committed.created,
            "skipped": committed.skipped,
        }
        print(
            t(STOPPED, locale, **{name: number(n, locale) for name, n in counts.items()}),
            file=sys.stderr,
        )
        raise
    return summary_text(summary, errors, locale)


@command("sms")
async def _sms(args: argparse.Namespace, settings: Settings) -> str:
    """One inbound SMS processed here as if it had arrived; the answer is printed, not sent."""
    from bot.sms_door import sms_config
    from handlers.sms.inbound import handle_inbound

    text = " ".join(args.text)
    if not _utf8(args.sender) or not _utf8(text):
        refusal = N_("The sender and the text must be valid UTF-8.")
        raise SystemExit(t(refusal, settings.default_locale))
    reply = await handle_inbound(args.sender, text, config=sms_config(settings))
    return (
        reply
        if reply is not None
        else t(N_("No answer is sent to this message."), settings.default_locale)
    )


def _utf8(text: str) -> bool:
    """False for an argument whose bytes were not UTF-8 (Python keeps them as lone surrogates)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _whole(maximum: int | None) -> Callable[[str], int]:
    """An argument type: a whole number as people type it (Persian digits, separators)."""

    def read(text: str) -> int:
        try:
            return parse_int(text, maximum=maximum)
        except LoyaltyError as error:
            if error.code is ErrorCode.NUMBER_TOO_LARGE:
                raise argparse.ArgumentTypeError(f"{text} (at most {maximum})") from None
            raise ValueError(text) from None  # argparse says it is not a whole number

    return read


# A purchase or refund amount: the club's rules bound it, and their refusal names the limit.
_amount = _whole(None)
_id = _whole(INT_MAX)  # a row's number, within an integer column
_big = _whole(BIGINT_MAX)  # a Telegram id, a discount in toman


def _at_least_one(text: str) -> int:
    value = _id(text)
    if value < 1:
        raise ValueError(text)
    return value


# argparse's refusals (Python 3.11 to 3.13 wording) and the club's sentence for each.
_ARGPARSE_ERRORS: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(r"the following arguments are required: (?P<names>.+)"),
        N_("Missing: {names}. See -h for what each one takes."),
    ),
    (
        re.compile(r"unrecognized arguments: (?P<names>.+)"),
        N_("Not understood: {names}. See -h for what the command takes."),
    ),
    (
        re.compile(
            r"argument (?P<name>\S+): invalid choice: (?P<value>.+?) "
            r"\(choose from (?P<choices>.+)\)"
        ),
        N_("{name}: «{value}» is not one of: {choices}."),
    ),
    (
        re.compile(r"argument (?P<name>\S+): invalid _at_least_one value: (?P<value>.+)"),
        N_("{name}: «{value}» is not a whole number of 1 or more."),
    ),
    (
        re.compile(r"argument (?P<name>\S+): invalid \w+ value: (?P<value>.+)"),
        N_("{name}: «{value}» is not a whole number."),
    ),
    (
        re.compile(r"argument (?P<name>\S+): expected one argument"),
        N_("{name}: a value must follow it."),
    ),
]
_HEADINGS = {"positional arguments": N_("arguments"), "options": N_("options")}


def argparse_error_text(message: str, locale: str) -> str:
    """An argparse refusal in the club's language; one it does not know, as argparse said it."""
    for pattern, sentence in _ARGPARSE_ERRORS:
        match = pattern.fullmatch(message)
        if match is not None:
            values = {key: _listed(value, locale) for key, value in match.groupdict().items()}
            return t(sentence, locale, **values)
    return message


def _listed(value: str, locale: str) -> str:
    """argparse quotes values as Python does ('x') and lists them with commas."""
    value = value.replace("'", "")
    return value.replace(", ", "، ") if locale == "fa" else value


class _Formatter(argparse.HelpFormatter):
    """argparse's help page with its own words (usage, headings) in the club's language."""

    def __init__(self, prog: str, *, locale: str) -> None:
        super().__init__(prog, max_help_position=32)
        self.locale = locale

    def add_usage(self, usage: Any, actions: Any, groups: Any, prefix: str | None = None) -> None:
        prefix = t(N_("usage: "), self.locale) if prefix is None else prefix
        super().add_usage(usage, actions, groups, prefix)

    def start_section(self, heading: str | None) -> None:
        title = _HEADINGS.get(heading or "")
        super().start_section(t(title, self.locale) if title else heading)


class _Parser(argparse.ArgumentParser):
    """Every parser of the command, its subcommands' too (argparse makes them of this class)."""

    locale = "fa"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["formatter_class"] = functools.partial(_Formatter, locale=self.locale)
        kwargs["add_help"] = False  # added below, with its help in the club's language
        super().__init__(*args, **kwargs)
        self.add_argument(
            "-h",
            "--help",
            action="help",
            default=argparse.SUPPRESS,
            help=t(N_("show this help and exit"), self.locale),
        )

    def error(self, message: str) -> NoReturn:
        # One line, like every other refusal of the command; `club -h` has the usage.
        self.exit(2, f"{self.prog}: {argparse_error_text(message, self.locale)}\n")


def build_parser(locale: str = "fa") -> argparse.ArgumentParser:
    """The command line, its help and its refusals in `locale` (the club's DEFAULT_LOCALE)."""

    class Parser(_Parser):
        pass

    Parser.locale = locale

    def h(text: str) -> str:
        return t(text, locale)

    def positional(parser: argparse.ArgumentParser, name: str, text: str, **kw: Any) -> None:
        # The placeholder in the usage line names what it takes, in the reader's language.
        parser.add_argument(name, metavar=h(_PLACEHOLDERS[name]), help=h(text), **kw)

    parser = Parser(prog="club", description=h(N_("A customer club on Telegram and SMS.")))
    sub = parser.add_subparsers(dest="command", required=True, metavar=h(N_("command")))
    sub.add_parser("migrate", help=h(N_("apply database migrations")))
    sub.add_parser("status", help=h(N_("show the club's status")))
    backup = sub.add_parser("backup", help=h(N_("copy the SQLite database while the bot runs")))
    positional(backup, "path", N_("the file to write the copy to"))

    member = sub.add_parser("member", help=h(N_("members"))).add_subparsers(
        dest="action", required=True, metavar=h(N_("action"))
    )
    add = member.add_parser("add", help=h(N_("add a member")))
    positional(add, "phone", N_("the member's mobile number, e.g. 09121234567 or +989121234567"))
    add.add_argument("--first-name", metavar=h(N_("NAME")), help=h(N_("the first name")))
    add.add_argument("--last-name", metavar=h(N_("NAME")), help=h(N_("the last name")))
    add.add_argument(
        "--telegram-id",
        type=_big,
        metavar=h(N_("ID")),
        help=h(N_("the member's numeric Telegram user id, to link their chat")),
    )
    add.add_argument(
        "--locale",
        choices=["fa", "en"],
        help=h(N_("the member's language: fa (Persian) or en (English)")),
    )
    add.add_argument(
        "--agent",
        metavar=h(N_("CODE")),
        help=h(N_("the code of the agent who brought a new member")),
    )
    show = member.add_parser("show", help=h(N_("show a member by phone or card number")))
    positional(show, "member", N_("the member's phone or card number"))
    replace_card = member.add_parser(
        "replace-card", help=h(N_("a new card for a lost one: the old number stops working"))
    )
    positional(replace_card, "member", N_("the member's phone or card number"))
    floor = member.add_parser(
        "tier", help=h(N_("the tier the periodic review never takes the member below"))
    )
    positional(floor, "member", N_("the member's phone or card number"))
    positional(floor, "tier", N_("a tier's code or name, or off to let the points decide"))
    company = member.add_parser(
        "company", help=h(N_("a company customer: the company's name and its earning rate"))
    )
    positional(company, "member", N_("the member's phone or card number"))
    positional(
        company,
        "company",
        N_("the company's name, or off for an individual customer"),
        nargs="?",
    )
    company.add_argument(
        "--rate",
        metavar=h(N_("RATE")),
        help=h(N_("the company's own points per currency unit, or club for the club's rate")),
    )

    earn = sub.add_parser("earn", help=h(N_("record a purchase")))
    positional(earn, "member", N_("the member's phone or card number"))
    positional(
        earn,
        "amount",
        N_("the purchase amount in toman, a whole number"),
        type=_amount,
    )
    earn.add_argument(
        "--receipt",
        metavar=h(N_("RECEIPT")),
        help=h(N_("the receipt number: the same receipt is never counted twice")),
    )
    earn.add_argument("--branch", type=_id, metavar=h(N_("ID")), help=h(N_("the branch id")))
    earn.add_argument("--group", type=_id, metavar=h(N_("ID")), help=h(N_("the product group id")))
    earn.add_argument(
        "--code", metavar=h(N_("CODE")), help=h(N_("a promo code given with the purchase"))
    )

    refund = sub.add_parser("refund", help=h(N_("refund a purchase in full or in part")))
    positional(refund, "receipt", N_("the receipt number of the purchase"))
    positional(
        refund,
        "amount",
        N_("the amount refunded in toman; without it, the whole purchase"),
        type=_amount,
        nargs="?",
    )
    refund.add_argument(
        "--branch",
        type=_id,
        metavar=h(N_("ID")),
        help=h(N_("the id of the branch where the purchase was made")),
    )

    redeem = sub.add_parser("redeem", help=h(N_("redeem a reward for a member")))
    positional(redeem, "member", N_("the member's phone or card number"))
    positional(redeem, "reward", N_("the reward id, as `club reward list` shows it"), type=_id)

    voucher = sub.add_parser("voucher", help=h(N_("vouchers"))).add_subparsers(
        dest="action", required=True, metavar=h(N_("action"))
    )
    use = voucher.add_parser("use", help=h(N_("mark a voucher used")))
    positional(use, "code", N_("the voucher code the member shows"))
    cancel = voucher.add_parser(
        "cancel", help=h(N_("withdraw an unused voucher; its points go back to the member"))
    )
    positional(cancel, "code", N_("the voucher code"))

    reward = sub.add_parser("reward", help=h(N_("the reward catalogue"))).add_subparsers(
        dest="action", required=True, metavar=h(N_("action"))
    )
    radd = reward.add_parser("add", help=h(N_("add a reward")))
    positional(radd, "name", N_("the reward's name as members read it"))
    positional(radd, "cost", N_("its price in points, a whole number"), type=_id)
    radd.add_argument(
        "--stock",
        type=_id,
        metavar=h(N_("COUNT")),
        help=h(N_("how many can be given out (default: no limit)")),
    )
    radd.add_argument(
        "--kind",
        choices=[k.value for k in RewardKind],
        default=RewardKind.PRODUCT.value,
        help=h(
            N_(
                "what the member gets: product (default), fixed_discount (VALUE toman off) "
                "or percent_discount (VALUE percent off)"
            )
        ),
    )
    radd.add_argument(
        "--for",
        dest="for_whom",
        choices=[c.value for c in CustomerType],
        help=h(N_("only members of this customer type may redeem it (default: everyone)")),
    )
    radd.add_argument(
        "--value",
        type=_big,
        default=0,
        metavar=h(N_("VALUE")),
        help=h(N_("the discount: toman for fixed_discount, a percent for percent_discount")),
    )
    radd.add_argument(
        "--value-money",
        type=_big,
        metavar=h(N_("AMOUNT")),
        help=h(N_("what the reward is worth in toman, to show its value per point")),
    )
    reward.add_parser("list", help=h(N_("list rewards on offer, with their ids and stock")))

    gift = sub.add_parser("giftcard", help=h(N_("gift cards"))).add_subparsers(
        dest="action", required=True, metavar=h(N_("action"))
    )
    gsell = gift.add_parser("sell", help=h(N_("sell a gift card holding an amount")))
    positional(gsell, "amount", N_("the money on the card, a whole number"), type=_amount)
    gsell.add_argument(
        "--member", metavar=h(N_("MEMBER")), help=h(N_("the member it is for (phone or card)"))
    )
    gtop = gift.add_parser("topup", help=h(N_("add money to a gift card")))
    positional(gtop, "code", N_("the gift card's code"))
    positional(gtop, "amount", N_("the money added, a whole number"), type=_amount)
    gspend = gift.add_parser("spend", help=h(N_("pay from a gift card")))
    positional(gspend, "code", N_("the gift card's code"))
    positional(gspend, "amount", N_("the money paid, a whole number"), type=_amount)
    gspend.add_argument(
        "--receipt",
        metavar=h(N_("RECEIPT")),
        help=h(N_("the receipt number; the same receipt twice pays once")),
    )
    grefund = gift.add_parser("refund", help=h(N_("put a refund back on a gift card")))
    positional(grefund, "code", N_("the gift card's code"))
    positional(grefund, "amount", N_("the money put back, a whole number"), type=_amount)
    positional(grefund, "receipt", N_("the receipt the card paid"))
    gblock = gift.add_parser("block", help=h(N_("block a lost gift card")))
    positional(gblock, "code", N_("the gift card's code"))
    gshow = gift.add_parser("show", help=h(N_("a gift card's balance and history")))
    positional(gshow, "code", N_("the gift card's code"))
    branch = sub.add_parser("branch", help=h(N_("branches"))).add_subparsers(
        dest="action", required=True, metavar=h(N_("action"))
    )
    branch.add_parser("list", help=h(N_("list the branches and their earning rules")))
    for action, about in (
        ("unit", N_("set a branch's currency unit: a point per unit times the earning rate")),
        ("minimum", N_("set a branch's minimum purchase: a smaller one is not recorded")),
    ):
        rule = branch.add_parser(action, help=h(about))
        positional(rule, "id", N_("the branch id"), type=_id)
        positional(rule, "value", N_("an amount in toman, or club for the club's own"))
    rename = branch.add_parser("rename", help=h(N_("rename a branch")))
    positional(rename, "id", N_("the branch id"), type=_id)
    positional(rename, "name", N_("the branch's new name"))
    for action, about in (
        ("close", N_("close a branch: no new purchases or staff; its history stays")),
        ("open", N_("open a closed branch again")),
    ):
        positional(branch.add_parser(action, help=h(about)), "id", N_("the branch id"), type=_id)

    tier = sub.add_parser("tier", help=h(N_("the tiers"))).add_subparsers(
        dest="action", required=True, metavar=h(N_("action"))
    )
    tier.add_parser("list", help=h(N_("list the tiers with their codes and names")))
    tname = tier.add_parser("name", help=h(N_("the name members read for a tier")))
    positional(tname, "tier", N_("a tier's code or name"))
    positional(
        tname,
        "name",
        N_("the new name, shown as typed in every language; without it, the usual name"),
        nargs="?",
    )
    discount = sub.add_parser("discount", help=h(N_("discounts at the till"))).add_subparsers(
        dest="action", required=True, metavar=h(N_("action"))
    )
    discount.add_parser("list", help=h(N_("the discount rules in force and how they combine")))
    spend = discount.add_parser("spend", help=h(N_("from an amount on, a percentage off")))
    positional(spend, "amount", N_("the gross amount from which it applies"), type=_amount)
    positional(spend, "percent", N_("the percentage off, above 0 and at most 100"))
    spend.add_argument("--branch", type=_id, metavar=h(N_("ID")), help=h(N_("the branch id")))
    dgroup = discount.add_parser("group", help=h(N_("a product group's percentage off")))
    positional(dgroup, "id", N_("the product group id"), type=_id)
    positional(dgroup, "percent", N_("the percentage off, above 0 and at most 100"))
    dgroup.add_argument("--from", dest="starts", metavar=h(N_("DATE")), help=h(N_("first day")))
    dgroup.add_argument("--until", dest="ends", metavar=h(N_("DATE")), help=h(N_("last day")))
    dgroup.add_argument("--branch", type=_id, metavar=h(N_("ID")), help=h(N_("the branch id")))
    positional(
        discount.add_parser("off", help=h(N_("a discount rule no longer applies"))),
        "id",
        N_("the discount rule's id"),
        type=_id,
    )
    positional(
        discount.add_parser("stack", help=h(N_("stack discounts (on) or the best single (off)"))),
        "value",
        N_("on or off"),
        choices=["on", "off"],
    )
    positional(
        discount.add_parser("points", help=h(N_("points on the amount paid or on the gross"))),
        "value",
        N_("paid or gross"),
        choices=["paid", "gross"],
    )

    promo = sub.add_parser("promo", help=h(N_("promo codes"))).add_subparsers(
        dest="action", required=True, metavar=h(N_("action"))
    )
    promo.add_parser("list", help=h(N_("the codes and their figures")))
    padd = promo.add_parser("add", help=h(N_("a promo code, with its limits")))
    positional(padd, "code", N_("the code, letters and digits"))
    positional(padd, "value", N_("10% off, 50000 off, or +20pts bonus points"))
    positional(
        padd,
        "options",
        N_(
            "from=<date> until=<date> min=<amount> tier=<code> branch=<id> group=<id> uses=<n> "
            "per=<n>"
        ),
        nargs="*",
    )
    positional(promo.add_parser("off", help=h(N_("withdraw a promo code"))), "code", N_("the code"))

    apikey = sub.add_parser("apikey", help=h(N_("keys of the HTTP API"))).add_subparsers(
        dest="action", required=True, metavar=h(N_("action"))
    )
    kcreate = apikey.add_parser("create", help=h(N_("make a key (shown once)")))
    kcreate.add_argument(
        "--branch", type=_id, required=True, metavar=h(N_("ID")), help=h(N_("the branch id"))
    )
    kcreate.add_argument(
        "--scopes",
        required=True,
        metavar=h(N_("SCOPES")),
        help=h(N_("what the key may do, e.g. members:read,purchases:write,vouchers:redeem")),
    )
    kcreate.add_argument(
        "--name",
        required=True,
        metavar=h(N_("NAME")),
        help=h(N_("what the key is for, e.g. till1")),
    )
    krevoke = apikey.add_parser("revoke", help=h(N_("stop a key from working")))
    positional(krevoke, "id", N_("the key's number, as `club apikey list` shows it"), type=_id)
    apikey.add_parser("list", help=h(N_("list the keys")))
    khook = apikey.add_parser("webhook", help=h(N_("send the club's events to a URL (or 'off')")))
    positional(khook, "id", N_("the key's number, as `club apikey list` shows it"), type=_id)
    positional(khook, "url", N_("the https address that receives the events, or off"))

    run = sub.add_parser(
        "run", help=h(N_("run the Telegram bot (the sandbox chat when no BOT_TOKEN is set)"))
    )
    run.add_argument(
        "--workers",
        type=_at_least_one,
        metavar=h(N_("COUNT")),
        help=h(N_("webhook worker processes on WEB_PORT (default: WEB_WORKERS, 1)")),
    )
    chat = sub.add_parser("chat", help=h(N_("try the bot in this terminal, without Telegram")))
    chat.add_argument(
        "--user",
        type=_big,
        default=SANDBOX_USER,
        metavar=h(N_("ID")),
        help=t(
            N_(
                "the numeric Telegram user id to act as (default {user}); an id listed in "
                "OWNER_IDS plays the owner"
            ),
            locale,
            user=SANDBOX_USER,
        ),
    )
    imports = sub.add_parser("import", help=h(N_("import members from a CSV file")))
    positional(
        imports,
        "file",
        N_(
            "a CSV file (as Excel saves it) with the columns phone, first_name, last_name, "
            "birthday, gender, balance (opening points), tier"
        ),
    )
    festival = sub.add_parser(
        "festival", help=h(N_("festivals: time-bound earning multipliers"))
    ).add_subparsers(dest="action", required=True, metavar=h(N_("action")))
    fadd = festival.add_parser("add", help=h(N_("add a festival")))
    positional(fadd, "name", N_("its name as members read it, e.g. Yalda"))
    positional(fadd, "multiplier", N_("the points multiplier, above 0 and at most 10, e.g. 3"))
    positional(fadd, "first", N_("its first day, Jalali or Gregorian, e.g. 1405/09/30"))
    positional(fadd, "last", N_("its last day (included), e.g. 1405/10/01"))
    fadd.add_argument("--branch", metavar=h(N_("ID")), help=h(N_("only at this branch")))
    fadd.add_argument(
        "--group", metavar=h(N_("ID")), help=h(N_("only for this product group (id or name)"))
    )
    fadd.add_argument(
        "--tier", metavar=h(N_("TIER")), help=h(N_("only for members of this tier, e.g. gold"))
    )
    festival.add_parser("list", help=h(N_("list the festivals running or to come")))
    fend = festival.add_parser("end", help=h(N_("end a festival now")))
    positional(fend, "id", N_("the festival's number, as `club festival list` shows it"), type=_id)

    cause = sub.add_parser(
        "cause", help=h(N_("charity causes members give points to"))
    ).add_subparsers(dest="action", required=True, metavar=h(N_("action")))
    cadd = cause.add_parser("add", help=h(N_("add a charity cause")))
    positional(cadd, "value", N_("what one point given is worth, in toman, e.g. 1000"))
    positional(cadd, "name", N_("its name as members read it"))
    cadd.add_argument(
        "--description", default="", metavar=h(N_("TEXT")), help=h(N_("a line about it"))
    )
    cadd.add_argument(
        "--target", metavar=h(N_("POINTS")), help=h(N_("the points it hopes to be given"))
    )
    cause.add_parser("list", help=h(N_("list the causes and what members gave them")))
    coff = cause.add_parser("off", help=h(N_("stop a cause taking gifts")))
    positional(coff, "id", N_("the cause's number, as `club cause list` shows it"), type=_id)

    partner = sub.add_parser(
        "partner", help=h(N_("partner businesses and their offers"))
    ).add_subparsers(dest="action", required=True, metavar=h(N_("action")))
    padd = partner.add_parser("add", help=h(N_("add a partner")))
    positional(padd, "name", N_("its name as members read it"))
    padd.add_argument(
        "--description", default="", metavar=h(N_("TEXT")), help=h(N_("a line about it"))
    )
    padd.add_argument(
        "--contact", default="", metavar=h(N_("TEXT")), help=h(N_("how to reach the partner"))
    )
    partner.add_parser("list", help=h(N_("list the partners, their offers and figures")))
    poff = partner.add_parser("off", help=h(N_("take a partner off: its offers end")))
    positional(poff, "id", N_("the partner's number, as `club partner list` shows it"), type=_id)
    poffer = partner.add_parser("offer", help=h(N_("add an offer of a partner")))
    positional(poffer, "id", N_("the partner's number, as `club partner list` shows it"), type=_id)
    positional(poffer, "cost", N_("the points it costs, or free"))
    positional(poffer, "name", N_("its name as members read it"))
    poffer.add_argument(
        "--tier", metavar=h(N_("TIER")), help=h(N_("the lowest tier that may take it"))
    )
    poffer.add_argument(
        "--upload",
        action="store_true",
        help=h(N_("its codes are uploaded by the partner (club partner codes), not made")),
    )
    poffer.add_argument(
        "--description", default="", metavar=h(N_("TEXT")), help=h(N_("a line about it"))
    )
    pcodes = partner.add_parser("codes", help=h(N_("add uploaded codes to an offer")))
    positional(pcodes, "id", N_("the offer's number, as `club partner list` shows it"), type=_id)
    positional(pcodes, "file", N_("a CSV file: one code a line"))
    agent = sub.add_parser(
        "agent", help=h(N_("agents paid a commission on the members they bring"))
    ).add_subparsers(dest="action", required=True, metavar=h(N_("action")))
    aadd = agent.add_parser("add", help=h(N_("add an agent, with a code members join by")))
    positional(aadd, "name", N_("the agent's name"))
    aadd.add_argument(
        "--percent",
        metavar=h(N_("PERCENT")),
        help=h(N_("their commission, in percent of purchases (default: the club's)")),
    )
    aadd.add_argument(
        "--days",
        metavar=h(N_("DAYS")),
        help=h(N_("for how many days after a member joins (default: the club's)")),
    )
    agent.add_parser("list", help=h(N_("list the agents, their members and commission")))
    apay = agent.add_parser("pay", help=h(N_("record a payment to an agent")))
    positional(apay, "agent", N_("the agent's number or code, as `club agent list` shows it"))
    positional(apay, "amount", N_("the amount paid, at most what is due"))
    aset = agent.add_parser("set", help=h(N_("change an agent's percent and days")))
    positional(aset, "agent", N_("the agent's number or code, as `club agent list` shows it"))
    aset.add_argument(
        "--percent",
        metavar=h(N_("PERCENT")),
        help=h(N_("their commission, in percent of purchases from now on")),
    )
    aset.add_argument(
        "--days",
        metavar=h(N_("DAYS")),
        help=h(N_("for how many days after a member joins")),
    )
    aoff = agent.add_parser(
        "off", help=h(N_("switch an agent off: their code brings no new members"))
    )
    positional(aoff, "agent", N_("the agent's number or code, as `club agent list` shows it"))
    survey = sub.add_parser(
        "survey", help=h(N_("surveys members answer for points"))
    ).add_subparsers(dest="action", required=True, metavar=h(N_("action")))
    sadd = survey.add_parser("add", help=h(N_("add a survey (a draft until it is sent)")))
    positional(sadd, "points", N_("the points a member earns for completing it"))
    positional(sadd, "deadline", N_("the last day it takes answers, e.g. 1405/10/01"))
    positional(sadd, "title", N_("its title as members read it"))
    sadd.add_argument(
        "--filter",
        action="append",
        metavar=h(N_("FILTER")),
        help=h(N_("who is asked, as a campaign's filters: tier=gold, branch=2, age=20-40 ...")),
    )
    sq = survey.add_parser("question", help=h(N_("add a question to a draft survey")))
    positional(sq, "id", N_("the survey's number, as `club survey list` shows it"), type=_id)
    positional(
        sq, "kind", N_("choice, rating (1-5), nps (0-10) or text"), choices=KINDS_OF_QUESTION
    )
    positional(sq, "question", N_("the question as members read it"))
    positional(sq, "option", N_("the options of a choice question"), nargs="*")
    sq.add_argument(
        "--optional", action="store_true", help=h(N_("the member may skip this question"))
    )
    survey.add_parser("list", help=h(N_("list the surveys")))
    sshow = survey.add_parser("show", help=h(N_("show a survey and its questions")))
    positional(sshow, "id", N_("the survey's number, as `club survey list` shows it"), type=_id)
    ssend = survey.add_parser("send", help=h(N_("invite the survey's members")))
    positional(ssend, "id", N_("the survey's number, as `club survey list` shows it"), type=_id)
    ssend.add_argument(
        "--channel",
        default="telegram_sms",
        choices=["telegram", "sms", "telegram_sms"],
        help=h(N_("telegram, sms, or telegram_sms (SMS for those not on Telegram)")),
    )
    sclose = survey.add_parser("close", help=h(N_("stop a survey taking answers")))
    positional(sclose, "id", N_("the survey's number, as `club survey list` shows it"), type=_id)
    sres = survey.add_parser("results", help=h(N_("a survey's results")))
    positional(sres, "id", N_("the survey's number, as `club survey list` shows it"), type=_id)
    sres.add_argument(
        "--xlsx", metavar=h(N_("PATH")), help=h(N_("also write the results as a spreadsheet"))
    )

    api = sub.add_parser("api", help=h(N_("the HTTP API for tills"))).add_subparsers(
        dest="action", required=True, metavar=h(N_("action"))
    )
    demo = api.add_parser(
        "demo", help=h(N_("play a till against the running club: join, purchase, refund"))
    )
    demo.add_argument(
        "--url",
        metavar=h(N_("URL")),
        help=h(N_("the club's web app (default: WEB_HOST and WEB_PORT)")),
    )
    demo.add_argument(
        "--key",
        metavar=h(N_("KEY")),
        help=h(N_("an API key; without one a demo key is made here and revoked at the end")),
    )
    demo.add_argument(
        "--phone",
        default="09120000000",
        metavar=h(N_("PHONE")),
        help=h(N_("the demo member's phone number")),
    )
    demo.add_argument(
        "--voucher", metavar=h(N_("CODE")), help=h(N_("a voucher of that member to use"))
    )
    sms = sub.add_parser("sms", help=h(N_("process one inbound SMS locally and print the answer")))
    positional(sms, "sender", N_("the sender's phone number"))
    positional(sms, "text", N_("the message (several words are joined)"), nargs="+")
    return parser


# What each positional argument's placeholder says in the usage line.
_PLACEHOLDERS = {
    "path": N_("PATH"),
    "phone": N_("PHONE"),
    "member": N_("MEMBER"),
    "agent": N_("AGENT"),
    "amount": N_("AMOUNT"),
    "receipt": N_("RECEIPT"),
    "reward": N_("REWARD_ID"),
    "code": N_("CODE"),
    "name": N_("NAME"),
    "cost": N_("POINTS"),
    "file": N_("FILE"),
    "sender": N_("PHONE"),
    "text": N_("TEXT"),
    "id": N_("ID"),
    "url": N_("URL"),
    "value": N_("VALUE"),
    "tier": N_("TIER"),
    "company": N_("COMPANY"),
    "multiplier": N_("MULTIPLIER"),
    "first": N_("FIRST_DAY"),
    "last": N_("LAST_DAY"),
    "percent": N_("PERCENT"),
    "options": N_("OPTION"),
    "points": N_("POINTS"),
    "deadline": N_("LAST_DAY"),
    "title": N_("TITLE"),
    "kind": N_("KIND"),
    "question": N_("QUESTION"),
    "option": N_("OPTION"),
}
KINDS_OF_QUESTION = ("choice", "rating", "nps", "text")


SANDBOX_USER = 100001


async def _chat(settings: Settings, user_id: int) -> int:
    from bot.sandbox import chat

    await open_db(settings.database_url)
    try:
        await chat(settings, user_id)
    finally:
        await close_db()
    return 0


async def _serve(args: argparse.Namespace, settings: Settings) -> int:
    """`club run` and `club chat`: long-running, unlike the one-answer commands."""
    if args.command == "chat":
        return await _chat(settings, args.user)
    if settings.bot_token is None:
        print(
            t(
                N_("No BOT_TOKEN is set: starting the sandbox chat in this terminal instead."),
                settings.default_locale,
            )
        )
        return await _chat(settings, SANDBOX_USER)
    from bot.app import run

    await run(settings)
    return 0


BUSY = N_(
    "The database stayed busy too long (the bot or another command is writing to it): "
    "try again in a moment."
)


async def _run(args: argparse.Namespace, settings: Settings) -> int:
    if args.command in ("run", "chat"):
        return await _serve(args, settings)
    name = args.command + (f" {args.action}" if getattr(args, "action", None) else "")
    handler = _commands[name]
    try:
        # No store to open: they work on the file or schema, or a club elsewhere.
        if name in ("migrate", "backup") or (name == "api demo" and args.key):
            print(await handler(args, settings))
            return 0
        await open_db(settings.database_url)
        try:
            print(await handler(args, settings))
            return 0
        finally:
            await close_db()
    except LoyaltyError as error:
        print(error_text(error, settings.default_locale), file=sys.stderr)
        return 1
    except (OperationalError, sqlite3.OperationalError) as error:
        if not is_busy(error):
            raise
        # Waited its turn (bot/sqlite_engine.py) as long as the bound allows.
        print(t(BUSY, settings.default_locale), file=sys.stderr)
        return 1


def _run_workers(settings: Settings, workers: int) -> int:
    """`club run` with several workers: checked here, then run outside any event loop (it forks)."""
    from bot.workers import refusal, serve

    reason = refusal(settings, workers)
    if reason is not None:
        print(reason, file=sys.stderr)
        return 1
    status = serve(settings, workers)
    # The workers are gone and nothing is left to close: skip the interpreter's teardown
    # of every imported module, seconds of CPU that would delay a restart.
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    settings = get_settings()
    patches.apply(settings)  # before anything imports aiogram
    args = build_parser(settings.default_locale).parse_args(argv)
    try:
        workers = getattr(args, "workers", None) or settings.web_workers
        if args.command == "run" and workers > 1:
            return _run_workers(settings, workers)
        return asyncio.run(_run(args, settings))
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
