"""Hostile and ordinary uploads through inspect_and_reencode and the ImageProcessor."""

from __future__ import annotations

import asyncio
import io
import struct
import subprocess
import sys
import threading
import zlib
from pathlib import Path

import pytest
from PIL import ExifTags, Image, ImageCms

from adapters.images import (
    CorruptImage,
    ImageProcessor,
    ProcessedImage,
    TooManyPixels,
    UnsupportedImage,
    inspect_and_reencode,
)

MAX = 40_000_000
ROOT = Path(__file__).resolve().parents[2]


def encoded(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def huge_bilevel_png(width: int, height: int) -> bytes:
    """A valid 1-bit PNG of any size in a few KB: its rows are zeros, compressed row by row."""
    row = b"\x00" * (1 + (width + 7) // 8)
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", idat)
        + png_chunk(b"IEND", b"")
    )


def photo_with_gps() -> bytes:
    image = Image.new("RGB", (40, 20), "red")
    image.paste((0, 0, 255), (0, 0, 20, 20))  # left half blue: shows where orientation went
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # rotate 90° clockwise to display
    exif[ExifTags.Base.Make] = "SpyCam"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps.update({1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 0.0)})
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/">secret-place</x:xmpmeta>'
    return encoded(image, "JPEG", exif=exif, icc_profile=icc, xmp=xmp)


@pytest.mark.parametrize(
    "data",
    [
        b"<!DOCTYPE html><html><script>alert(document.cookie)</script></html>",  # "evil.png"
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        b"<html><script>alert(1)</script></html>" + encoded(Image.new("RGB", (4, 4)), "PNG"),
        b"%PDF-1.7\n",
        b"BM" + b"\x00" * 64,  # BMP: an image, but not one we accept
        b"",
    ],
)
def test_anything_but_the_four_formats_is_unsupported(data: bytes) -> None:
    with pytest.raises(UnsupportedImage):
        inspect_and_reencode(data, max_pixels=MAX)


def test_a_png_html_polyglot_is_stored_as_pixels_only() -> None:
    png = encoded(Image.new("RGB", (8, 8), "green"), "PNG")
    script = b"<html><script>alert(1)</script></html>"
    text = png_chunk(b"tEXt", b"Comment\x00" + script)
    polyglot = png[:33] + text + png[33:] + script  # in a text chunk and after IEND
    result = inspect_and_reencode(polyglot, max_pixels=MAX)
    assert result.image.content_type == "image/png"
    assert b"<script" not in result.image.data and b"<script" not in result.thumbnail.data


def test_a_truncated_jpeg_is_corrupt() -> None:
    jpeg = encoded(Image.effect_noise((256, 256), 64).convert("RGB"), "JPEG")
    with pytest.raises(CorruptImage):
        inspect_and_reencode(jpeg[: len(jpeg) // 2], max_pixels=MAX)


def test_a_20000_by_20000_png_bomb_is_refused() -> None:
    bomb = huge_bilevel_png(20_000, 20_000)
    assert len(bomb) < 200_000  # tiny file, 400 megapixels
    with pytest.raises(TooManyPixels):
        inspect_and_reencode(bomb, max_pixels=MAX)


def test_the_per_call_limit_applies_below_pillows_own() -> None:
    # 64 MP: under Pillow's global default (~89 MP), over the contract's 40 MP.
    with pytest.raises(TooManyPixels):
        inspect_and_reencode(huge_bilevel_png(8_000, 8_000), max_pixels=MAX)
    small = encoded(Image.new("RGB", (100, 100)), "PNG")
    with pytest.raises(TooManyPixels):
        inspect_and_reencode(small, max_pixels=9_999)
    assert inspect_and_reencode(small, max_pixels=10_000).image.width == 100


def test_pillows_bomb_warning_is_an_error_outside_pytest_too() -> None:
    # pytest turns every warning into an error; a plain interpreter shows the module's filter.
    script = (
        "from tests.adapters.test_images import huge_bilevel_png\n"
        "from adapters.images import inspect_and_reencode, TooManyPixels\n"
        "try:\n"
        "    inspect_and_reencode(huge_bilevel_png(10_000, 10_000), max_pixels=200_000_000)\n"
        "except TooManyPixels:\n"
        "    print('refused')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert out.stdout.strip() == "refused", out.stderr


def test_exif_gps_xmp_and_icc_are_stripped_and_orientation_applied() -> None:
    original = photo_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    result = inspect_and_reencode(original, max_pixels=MAX)
    for stored in (result.image, result.thumbnail):
        reopened = Image.open(io.BytesIO(stored.data))
        assert stored.content_type == "image/jpeg"
        assert len(reopened.getexif()) == 0
        assert reopened.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
        assert not {"exif", "xmp", "icc_profile"} & set(reopened.info)
        assert b"secret-place" not in stored.data and b"SpyCam" not in stored.data
    assert (result.image.width, result.image.height) == (20, 40)  # turned upright
    upright = Image.open(io.BytesIO(result.image.data)).convert("RGB")
    top = upright.getpixel((10, 5))
    assert isinstance(top, tuple) and top[2] > 200 and top[0] < 60  # blue half on top


def test_gif_stays_animated_and_webp_is_accepted() -> None:
    frames = [Image.new("RGB", (60, 30), color) for color in ("red", "blue")]
    gif = encoded(
        frames[0],
        "GIF",
        save_all=True,
        append_images=frames[1:],
        duration=80,
        loop=0,
        comment=b"made by SpyCam",
    )
    result = inspect_and_reencode(gif, max_pixels=MAX)
    assert result.image.content_type == "image/gif"
    reopened = Image.open(io.BytesIO(result.image.data))
    assert getattr(reopened, "n_frames", 1) == 2 and "comment" not in reopened.info
    assert result.thumbnail.content_type == "image/png"
    with pytest.raises(TooManyPixels):  # frames count: 2 × 1800 pixels
        inspect_and_reencode(gif, max_pixels=3_000)

    webp = encoded(Image.new("RGBA", (50, 40), (10, 20, 30, 128)), "WEBP")
    result = inspect_and_reencode(webp, max_pixels=MAX)
    assert result.image.content_type == result.thumbnail.content_type == "image/webp"
    assert (result.image.width, result.image.height) == (50, 40)


@pytest.mark.parametrize(
    ("size", "thumb"), [((1000, 500), (320, 160)), ((300, 2000), (48, 320)), ((100, 50), (100, 50))]
)
def test_the_thumbnail_fits_320_by_320(size: tuple[int, int], thumb: tuple[int, int]) -> None:
    result = inspect_and_reencode(encoded(Image.new("RGB", size, "white"), "PNG"), max_pixels=MAX)
    assert (result.image.width, result.image.height) == size
    assert (result.thumbnail.width, result.thumbnail.height) == thumb
    assert Image.open(io.BytesIO(result.thumbnail.data)).size == thumb


async def test_the_processor_runs_off_the_event_loop_with_bounded_threads() -> None:
    processor = ImageProcessor(max_pixels=MAX, workers=2, max_pending=3)
    threads: set[str] = set()
    original = processor._run

    def spy(data: bytes) -> ProcessedImage:
        threads.add(threading.current_thread().name)
        return original(data)

    processor._run = spy  # type: ignore[method-assign]
    png = encoded(Image.effect_noise((600, 600), 32).convert("RGB"), "PNG")
    try:
        results = await asyncio.gather(*(processor.process(png) for _ in range(8)))
        with pytest.raises(UnsupportedImage):
            await processor.process(b"<svg/>")
    finally:
        processor.close()
    assert all(r.thumbnail.width == 320 for r in results)
    assert threading.current_thread().name not in threads and 1 <= len(threads) <= 2
