"""PNG charts for /report, drawn with matplotlib off-screen."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")  # no display on a server; must come before any pyplot import elsewhere

from matplotlib.figure import Figure  # noqa: E402


def bar_chart(title: str, values: dict[str, int]) -> bytes:
    """A bar chart as PNG bytes. A Figure, not pyplot, so concurrent requests share no state."""
    figure = Figure(figsize=(6, 3.5), dpi=100)
    axes = figure.add_subplot()
    labels = list(values) or ["-"]
    heights = list(values.values()) or [0]
    axes.bar(range(len(labels)), heights, color="#3b7dd8")
    axes.set_xticks(range(len(labels)), labels, rotation=20, ha="right")
    axes.set_title(title)
    for x, height in enumerate(heights):
        axes.annotate(str(height), (x, height), ha="center", va="bottom")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
