"""Pictures the staff upload (the club's logo and cover, rewards, banners, the gallery).

An upload is never kept as it came: its type is read from its content, not its name; it
is decoded by Pillow within a size and pixel limit (a small file can unpack to gigabytes),
turned upright by its EXIF orientation, shrunk to MAX_SIDE and encoded afresh, which
drops any metadata (a phone's photo carries its GPS position) and anything hidden after
the image. The stored name is the SHA-256 of the stored bytes: the same picture uploaded
twice is one file, and a name never changes meaning, so pages may cache it for ever.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from loyalty.errors import ErrorCode, LoyaltyError

MAX_BYTES = 5 * 1024 * 1024  # of an upload
MAX_PIXELS = 40_000_000  # of the decoded picture: more is refused, not decoded
MAX_SIDE = 1600  # the stored picture's longer side, in pixels
ACCEPTED = frozenset({"JPEG", "PNG", "WEBP", "GIF"})
JPEG_QUALITY = 85
NAME = re.compile(r"[0-9a-f]{32}\.(jpg|png)")


@dataclass(frozen=True)
class Picture:
    data: bytes
    extension: str  # "jpg", or "png" for a picture with transparency (a logo)
    width: int
    height: int

    @property
    def name(self) -> str:
        return f"{hashlib.sha256(self.data).hexdigest()[:32]}.{self.extension}"

    @property
    def content_type(self) -> str:
        return "image/png" if self.extension == "png" else "image/jpeg"


def prepare(upload: bytes) -> Picture:
    """The picture to store from an upload, or BAD_PICTURE (not a picture, too large)."""
    if not upload or len(upload) > MAX_BYTES:
        raise LoyaltyError(ErrorCode.BAD_PICTURE)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(upload))
            if image.format not in ACCEPTED or image.width * image.height > MAX_PIXELS:
                raise LoyaltyError(ErrorCode.BAD_PICTURE)
            image.load()
            image = ImageOps.exif_transpose(image)
    except LoyaltyError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise LoyaltyError(ErrorCode.BAD_PICTURE) from None
    except (OSError, ValueError, SyntaxError):  # truncated or broken inside
        raise LoyaltyError(ErrorCode.BAD_PICTURE) from None
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    transparent = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )
    out = io.BytesIO()
    if transparent:
        image.convert("RGBA").save(out, "PNG", optimize=True)
        extension = "png"
    else:
        image.convert("RGB").save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
        extension = "jpg"
    return Picture(out.getvalue(), extension, image.width, image.height)


@dataclass(frozen=True)
class PictureFolder:
    """Stored pictures: files named by their content under one folder (MEDIA_DIR)."""

    root: Path

    def save(self, picture: Picture) -> str:
        """Store `picture` (once: the same bytes have the same name); its name."""
        name = picture.name
        path = self.root / name
        if not path.exists():
            self.root.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(f".{os.getpid()}.part")
            partial.write_bytes(picture.data)
            os.replace(partial, path)  # a reader never sees half a file
        return name

    def path(self, name: str) -> Path | None:
        """The file of a stored picture's name; None for any other name."""
        if not NAME.fullmatch(name):
            return None
        path = self.root / name
        return path if path.is_file() else None
