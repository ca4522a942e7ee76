"""The `club` command: run the club and drive its rules from a terminal.

Every subcommand opens the store (applying migrations), does one thing, and prints one
answer in the club's default language. A refused request prints one line and exits 1.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sqlite3
import sys
from collections.abc import Awaitable, Callable
from typing import NoReturn

from tortoise.exceptions import OperationalError

from bot.db import apply_migrations, close_db, open_db
from bot.settings import Settings, get_settings
from bot.sqlite_engine import is_busy
from handlers.format import day, number
from handlers.i18n import N_, t
from handlers.texts import error_text, reason_text, tier_name
from loyalty import earning, ledger, members, rewards
from loyalty.errors import ErrorCode, LoyaltyError
from models import Member, Reward, RewardKind, Tier

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
        t(N_("Phone: {phone}"), locale, phone=member.phone),
        t(N_("Card: {card}"), locale, card=card.number),
        t(N_("Balance: {points} points"), locale, points=number(member.balance, locale)),
        t(
            N_("Tier: {tier}"),
            locale,
            tier=tier_name(tier.code, tier.name, locale) if tier else "-",
        ),
    ]
    for entry in await ledger.history(member.id, limit=5):
        lines.append(
            f"  #{entry.id} {day(entry.created_at, locale, settings.tz)} "
            f"{'' if entry.amount < 0 else '+'}{number(entry.amount, locale)} "
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

    from bot.backup import TargetInDataFolder, backup_sqlite, sqlite_path

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
    return t(N_("Backup written to {path}."), locale, path=str(target))


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


@command("earn")
async def _earn(args: argparse.Namespace, settings: Settings) -> str:
    locale = settings.default_locale
    earning.check_positive(args.amount)
    member = await members.find_member(args.member)
    result = await earning.award_purchase(
        member.id, args.amount, receipt=args.receipt, branch_id=args.branch, group_id=args.group
    )
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
    return t(N_("{points} points earned; balance {balance}; tier {tier}."), locale, **values)


@command("refund")
async def _refund(args: argparse.Namespace, settings: Settings) -> str:
    locale = settings.default_locale
    result = await earning.refund_purchase(args.receipt, args.amount, branch_id=args.branch)
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


@command("reward add")
async def _reward_add(args: argparse.Namespace, settings: Settings) -> str:
    if args.cost <= 0 or (args.stock is not None and args.stock < 0):
        raise LoyaltyError(ErrorCode.INVALID_AMOUNT, amount=args.cost)
    reward = await Reward.create(
        name=args.name.strip()[:100],
        cost=args.cost,
        stock=args.stock,
        kind=RewardKind(args.kind),
        value=args.value,
    )
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
    return "\n".join(
        t(
            N_("{id}. {name}: {cost} points"),
            locale,
            id=r.id,
            name=r.name,
            cost=number(r.cost, locale),
        )
        for r in items
    )


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
    from pathlib import Path

    from handlers.telegram.staff.importing import summary_text
    from loyalty import importing
    from loyalty.clock import utcnow

    locale = settings.default_locale
    text = await asyncio.to_thread(Path(args.file).read_text, encoding="utf-8-sig")
    now = utcnow()
    tiers = await Tier.all().values_list("code", flat=True)
    records, errors = importing.parse_csv(text, tiers, today=now.astimezone(settings.tz).date())
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


def _positive_int(text: str) -> int:
    from loyalty.text import to_ascii_digits

    try:
        return int(to_ascii_digits(text).replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(text) from None


def _at_least_one(text: str) -> int:
    value = _positive_int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} (at least 1)")
    return value


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line, like every other refusal of the command; `club -h` has the usage.
        self.exit(2, f"{self.prog}: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="club", description="A customer club on Telegram and SMS.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="apply database migrations")
    sub.add_parser("status", help="show the club's status")
    backup = sub.add_parser("backup", help="copy the SQLite database while the bot runs")
    backup.add_argument("path", help="the file to write the copy to")

    member = sub.add_parser("member", help="members").add_subparsers(dest="action", required=True)
    add = member.add_parser("add", help="add a member")
    add.add_argument("phone")
    add.add_argument("--first-name")
    add.add_argument("--last-name")
    add.add_argument("--telegram-id", type=int)
    add.add_argument("--locale", choices=["fa", "en"])
    show = member.add_parser("show", help="show a member by phone or card number")
    show.add_argument("member")

    earn = sub.add_parser("earn", help="record a purchase")
    earn.add_argument("member", help="phone or card number")
    earn.add_argument("amount", type=_positive_int)
    earn.add_argument("--receipt")
    earn.add_argument("--branch", type=int)
    earn.add_argument("--group", type=int)

    refund = sub.add_parser("refund", help="refund a purchase in full or in part")
    refund.add_argument("receipt")
    refund.add_argument("amount", type=_positive_int, nargs="?")
    refund.add_argument("--branch", type=int)

    redeem = sub.add_parser("redeem", help="redeem a reward for a member")
    redeem.add_argument("member")
    redeem.add_argument("reward", type=int)

    voucher = sub.add_parser("voucher", help="vouchers").add_subparsers(
        dest="action", required=True
    )
    use = voucher.add_parser("use", help="mark a voucher used")
    use.add_argument("code")

    reward = sub.add_parser("reward", help="the reward catalogue").add_subparsers(
        dest="action", required=True
    )
    radd = reward.add_parser("add", help="add a reward")
    radd.add_argument("name")
    radd.add_argument("cost", type=_positive_int)
    radd.add_argument("--stock", type=int)
    radd.add_argument(
        "--kind", choices=[k.value for k in RewardKind], default=RewardKind.PRODUCT.value
    )
    radd.add_argument("--value", type=int, default=0)
    reward.add_parser("list", help="list rewards on offer")

    run = sub.add_parser(
        "run", help="run the Telegram bot (the sandbox chat when no BOT_TOKEN is set)"
    )
    run.add_argument(
        "--workers",
        type=_at_least_one,
        help="webhook worker processes on WEB_PORT (default: WEB_WORKERS, 1)",
    )
    chat = sub.add_parser("chat", help="try the bot in this terminal, without Telegram")
    chat.add_argument(
        "--user", type=int, default=SANDBOX_USER, help="the Telegram user id to act as"
    )
    imports = sub.add_parser("import", help="import members from a CSV file")
    imports.add_argument(
        "file", help="CSV with phone, first_name, last_name, birthday, gender, balance, tier"
    )
    sms = sub.add_parser("sms", help="process one inbound SMS locally and print the answer")
    sms.add_argument("sender", help="the sender's phone number")
    sms.add_argument("text", nargs="+", help="the message (several words are joined)")
    return parser


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
        if name in ("migrate", "backup"):  # no store to open: they work on the file or schema
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
    args = build_parser().parse_args(argv)
    settings = get_settings()
    try:
        workers = getattr(args, "workers", None) or settings.web_workers
        if args.command == "run" and workers > 1:
            return _run_workers(settings, workers)
        return asyncio.run(_run(args, settings))
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
