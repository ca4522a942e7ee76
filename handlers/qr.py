"""QR codes of card numbers and gift card codes, as every door shows them."""

from __future__ import annotations

import io


def qr_png(text: str) -> bytes:
    """A PNG to send as a photo (Telegram)."""
    import segno  # loaded when the first code is shown, not at start-up

    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="png", scale=8, border=2)
    return buffer.getvalue()


def qr_svg(text: str) -> str:
    """An inline <svg> element for a page: sharp at any size, no request of its own."""
    import segno

    return segno.make(text, error="m").svg_inline(scale=1, border=2, omitsize=True)
