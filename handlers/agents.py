"""Agents and their commission as staff and agents read them, in every door (chat, command
line), and the owner's spreadsheet of them."""

from __future__ import annotations

import io
from decimal import Decimal

from handlers.format import digits, number
from handlers.i18n import N_, t
from handlers.texts import money
from loyalty.agents import LINK_PREFIX, Brought, Figures

STAFF_LINE = N_(
    "#{id} {name}, code {code}: {percent}% for {days} days; {members} members, "
    "{purchases} purchases ({spent}); accrued {accrued}, paid {paid}, due {due}"
)
NOT_LINKED = N_(" (has not opened the invitation yet)")
SWITCHED_OFF = N_(" (switched off)")
OFF_DONE = N_(
    "Agent {name} is switched off: their code and link bring no new members; the members "
    "they brought earn them commission until their period ends."
)
TERMS_SET = N_("Terms changed, for purchases from now on:\n{line}")
TERMS_HOW = N_("Write the terms as percent=<p> days=<d>, one or both.")
CLI_TERMS_HOW = N_("Give --percent, --days or both.")
NONE = N_("No agents yet. Add one: /agents add <name> [percent] [days]")
ADDED = N_(
    "Agent added:\n{line}\nLink for new members: {link}\n"
    "SMS: JOIN {code}\nThe agent's own one-time invitation: {invite}"
)
CLI_ADDED = N_("Members join with the link t.me/<bot>?start=ag_{code} or by SMS: JOIN {code}")
PAID = N_("Paid {amount} to {name}. Still due: {due}.")
OWN_HEAD = N_(
    "{name}, your code is {code}.\nLink for new members: {link}\n"
    "By SMS they send: JOIN {code}\n"
    "Commission: {percent}% of their purchases for {days} days after they join.\n"
    "Members you brought: {members}; their purchases: {purchases} ({spent}).\n"
    "Commission accrued: {accrued}; paid: {paid}; due: {due}."
)
OWN_MEMBER = N_("{name} ({phone}): {purchases} purchases, {spent}; commission {commission}")
OWN_NONE = N_("No members have joined with your code yet.")
HEADERS = (
    N_("Number"),
    N_("Name"),
    N_("Code"),
    N_("Percent"),
    N_("Days"),
    N_("Members"),
    N_("Purchases"),
    N_("Purchases' amount"),
    N_("Accrued"),
    N_("Paid"),
    N_("Due"),
)


def percent_text(value: Decimal, locale: str) -> str:
    text = format(value.normalize(), "f")
    return digits(text.replace(".", "٫"), locale) if locale == "fa" else text


def member_link(username: str | None, code: str) -> str:
    return f"https://t.me/{username or 'bot'}?start={LINK_PREFIX}{code}"


def staff_line(figures: Figures, currency: str, locale: str) -> str:
    agent = figures.agent
    line = t(
        STAFF_LINE,
        locale,
        id=digits(str(agent.id), locale),
        name=agent.name,
        code=agent.code,
        percent=percent_text(figures.percent, locale),
        days=number(figures.days, locale),
        members=number(figures.members, locale),
        purchases=number(figures.purchases, locale),
        spent=money(figures.spent, currency, locale),
        accrued=money(figures.accrued, currency, locale),
        paid=money(figures.paid, currency, locale),
        due=money(figures.due, currency, locale),
    )
    if agent.staff_id is None and agent.invite_id is not None:  # type: ignore[attr-defined]
        line += t(NOT_LINKED, locale)
    if not agent.active:
        line += t(SWITCHED_OFF, locale)
    return line


def paid_text(name: str, amount: int, due: int, currency: str, locale: str) -> str:
    return t(
        PAID,
        locale,
        amount=money(amount, currency, locale),
        name=name,
        due=money(due, currency, locale),
    )


def _masked(phone: str | None, locale: str) -> str:
    return digits("…" + phone[-4:], locale) if phone else "-"


def _name(brought: Brought) -> str:
    return " ".join((brought.member.first_name, brought.member.last_name)).strip() or "-"


def own_text(
    figures: Figures, members: list[Brought], link: str, currency: str, locale: str
) -> str:
    """What /agent shows an agent: their code and link, figures, and the members."""
    agent = figures.agent
    head = t(
        OWN_HEAD,
        locale,
        name=agent.name,
        code=agent.code,
        link=link,
        percent=percent_text(figures.percent, locale),
        days=number(figures.days, locale),
        members=number(figures.members, locale),
        purchases=number(figures.purchases, locale),
        spent=money(figures.spent, currency, locale),
        accrued=money(figures.accrued, currency, locale),
        paid=money(figures.paid, currency, locale),
        due=money(figures.due, currency, locale),
    )
    lines = [
        t(
            OWN_MEMBER,
            locale,
            name=_name(b),
            phone=_masked(b.member.phone, locale),
            purchases=number(b.purchases, locale),
            spent=money(b.spent, currency, locale),
            commission=money(b.commission, currency, locale),
        )
        for b in members
    ]
    return head + "\n\n" + ("\n".join(lines) or t(OWN_NONE, locale))


def agents_xlsx(rows: list[Figures], locale: str) -> bytes:
    """The agents' figures as a spreadsheet in the reader's language."""
    from openpyxl import Workbook  # large once imported: only when an export is asked for

    book = Workbook(write_only=True)
    sheet = book.create_sheet(t(N_("Agents"), locale))
    sheet.sheet_view.rightToLeft = locale == "fa"
    sheet.freeze_panes = "A2"
    sheet.append([t(h, locale) for h in HEADERS])
    for f in rows:
        sheet.append(
            [
                f.agent.id,
                f.agent.name,
                f.agent.code,
                float(f.percent),
                f.days,
                f.members,
                f.purchases,
                f.spent,
                f.accrued,
                f.paid,
                f.due,
            ]
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
