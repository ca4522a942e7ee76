"""The charts of /report drawn as inline SVG for the owner's panel: bars, or lines over
time, with every figure in the reader's digits and right to left in Persian.

Only presentation attributes (fill=, stroke=, font-size=): the pages' CSP forbids inline
styles. Each bar and point carries a <title> with its label and value, which a browser
shows on hover and a test reads.
"""

from __future__ import annotations

import math

from markupsafe import Markup, escape

from handlers.format import number
from handlers.telegram.staff.report_charts import Chart

WIDTH, HEIGHT = 480, 300
TOP, BOTTOM, SIDE, AXIS = 36, 72, 12, 44  # margins; AXIS: the side the scale's numbers take
BAR = "#3b7dd8"
LINES = ("#2e9d5b", "#d2553f", "#3b7dd8")
GRID = "#8c96a3"
TICKS = 4
MAX_LABELS = 8  # dates under a timeline: every other one when there are more


def _scale(top: int) -> int:
    """A round step for TICKS lines of grid that reach above `top`."""
    raw = max(TICKS, top) / TICKS  # whole numbers: a step of at least 1
    magnitude = 10 ** math.floor(math.log10(raw))
    return int(next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw))


def _text(x: float, y: float, text: str, *, anchor: str = "middle", size: int = 14) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" '
        f'fill="currentColor">{escape(text)}</text>'
    )


def svg(chart: Chart) -> Markup:
    """The chart as an <svg> element, to be put in a page as it is."""
    rtl = chart.locale == "fa"
    n = max(1, len(chart.labels))
    plot_left = SIDE if rtl else AXIS
    plot_right = WIDTH - (AXIS if rtl else SIDE)
    plot_bottom = HEIGHT - BOTTOM
    slot = (plot_right - plot_left) / n
    top = max((max(values, default=0) for _, values in chart.series), default=0)
    step = _scale(top)
    peak = step * TICKS

    def x_of(i: int) -> float:  # the first label on the reader's starting side
        return plot_left + slot * ((n - 1 - i) if rtl else i) + slot / 2

    def y_of(value: int) -> float:
        return plot_bottom - (plot_bottom - TOP) * value / peak

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'class="chart" role="img" direction="{"rtl" if rtl else "ltr"}">',
        f"<title>{escape(chart.title)}</title>",
    ]
    for k in range(TICKS + 1):
        y = y_of(step * k)
        parts.append(
            f'<line x1="{plot_left}" x2="{plot_right}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{GRID}" stroke-opacity="0.35" stroke-width="1"/>'
        )
        at = plot_right + 6 if rtl else plot_left - 6
        # "end": away from the plot on either side (in an rtl <svg> the end is the left).
        parts.append(_text(at, y + 4, number(step * k, chart.locale), anchor="end"))
    slant = "start" if rtl else "end"  # a slanted label hangs down from its place
    every = 1 if not chart.timeline else max(1, -(-n // MAX_LABELS))
    for i, label in enumerate(chart.labels):
        if i % every == 0:
            x, y = x_of(i), plot_bottom + 18
            parts.append(
                f'<g transform="rotate(-30 {x:.1f} {y:.1f})">{_text(x, y, label, anchor=slant)}</g>'
                if chart.timeline or n > 6
                else _text(x, y, label)
            )
    parts += _lines(chart, x_of, y_of) if chart.timeline else _bars(chart, x_of, y_of, slot)
    parts.append("</svg>")
    return Markup("".join(parts))


def _bars(chart: Chart, x_of, y_of, slot: float) -> list[str]:  # type: ignore[no-untyped-def]
    width = min(48.0, slot * 0.7)
    parts = []
    values = chart.series[0][1] if chart.series else ()
    for i, (label, value) in enumerate(zip(chart.labels, values, strict=True)):
        x, y = x_of(i), y_of(value)
        shown = number(value, chart.locale)
        parts.append(
            f'<rect class="bar" x="{x - width / 2:.1f}" y="{y:.1f}" width="{width:.1f}" '
            f'height="{y_of(0) - y:.1f}" fill="{BAR}">'
            f"<title>{escape(label)}: {shown}</title></rect>"
        )
        parts.append(_text(x, y - 5, shown))
    return parts


def _lines(chart: Chart, x_of, y_of) -> list[str]:  # type: ignore[no-untyped-def]
    parts = []
    for s, ((name, values), colour) in enumerate(zip(chart.series, LINES, strict=False)):
        points = " ".join(f"{x_of(i):.1f},{y_of(v):.1f}" for i, v in enumerate(values))
        parts.append(
            f'<polyline class="series" points="{points}" fill="none" stroke="{colour}" '
            f'stroke-width="2"/>'
        )
        for i, value in enumerate(values):
            parts.append(
                f'<circle class="point" cx="{x_of(i):.1f}" cy="{y_of(value):.1f}" r="3" '
                f'fill="{colour}"><title>{escape(name)} {escape(chart.labels[i])}: '
                f"{number(value, chart.locale)}</title></circle>"
            )
        # The legend, along the top, from the reader's starting side.
        x = WIDTH - SIDE - 104 * s if chart.locale == "fa" else SIDE + 104 * s
        box = x - 12 if chart.locale == "fa" else x
        parts.append(f'<rect x="{box}" y="8" width="12" height="12" fill="{colour}"/>')
        text_x = box - 6 if chart.locale == "fa" else box + 18
        parts.append(_text(text_x, 19, name, anchor="start"))
    return parts
