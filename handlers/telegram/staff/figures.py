"""/report with charts, /export as a spreadsheet, /audit."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Callable
from datetime import date, datetime, timedelta

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, Message

from handlers.audit_text import audit_line
from handlers.charity import report_line
from handlers.format import day, listing, moment, number
from handlers.i18n import N_, t
from handlers.partners import report_line as partner_line
from handlers.promo_texts import batch_line, gives_text, promo_line
from handlers.reward_values import outstanding_text
from handlers.telegram.staff.common import say
from handlers.telegram.staff.report_charts import LABELS, report_charts
from handlers.telegram.workflow import Settings
from handlers.texts import SEGMENT_NAMES, branch_name, money, tier_name
from loyalty import charity, giftcards, partners, reward_values, rfm
from loyalty.numbers import parse_int
from loyalty.reports import MemberRow, Report
from loyalty.rules import get_rules
from loyalty.staff import figures, promo_codes
from loyalty.staff.access import sees_all_branches
from loyalty.staff.permissions import Action, allowed
from models import CustomerType, Gender, Staff

DEFAULT_DAYS = 30


def _breakdown(values: dict[str, int], locale: str, name: Callable[[str], str]) -> str:
    if not values:
        return "-"
    return listing((f"{name(k)} {number(v, locale)}" for k, v in values.items()), locale)


def report_text(report: Report, days: int, locale: str, settings: Settings) -> str:
    n = lambda value: number(value, locale)  # noqa: E731

    def label(key: str) -> str:
        return t(LABELS[key], locale) if key in LABELS else key

    def tier(code: str) -> str:
        return tier_name(code, report.tiers.get(code), locale)

    last_day = report.end - timedelta(microseconds=1)
    lines = [
        t(
            N_("Report for {days} days, {start} to {end}"),
            locale,
            days=n(days),
            start=day(report.start, locale, settings.tz),
            end=day(last_day, locale, settings.tz),
        ),
        t(
            N_("Members: {total}; new: {new}; left: {left}; unreachable on Telegram: {churned}"),
            locale,
            total=n(report.members_total),
            new=n(report.members_new),
            left=n(report.members_left),
            churned=n(report.members_churned),
        ),
        t(N_("By tier: {values}"), locale, values=_breakdown(report.by_tier, locale, tier)),
        t(N_("By gender: {values}"), locale, values=_breakdown(report.by_gender, locale, label)),
        t(N_("By age: {values}"), locale, values=_breakdown(report.by_age, locale, label)),
        t(
            N_("By customer type: {values}"),
            locale,
            values=_breakdown(report.by_customer_type, locale, label),
        ),
        t(
            N_("By branch: {values}"),
            locale,
            values=listing(
                (f"{branch_name(k, locale)} {n(v)}" for k, v in report.by_branch.items()), locale
            )
            or "-",
        ),
        t(
            N_("Points issued: {issued}; redeemed: {redeemed}; expired: {expired}"),
            locale,
            issued=n(report.points_issued),
            redeemed=n(report.points_redeemed),
            expired=n(report.points_expired),
        ),
        t(
            N_("Most redeemed rewards: {values}"),
            locale,
            values=listing((f"{k} {n(v)}" for k, v in report.top_rewards), locale) or "-",
        ),
        t(
            N_("Purchases by branch: {values}"),
            locale,
            values=listing(
                (
                    f"{branch_name(k, locale)} {n(c)} ({n(a)})"
                    for k, (c, a) in report.purchases_by_branch.items()
                ),
                locale,
            )
            or "-",
        ),
    ]
    return "\n".join(lines)


def segments_text(counts: dict[str, int], locale: str) -> str:
    values = listing(
        (
            f"{t(SEGMENT_NAMES[name], locale)} {number(count, locale)}"
            for name, count in counts.items()
        ),
        locale,
    )
    return t(N_("Customer segments: {values}"), locale, values=values)


def gift_cards_text(figures: giftcards.Figures, locale: str) -> str:
    def m(value: int) -> str:
        return money(value, figures.currency, locale)

    return t(
        N_(
            "Gift cards: {outstanding} outstanding (owed to holders); in the period sold "
            "{sold}, spent {spent}, expired {expired}"
        ),
        locale,
        outstanding=m(figures.outstanding),
        sold=m(figures.sold),
        spent=m(figures.spent),
        expired=m(figures.expired),
    )


async def charity_text(start: datetime, end: datetime, locale: str) -> str:
    """Points given to each cause in the period, with their money value (the club pays it);
    nothing when no member gave, so a club without causes reads no charity line."""
    given = await charity.given_between(start, end)
    if not given:
        return ""
    currency = (await get_rules()).currency
    lines = [report_line(standing, currency, locale) for standing in given]
    return "\n" + "\n".join([t(N_("Charity in the period:"), locale), *lines])


async def promos_text(staff: Staff, locale: str) -> str:
    """The promo codes and the batches sent with campaigns, with their figures since they
    were made; nothing for a club without codes."""
    text = ""
    codes = await promo_codes.promo_list(staff)
    if codes:
        lines = [promo_line(code, locale) for code in codes]
        text += "\n" + "\n".join([t(N_("Promo codes:"), locale), *lines])
    batches = await promo_codes.batch_list(staff)
    if batches:
        lines = [batch_line(figures_, locale) for figures_ in batches]
        text += "\n" + "\n".join([t(N_("Promo batches:"), locale), *lines])
    return text


async def partners_text(start: datetime, end: datetime, locale: str) -> str:
    """Per partner, the codes given, used and the points spent in the period; nothing for
    a club without partners."""
    shown = await partners.figures(start=start, end=end)
    if not shown:
        return ""
    lines = [partner_line(f, locale) for f in shown]
    return "\n" + "\n".join([t(N_("Partners in the period:"), locale), *lines])


async def on_report(
    message: Message,
    command: CommandObject,
    staff: Staff,
    locale: str,
    settings: Settings,
    now: datetime,
) -> None:
    args = (command.args or "").split()
    if len(args) > 1:
        await say(message, t(N_("Usage: /report [days]"), locale))
        return
    days = parse_int(args[0]) if args else DEFAULT_DAYS
    report = await figures.report(staff, days, tz=settings.tz, now=now)
    text = report_text(report, days, locale, settings)
    branch_id = None if sees_all_branches(staff) else staff.branch_id
    text += "\n" + outstanding_text(await reward_values.outstanding(branch_id=branch_id), locale)
    if sees_all_branches(staff):  # segments are scored over the whole club
        text += "\n" + segments_text(await rfm.segment_counts(now), locale)
        # Gift cards are the club's money owed, not a branch's.
        text += "\n" + gift_cards_text(await giftcards.figures(report.start, report.end), locale)
        text += await charity_text(report.start, report.end, locale)
        text += await partners_text(report.start, report.end, locale)
    if allowed(staff, Action.PROMOS):
        text += await promos_text(staff, locale)
    await say(message, text)
    # matplotlib costs 27 MB resident once imported: only when a report is asked for.
    from handlers.telegram.staff.charts import draw

    for chart in report_charts(report, locale):
        # In a thread: six charts take a good part of a second, and others are waiting.
        png = await asyncio.to_thread(draw, chart)
        await message.answer_photo(BufferedInputFile(png, filename=chart.filename))


HEADERS = (
    N_("Member id"),
    N_("Phone"),
    N_("First name"),
    N_("Last name"),
    N_("Card"),
    N_("Birthday"),
    N_("Gender"),
    N_("Customer type"),
    N_("Branch"),
    N_("Tier"),
    N_("Balance"),
    N_("Joined"),
)
GENDER_CELLS = {Gender.FEMALE: N_("Woman"), Gender.MALE: N_("Man"), Gender.UNSPECIFIED: ""}
TYPE_CELLS = {CustomerType.INDIVIDUAL: N_("Individual"), CustomerType.COMPANY: N_("Company")}


PROMO_HEADERS = (
    N_("Code"),
    N_("Gives"),
    N_("Codes given"),
    N_("Uses"),
    N_("Discount given"),
    N_("Sales"),
    N_("Bonus points"),
    N_("Withdrawn"),
)


async def promo_rows(staff: Staff, locale: str) -> list[list[object]]:
    """The promo codes and batches with their figures, as the export's second sheet: one
    row a code, one a batch (its codes counted together)."""
    withdrawn = t(N_("Withdrawn"), locale)
    rows: list[list[object]] = [
        [
            code.code,
            gives_text(code, locale),
            None,
            code.uses,
            code.discount_total,
            code.sales_total,
            code.bonus_total,
            None if code.active else withdrawn,
        ]
        for code in await promo_codes.promo_list(staff)
    ]
    rows += [
        [
            f"{f.batch.prefix}-…",
            gives_text(f.batch, locale),
            f.given,
            f.used,
            f.discount,
            f.sales,
            f.bonus,
            None if f.batch.active else withdrawn,
        ]
        for f in await promo_codes.batch_list(staff)
    ]
    return rows


async def members_xlsx(
    pages: AsyncIterator[list[MemberRow]],
    locale: str,
    settings: Settings,
    promos: list[list[object]] | None = None,
) -> tuple[bytes, int]:
    """The members as a spreadsheet in the reader's language, and how many rows it has.

    Written a page at a time to a write-only workbook (rows go straight to its file, not
    to cell objects), each page in a thread, so a club of 500,000 neither fills memory
    nor stops the bot from answering others while the file is made.
    """
    from openpyxl import Workbook  # 18 MB resident once imported: only when an export is asked for

    book = Workbook(write_only=True)
    sheet = book.create_sheet(t(N_("Members"), locale))
    # Before the first row: a write-only sheet writes its view ahead of the rows.
    sheet.sheet_view.rightToLeft = locale == "fa"
    sheet.freeze_panes = "A2"
    sheet.append([t(h, locale) for h in HEADERS])
    genders = {key: t(name, locale) if name else "" for key, name in GENDER_CELLS.items()}
    types = {key: t(name, locale) for key, name in TYPE_CELLS.items()}
    tiers: dict[tuple[str, str | None], str] = {}
    days: dict[date, str] = {}  # a Jalali date costs 20 µs; a club has a few thousand distinct

    def date_cell(value: date) -> str:
        if value not in days:
            days[value] = day(value, locale)
        return days[value]

    def write(page: list[MemberRow]) -> None:
        for r in page:
            if (r.tier, r.tier_name) not in tiers:
                tiers[r.tier, r.tier_name] = (
                    tier_name(r.tier, r.tier_name, locale) if r.tier else ""
                )
            # Numbers stay numbers; dates are text as the reader writes them (Jalali with
            # Persian digits, or ISO), zero-padded so that they sort as text. Nothing, not "",
            # where there is no value: a write-only sheet skips such a cell altogether.
            sheet.append(
                [
                    r.id,
                    r.phone or None,
                    r.first_name or None,
                    r.last_name or None,
                    r.card or None,
                    date_cell(r.birth_date) if r.birth_date else None,
                    genders.get(r.gender) or None,
                    types.get(r.customer_type) or None,
                    branch_name(r.branch, locale) if r.branch else None,
                    tiers[r.tier, r.tier_name] or None,
                    r.balance,
                    date_cell(r.joined_at.astimezone(settings.tz).date()),
                ]
            )

    count = 0
    try:
        async for page in pages:
            await asyncio.to_thread(write, page)
            count += len(page)
    except BaseException:
        sheet.close()  # its temporary file, at once
        raise
    if promos:
        codes = book.create_sheet(t(N_("Promo codes"), locale))
        codes.sheet_view.rightToLeft = locale == "fa"
        codes.append([t(h, locale) for h in PROMO_HEADERS])
        for row in promos:
            codes.append(row)
    buffer = io.BytesIO()
    await asyncio.to_thread(book.save, buffer)
    return buffer.getvalue(), count


async def on_export(
    message: Message, staff: Staff, locale: str, settings: Settings, now: datetime
) -> None:
    promos = await promo_rows(staff, locale) if allowed(staff, Action.PROMOS) else None
    data, count = await members_xlsx(figures.export_pages(staff, now=now), locale, settings, promos)
    await message.answer_document(
        BufferedInputFile(data, filename="members.xlsx"),
        caption=t(N_("Members and balances: {count} rows."), locale, count=number(count, locale)),
    )


async def on_audit(message: Message, staff: Staff, locale: str, settings: Settings) -> None:
    entries = await figures.timeline(staff)
    if not entries:
        await say(message, t(N_("Nothing recorded yet."), locale))
        return
    lines = [
        audit_line(entry, moment(entry.created_at, locale, settings.tz), locale)
        for entry in reversed(entries)
    ]
    await say(message, "\n".join(lines)[-4000:])


def router() -> Router:
    commands = Router(name="staff.figures")
    commands.message.register(on_report, Command("report"), flags={"action": Action.REPORT})
    commands.message.register(on_export, Command("export"), flags={"action": Action.EXPORT})
    commands.message.register(on_audit, Command("audit"), flags={"action": Action.AUDIT})
    return commands
