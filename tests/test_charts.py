"""The charts of /report: Persian drawn joined and right to left, an empty club drawn too."""

from __future__ import annotations

from matplotlib import _text_helpers
from matplotlib.font_manager import get_font

from handlers.telegram.staff import charts
from handlers.telegram.staff.report_charts import Chart
from tests.staff_harness import OWNER, harness


def test_persian_is_shaped_and_laid_right_to_left_in_the_shipped_font() -> None:
    font = get_font(str(charts.FONTS / "Vazirmatn-Regular.ttf"))
    font.set_size(12, 72)
    glyphs = list(_text_helpers.layout("مردان", font))  # "men"
    assert len(glyphs) == 5
    assert [g.x for g in glyphs] == sorted(g.x for g in glyphs)  # in the order they are drawn
    # Left to right on the page: the last letter first (noon, alone after an alef) and the
    # first letter last, meem in its joining form rather than the one standing alone.
    assert glyphs[0].glyph_index == font.get_char_index(ord("ن"))
    assert glyphs[-1].glyph_index != font.get_char_index(ord("م"))
    assert (
        font.get_glyph_name(glyphs[-1].glyph_index) == "uniFEE3"
    )  # ARABIC LETTER MEEM INITIAL FORM


async def test_an_empty_club_gets_every_chart(db: str) -> None:
    async with harness() as h:
        before = len(h.api.sent_to(OWNER))
        await h.send(OWNER, "/report 1", language="fa")
        sent = h.api.sent_to(OWNER)[before:]
        photos = [h.api.file_bytes(m["photo"][-1]["file_id"]) for m in sent if "photo" in m]
        assert len(sent) == 7 and len(photos) == 6
        assert all(p.startswith(b"\x89PNG") for p in photos)
        assert h.api.rejected == []


def _drawn(chart: Chart) -> tuple[str, list[str], list[str], list[str]]:
    """The title, the labels under the axis, the numbers beside it and the legend, as drawn."""
    figure = charts.figure(chart)
    figure.canvas.draw()
    axes = figure.axes[0]
    low, high = axes.get_ylim()
    numbers = [t.get_text() for t in axes.get_yticklabels() if low <= t.get_position()[1] <= high]
    legend = axes.get_legend()
    return (
        axes.get_title(),
        [t.get_text() for t in axes.get_xticklabels()],
        numbers,
        [t.get_text() for t in legend.get_texts()] if legend else [],
    )


def test_small_counts_get_whole_numbers_in_the_reader_s_digits() -> None:
    chart = Chart(
        "members_by_gender.png",
        "اعضا بر پایه جنسیت",
        ("زنان", "مردان", "نامشخص"),
        (("", (1, 0, 1)),),
        "fa",
    )
    assert _drawn(chart) == ("اعضا بر پایه جنسیت", ["زنان", "مردان", "نامشخص"], ["۰", "۱"], [])
    many = Chart(
        "points.png", "Points", ("issued", "redeemed", "expired"), (("", (2660, 300, 5)),), "en"
    )
    numbers = _drawn(many)[2]
    assert numbers[0] == "0" and all(n.replace(",", "").isdigit() for n in numbers)
    assert len(set(numbers)) == len(numbers)  # no two ticks rounded to the same number


def test_a_long_timeline_shows_a_few_dates() -> None:
    days = tuple(f"2026-01-{n:02d}" for n in range(1, 31))
    chart = Chart(
        "joined_and_left.png",
        "Members joined and left",
        days,
        (("joined", (0, 2) * 15), ("left", (1, 0) * 15)),
        "en",
        timeline=True,
    )
    assert _drawn(chart) == (
        "Members joined and left",
        list(days[::4]),
        ["0", "1", "2"],
        ["joined", "left"],
    )
