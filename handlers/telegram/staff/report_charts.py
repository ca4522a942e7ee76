"""The charts of /report as data: every title, label and value in the reader's language.

Kept apart from the drawing (charts.py, which needs matplotlib) so that what a chart says
can be read, and tested, without drawing it.
"""

from __future__ import annotations

from dataclasses import dataclass

from handlers.format import day
from handlers.i18n import N_, t
from handlers.texts import branch_name, tier_name
from loyalty.reports import AGE_GROUPS, Report

# The names of the report's groups (loyalty/reports.py), for its text and its charts.
LABELS = {
    "male": N_("men"),
    "female": N_("women"),
    "unspecified": N_("not given"),
    "individual": N_("individuals"),
    "company": N_("companies"),
    "under_18": N_("under 18"),
    "18_24": N_("18 to 24"),
    "25_34": N_("25 to 34"),
    "35_44": N_("35 to 44"),
    "45_54": N_("45 to 54"),
    "55_plus": N_("55 and over"),
    "unknown": N_("unknown age"),
}
GENDERS = ("female", "male", "unspecified")
AGES = (*(name for _, _, name in AGE_GROUPS), "unknown")  # youngest first


@dataclass(frozen=True)
class Chart:
    """One chart: bars (one series) or lines over time (one or more named series)."""

    filename: str
    title: str
    labels: tuple[str, ...]  # under the bars, or the first day of each period
    series: tuple[tuple[str, tuple[int, ...]], ...]  # (name in the legend, one value per label)
    locale: str
    timeline: bool = False


def _bars(filename: str, title: str, values: dict[str, int], locale: str) -> Chart:
    return Chart(filename, t(title, locale), tuple(values), (("", tuple(values.values())),), locale)


def report_charts(report: Report, locale: str) -> list[Chart]:
    """The charts of a report, in the order they are sent."""
    periods = report.timeline
    # Every tier, lowest first, then members without one (if any).
    names = report.tiers | {code: None for code in report.by_tier if code not in report.tiers}
    tiers = {
        tier_name(code, name, locale): report.by_tier.get(code, 0) for code, name in names.items()
    }
    return [
        Chart(
            "joined_and_left.png",
            t(N_("Members joined and left"), locale),
            tuple(day(p.start, locale) for p in periods),
            (
                (t(N_("joined"), locale), tuple(p.joined for p in periods)),
                (t(N_("left"), locale), tuple(p.left for p in periods)),
            ),
            locale,
            timeline=True,
        ),
        _bars(
            "members_by_gender.png",
            N_("Members by gender"),
            {t(LABELS[key], locale): report.by_gender.get(key, 0) for key in GENDERS},
            locale,
        ),
        _bars(
            "members_by_age.png",
            N_("Members by age"),
            {t(LABELS[key], locale): report.by_age.get(key, 0) for key in AGES},
            locale,
        ),
        _bars("members_by_tier.png", N_("Members by tier"), tiers, locale),
        _bars(
            "points.png",
            N_("Points"),
            {
                t(N_("issued"), locale): report.points_issued,
                t(N_("redeemed"), locale): report.points_redeemed,
                t(N_("expired"), locale): report.points_expired,
            },
            locale,
        ),
        _bars(
            "purchases_by_branch.png",
            N_("Purchases by branch"),
            {
                branch_name(name, locale): count
                for name, (count, _) in report.purchases_by_branch.items()
            },
            locale,
        ),
    ]
