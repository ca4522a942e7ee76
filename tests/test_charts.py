"""The charts of /report: Persian drawn joined and right to left, an empty club drawn too."""

from __future__ import annotations

from matplotlib import _text_helpers
from matplotlib.font_manager import get_font

from handlers.telegram.staff import charts
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
    assert font.get_glyph_name(glyphs[-1].glyph_index) == "uniFEE3"  # ARABIC LETTER MEEM INITIAL FORM


async def test_an_empty_club_gets_every_chart(db: str) -> None:
    async with harness() as h:
        before = len(h.api.sent_to(OWNER))
        await h.send(OWNER, "/report 1", language="fa")
        sent = h.api.sent_to(OWNER)[before:]
        photos = [h.api.file_bytes(m["photo"][-1]["file_id"]) for m in sent if "photo" in m]
        assert len(sent) == 7 and len(photos) == 6
        assert all(p.startswith(b"\x89PNG") for p in photos)
        assert h.api.rejected == []
