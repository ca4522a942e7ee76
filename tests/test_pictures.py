"""Uploaded pictures: only real pictures are kept, re-encoded without their metadata, and
served under /club/media/ by a name that is their content's hash, cached for a year."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from loyalty import pictures
from loyalty.errors import ErrorCode, LoyaltyError
from loyalty.pictures import PictureFolder, prepare
from tests.web_harness import Clock, pages_client


def _encoded(image: Image.Image, kind: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, kind, **options)
    return out.getvalue()


def test_a_photo_is_shrunk_and_re_encoded_without_its_metadata() -> None:
    photo = Image.new("RGB", (4000, 3000), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0112] = 6  # Orientation: turned; stored upright after
    upload = _encoded(photo, "JPEG", exif=exif.tobytes())

    picture = prepare(upload)

    assert picture.extension == "jpg"
    assert (picture.width, picture.height) == (1200, 1600)  # upright, longer side 1,600
    stored = Image.open(io.BytesIO(picture.data))
    assert stored.format == "JPEG"
    assert dict(stored.getexif()) == {}
    assert b"PhoneMaker" not in picture.data


def test_a_logo_keeps_its_transparency_as_png() -> None:
    logo = Image.new("RGBA", (300, 100), (0, 0, 0, 0))
    picture = prepare(_encoded(logo, "PNG"))
    assert (picture.extension, picture.content_type) == ("png", "image/png")
    assert Image.open(io.BytesIO(picture.data)).mode == "RGBA"
    assert picture.name.endswith(".png") and len(picture.name) == 36


@pytest.mark.parametrize(
    "upload",
    [
        b"",
        b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
        b"%PDF-1.4 not a picture",
        b"\x89PNG\r\n\x1a\n" + b"\0" * 100,  # a PNG's signature, nothing after it
    ],
    ids=["empty", "svg", "pdf", "truncated"],
)
def test_what_is_no_picture_is_refused(upload: bytes) -> None:
    with pytest.raises(LoyaltyError) as refused:
        prepare(upload)
    assert refused.value.code is ErrorCode.BAD_PICTURE


def test_a_file_too_large_or_too_many_pixels_is_refused() -> None:
    with pytest.raises(LoyaltyError):
        prepare(b"\xff\xd8\xff" + b"\0" * pictures.MAX_BYTES)
    # A few kilobytes that would unpack to 64 million pixels: refused before decoding.
    bomb = _encoded(Image.new("1", (8000, 8000)), "PNG")
    assert len(bomb) < 100_000
    with pytest.raises(LoyaltyError):
        prepare(bomb)


def test_the_same_picture_is_stored_once_under_its_hash(tmp_path: Path) -> None:
    folder = PictureFolder(tmp_path / "media")
    picture = prepare(_encoded(Image.new("RGB", (10, 10), (1, 2, 3)), "PNG"))
    name = folder.save(picture)
    assert folder.save(picture) == name
    assert [p.name for p in (tmp_path / "media").iterdir()] == [name]
    assert folder.path(name) == tmp_path / "media" / name
    assert folder.path("../media/" + name) is None
    assert folder.path("0" * 32 + ".jpg") is None  # a name never stored


async def test_a_stored_picture_is_served_with_a_year_of_cache(tmp_path: Path, db: str) -> None:
    folder = PictureFolder(tmp_path)
    picture = prepare(_encoded(Image.new("RGB", (10, 10), (1, 2, 3)), "PNG"))
    name = folder.save(picture)
    async with pages_client(Clock(), media_dir=tmp_path) as client:
        served = await client.get(f"/club/media/{name}")
        assert served.status == 200
        assert await served.read() == picture.data
        assert served.headers["Content-Type"] == "image/jpeg"
        assert served.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert served.headers["X-Content-Type-Options"] == "nosniff"
        for wrong in ("0" * 32 + ".jpg", "..%2Fclub.sqlite3", "x.svg"):
            assert (await client.get(f"/club/media/{wrong}")).status == 404
