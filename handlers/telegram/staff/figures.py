"""/report with charts, /export as a spreadsheet, /audit."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, Message

from bot.settings import Settings
from handlers.format import day, moment, number
from handlers.i18n import N_, t
from handlers.telegram.staff.common import parse_int, say
from handlers.texts import SEGMENT_NAMES, tier_name
from loyalty import staff as staff_rules
from loyalty import rfm
from loyalty.reports import MemberRow, Report
from models import Staff, StaffRole

router = Router(name="staff.figures")

LABELS = {
    "male": N_("men"), "female": N_("women"), "unspecified": N_("not given"),
    "individual": N_("individuals"), "company": N_("companies"),
    "under_18": N_("under 18"), "18_24": N_("18 to 24"), "25_34": N_("25 to 34"), "35_44": N_("35 to 44"),
    "45_54": N_("45 to 54"), "55_plus": N_("55 and over"), "unknown": N_("unknown age"),
}
DEFAULT_DAYS = 30


def _label(key: str, locale: str) -> str:
    return t(LABELS[key], locale) if key in LABELS else tier_name(key, None, locale)


def _breakdown(values: dict[str, int], locale: str, *, tiers: bool = False) -> str:
    if not values:
        return "-"
    name = (lambda k: tier_name(k, None, locale)) if tiers else (lambda k: _label(k, locale))
    return ", ".join(f"{name(k)} {number(v, locale)}" for k, v in values.items())


def report_text(report: Report, days: int, locale: str, settings: Settings) -> str:
    n = lambda value: number(value, locale)  # noqa: E731
    last_day = report.end - timedelta(microseconds=1)
    lines = [
        t(N_("Report for {days} days, {start} to {end}"), locale, days=n(days),
          start=day(report.start, locale, settings.tz), end=day(last_day, locale, settings.tz)),
        t(N_("Members: {total}; new: {new}; unreachable on Telegram: {churned}"), locale,
          total=n(report.members_total), new=n(report.members_new), churned=n(report.members_churned)),
        t(N_("By tier: {values}"), locale, values=_breakdown(report.by_tier, locale, tiers=True)),
        t(N_("By gender: {values}"), locale, values=_breakdown(report.by_gender, locale)),
        t(N_("By age: {values}"), locale, values=_breakdown(report.by_age, locale)),
        t(N_("By customer type: {values}"), locale, values=_breakdown(report.by_customer_type, locale)),
        t(N_("By branch: {values}"), locale,
          values=", ".join(f"{k} {n(v)}" for k, v in report.by_branch.items()) or "-"),
        t(N_("Points issued: {issued}; redeemed: {redeemed}; expired: {expired}"), locale,
          issued=n(report.points_issued), redeemed=n(report.points_redeemed), expired=n(report.points_expired)),
        t(N_("Most redeemed rewards: {values}"), locale,
          values=", ".join(f"{k} {n(v)}" for k, v in report.top_rewards) or "-"),
        t(N_("Purchases by branch: {values}"), locale,
          values=", ".join(f"{k} {n(c)} ({n(a)})" for k, (c, a) in report.purchases_by_branch.items()) or "-"),
    ]
    return "\n".join(lines)


def report_charts(report: Report) -> list[tuple[str, bytes]]:
    # matplotlib costs 27 MB resident once imported: only when a report is asked for.
    from handlers.telegram.staff.charts import bar_chart

    # Chart text is English: matplotlib draws Persian letters unjoined and left to right.
    en = "en"
    return [
        ("members_by_tier.png", bar_chart(t(N_("Members by tier"), en),
                                          {tier_name(k, None, en): v for k, v in report.by_tier.items()})),
        ("points.png", bar_chart(t(N_("Points"), en), {
            t(N_("issued"), en): report.points_issued, t(N_("redeemed"), en): report.points_redeemed,
            t(N_("expired"), en): report.points_expired})),
        ("purchases_by_branch.png", bar_chart(t(N_("Purchases by branch"), en),
                                              {k: c for k, (c, _) in report.purchases_by_branch.items()})),
    ]


def segments_text(counts: dict[str, int], locale: str) -> str:
    values = ", ".join(f"{t(SEGMENT_NAMES[name], locale)} {number(count, locale)}" for name, count in counts.items())
    return t(N_("Customer segments: {values}"), locale, values=values)


@router.message(Command("report"))
async def on_report(message: Message, command: CommandObject, staff: Staff, locale: str, settings: Settings,
                    now: datetime) -> None:
    args = (command.args or "").split()
    if len(args) > 1:
        await say(message, t(N_("Usage: /report [days]"), locale))
        return
    days = parse_int(args[0]) if args else DEFAULT_DAYS
    report = await staff_rules.report(staff, days, tz=settings.tz, now=now)
    text = report_text(report, days, locale, settings)
    if staff_rules.sees_all_branches(staff):  # segments are scored over the whole club
        text += "\n" + segments_text(await rfm.segment_counts(now), locale)
    await say(message, text)
    for name, png in report_charts(report):
        await message.answer_photo(BufferedInputFile(png, filename=name))


HEADERS = (N_("Member id"), N_("Phone"), N_("First name"), N_("Last name"), N_("Card"), N_("Tier"),
           N_("Balance"), N_("Branch"), N_("Joined"))


async def members_xlsx(pages: AsyncIterator[list[MemberRow]], locale: str, settings: Settings) -> tuple[bytes, int]:
    """The members as a spreadsheet, and how many rows it has.

    Written a page at a time to a write-only workbook (rows go straight to its file, not
    to cell objects), each page in a thread, so a club of 500,000 neither fills memory
    nor stops the bot from answering others while the file is made.
    """
    from openpyxl import Workbook  # 18 MB resident once imported: only when an export is asked for

    book = Workbook(write_only=True)
    sheet = book.create_sheet("members")
    sheet.append([t(h, locale) for h in HEADERS])

    def write(page: list[MemberRow]) -> None:
        for r in page:
            # Numbers stay numbers and dates stay Gregorian ISO so a spreadsheet can sort them.
            sheet.append([r.id, r.phone, r.first_name, r.last_name, r.card,
                          tier_name(r.tier, None, locale) if r.tier else "", r.balance, r.branch,
                          r.joined_at.astimezone(settings.tz).date().isoformat()])

    count = 0
    try:
        async for page in pages:
            await asyncio.to_thread(write, page)
            count += len(page)
    except BaseException:
        sheet.close()  # its temporary file, at once
        raise
    buffer = io.BytesIO()
    await asyncio.to_thread(book.save, buffer)
    return buffer.getvalue(), count


@router.message(Command("export"))
async def on_export(message: Message, staff: Staff, locale: str, settings: Settings, now: datetime) -> None:
    data, count = await members_xlsx(staff_rules.export_pages(staff, now=now), locale, settings)
    await message.answer_document(
        BufferedInputFile(data, filename="members.xlsx"),
        caption=t(N_("Members and balances: {count} rows."), locale, count=number(count, locale)),
    )


@router.message(Command("audit"))
async def on_audit(message: Message, staff: Staff, locale: str, settings: Settings) -> None:
    staff_rules.require(staff, StaffRole.OWNER)
    entries = await staff_rules.timeline(staff)
    if not entries:
        await say(message, t(N_("Nothing recorded yet."), locale))
        return
    lines = []
    for entry in reversed(entries):
        who = (entry.staff.name or str(entry.staff.telegram_id)) if entry.staff else entry.actor or "-"
        details = " ".join(f"{k}={v}" for k, v in entry.details.items() if v is not None)
        lines.append(f"{moment(entry.created_at, locale, settings.tz)} {who}: {entry.action} {details}".rstrip())
    await say(message, "\n".join(lines)[-4000:])
