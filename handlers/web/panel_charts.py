"""The dashboard's charts as data, from the panel's figures: the groups of /report's charts
(handlers/telegram/staff/report_charts.py) and the weeks, one point a week."""

from __future__ import annotations

from handlers.format import day
from handlers.i18n import N_, t
from handlers.telegram.staff.report_charts import Chart, report_charts
from handlers.texts import branch_name
from loyalty.staff.panel import Dashboard

# The charts /report draws that the dashboard shows as they are, by their file name.
FROM_REPORT = {
    "members_by_gender.png": "gender",
    "members_by_age.png": "age",
    "members_by_tier.png": "tier",
    "purchases_by_branch.png": "purchases",
}


def dashboard_charts(figures: Dashboard, locale: str) -> list[tuple[str, Chart]]:
    """(an id for the page, the chart), in the order they are shown."""
    weeks = figures.weeks
    periods = figures.report.timeline
    labels = tuple(day(w.start, locale) for w in weeks)
    members = Chart(
        "members",
        t(N_("Members per week"), locale),
        labels,
        (
            (t(N_("joined"), locale), tuple(p.joined for p in periods)),
            (t(N_("left"), locale), tuple(p.left for p in periods)),
            (t(N_("active"), locale), tuple(w.active for w in weeks)),
        ),
        locale,
        timeline=True,
    )
    points = Chart(
        "points",
        t(N_("Points per week"), locale),
        labels,
        (
            (t(N_("issued"), locale), tuple(w.issued for w in weeks)),
            (t(N_("redeemed"), locale), tuple(w.redeemed for w in weeks)),
            (t(N_("expired"), locale), tuple(w.expired for w in weeks)),
        ),
        locale,
        timeline=True,
    )
    by_branch = {
        branch_name(name, locale): n for name, n in sorted(figures.report.by_branch.items())
    }
    branches = Chart(
        "branches",
        t(N_("Members by branch"), locale),
        tuple(by_branch),
        (("", tuple(by_branch.values())),),
        locale,
    )
    drawn = {
        FROM_REPORT[c.filename]: c
        for c in report_charts(figures.report, locale)
        if c.filename in FROM_REPORT
    }
    return [
        ("members", members),
        ("points", points),
        ("gender", drawn["gender"]),
        ("age", drawn["age"]),
        ("tier", drawn["tier"]),
        ("branches", branches),
        ("purchases", drawn["purchases"]),
    ]
