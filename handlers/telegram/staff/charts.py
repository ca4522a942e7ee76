"""PNG charts for /report, drawn with matplotlib off-screen in the shipped Vazirmatn font."""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from handlers.format import number
from handlers.telegram.staff.report_charts import Chart

matplotlib.use("Agg")  # no display on a server; must come before any pyplot import elsewhere
FONTS = Path(__file__).resolve().parent / "fonts"
FONT_FILES = ("Vazirmatn-Regular.ttf", "Vazirmatn-Bold.ttf")
# Persian letters and digits as well as Latin: one font for both languages. Matplotlib
# (3.11 and later, through libraqm) joins the letters and lays them right to left.
for _name in FONT_FILES:
    font_manager.fontManager.addfont(str(FONTS / _name))
matplotlib.rcParams["font.family"] = "Vazirmatn"

BAR = "#3b7dd8"
LINES = ("#2e9d5b", "#d2553f")  # joined, left
MAX_DATE_LABELS = 8
MAX_BAR_LABELS = 7  # more are turned aslant so that they do not overlap


def draw(chart: Chart) -> bytes:
    """The chart as PNG bytes."""
    buffer = io.BytesIO()
    figure(chart).savefig(buffer, format="png")
    return buffer.getvalue()


def figure(chart: Chart) -> Figure:
    """The chart laid out. A Figure, not pyplot, so charts drawn at once share no state."""
    fig = Figure(figsize=(6.4, 3.6), dpi=125)
    axes = fig.add_subplot()
    if chart.timeline:
        _lines(axes, chart)
    else:
        _bars(axes, chart)
    # Whole numbers only (members, points), in the reader's digits.
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: number(int(value), chart.locale)))
    top = max((max(values, default=0) for _, values in chart.series), default=0)
    axes.set_ylim(0, max(top, 1) * 1.15)
    axes.set_title(chart.title, fontweight="bold")
    axes.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig


def _bars(axes: Axes, chart: Chart) -> None:
    labels = list(chart.labels) or ["-"]
    heights = list(chart.series[0][1]) or [0]
    axes.bar(range(len(labels)), heights, color=BAR)
    crowded = len(labels) > MAX_BAR_LABELS
    axes.set_xticks(
        range(len(labels)),
        labels,
        rotation=30 if crowded else 0,
        ha="right" if crowded else "center",
    )
    for x, height in enumerate(heights):
        axes.annotate(
            number(height, chart.locale),
            (x, height),
            ha="center",
            va="bottom",
            xytext=(0, 2),
            textcoords="offset points",
        )


def _lines(axes: Axes, chart: Chart) -> None:
    positions = range(len(chart.labels))
    for (name, values), colour in zip(chart.series, LINES, strict=False):
        axes.plot(positions, values, marker="o", markersize=3, color=colour, label=name)
    every = max(1, -(-len(chart.labels) // MAX_DATE_LABELS))  # at most a few dates under the axis
    shown = positions[::every]
    axes.set_xticks(shown, [chart.labels[n] for n in shown], rotation=30, ha="right")
    axes.legend(loc="best", frameon=False)
