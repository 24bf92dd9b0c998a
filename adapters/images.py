"""Uploaded images: recognise, bound, verify, strip and re-encode, thumbnail (Pillow).

`inspect_and_reencode` is synchronous and CPU-bound; async callers use `ImageProcessor`, which
runs it on a small thread pool behind a semaphore so uploads cannot queue unbounded work.
Only the re-encoded pixels are kept: whatever else the file carried (EXIF with GPS, XMP, ICC
profiles, text chunks, comments, bytes appended after the image) is gone from what is stored.
"""

from __future__ import annotations

import asyncio
import io
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from PIL import Image, ImageOps, ImageSequence

THUMBNAIL_BOX = (320, 320)
CONTENT_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}
# info keys that describe pixels or animation, not the author, camera or place: kept.
_PIXEL_INFO = ("transparency", "duration", "loop", "background")

# Pillow only warns between 1x and 2x its own MAX_IMAGE_PIXELS; a warning lets a bomb through.
# A filter for this one category is set once at import: per-call warning filters
# (catch_warnings) are process-global and not thread-safe, and this runs on worker threads.
warnings.filterwarnings("error", category=Image.DecompressionBombWarning)


class ImageRejected(ValueError):
    code = "invalid_image"


class UnsupportedImage(ImageRejected):
    """Not a PNG, JPEG, GIF or WebP by its bytes (→ 415)."""

    code = "unsupported_media_type"


class TooManyPixels(ImageRejected):
    """More pixels than allowed: a decompression bomb or just too big (→ 422)."""

    code = "too_many_pixels"


class CorruptImage(ImageRejected):
    """Looks like an image but does not decode (truncated, malformed) (→ 422)."""

    code = "corrupt_image"


@dataclass(frozen=True)
class EncodedImage:
    data: bytes
    content_type: str
    width: int
    height: int


@dataclass(frozen=True)
class ProcessedImage:
    image: EncodedImage
    thumbnail: EncodedImage


def sniff_format(data: bytes) -> str | None:
    """The format from the leading bytes, never from a name or a declared type."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "GIF"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def inspect_and_reencode(data: bytes, *, max_pixels: int) -> ProcessedImage:
    """Raise UnsupportedImage, TooManyPixels or CorruptImage, else the clean image + thumbnail.

    `max_pixels` bounds width × height × frames for this call (Pillow's global
    MAX_IMAGE_PIXELS is left alone: changing it per call would race between threads; it still
    applies as an outer bound).
    """
    fmt = sniff_format(data)
    if fmt is None:
        raise UnsupportedImage("not a PNG, JPEG, GIF or WebP image")
    try:
        with Image.open(io.BytesIO(data), formats=[fmt]) as probe:
            _check_pixels(probe.size, 1, max_pixels)
            probe.verify()
        with Image.open(io.BytesIO(data), formats=[fmt]) as image:
            frames = _decoded_frames(image, max_pixels)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise TooManyPixels("the image has too many pixels") from None
    except ImageRejected:
        raise
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError) as error:
        raise CorruptImage(f"the image does not decode: {error}") from None
    return ProcessedImage(_encode(frames, fmt), _thumbnail(frames[0], fmt))


def _check_pixels(size: tuple[int, int], frames: int, max_pixels: int) -> None:
    width, height = size
    if width < 1 or height < 1:
        raise CorruptImage("the image has no pixels")
    if width * height * frames > max_pixels:
        raise TooManyPixels(f"{width}×{height}×{frames} pixels is more than {max_pixels}")


def _decoded_frames(image: Image.Image, max_pixels: int) -> list[Image.Image]:
    """Every frame decoded (orientation applied to a still image), metadata left behind."""
    if not getattr(image, "is_animated", False):
        image.load()
        upright = ImageOps.exif_transpose(image)
        return [_without_metadata(upright)]
    frames = []
    for count, frame in enumerate(ImageSequence.Iterator(image), start=1):
        _check_pixels(image.size, count, max_pixels)
        frames.append(_without_metadata(frame.copy()))
    return frames


def _without_metadata(image: Image.Image) -> Image.Image:
    clean = image.copy()
    clean.info = {key: image.info[key] for key in _PIXEL_INFO if key in image.info}
    return clean


def _encode(frames: list[Image.Image], fmt: str) -> EncodedImage:
    first = _savable(frames[0], fmt)
    options: dict[str, object] = {}
    if len(frames) > 1:
        options = {
            "save_all": True,
            "append_images": [_savable(frame, fmt) for frame in frames[1:]],
            "duration": [frame.info.get("duration", 100) for frame in frames],
            "loop": frames[0].info.get("loop", 0),
        }
    return _save(first, fmt, options)


def _thumbnail(image: Image.Image, fmt: str) -> EncodedImage:
    thumb = image.convert("RGBA") if image.mode in ("P", "PA", "1", "LA") else image.copy()
    thumb.thumbnail(THUMBNAIL_BOX)
    thumb_format = "PNG" if fmt == "GIF" else fmt
    return _save(_savable(thumb, thumb_format), thumb_format, {})


def _savable(image: Image.Image, fmt: str) -> Image.Image:
    if fmt == "JPEG" and image.mode not in ("L", "RGB", "CMYK"):
        return image.convert("RGB")
    if fmt == "WEBP" and image.mode not in ("RGB", "RGBA"):
        has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
        return image.convert("RGBA" if has_alpha else "RGB")
    if fmt == "PNG" and image.mode == "CMYK":
        return image.convert("RGB")
    return image


def _save(image: Image.Image, fmt: str, options: dict[str, object]) -> EncodedImage:
    quality = {"JPEG": {"quality": 85}, "WEBP": {"quality": 85}}.get(fmt, {})
    out = io.BytesIO()
    image.save(out, format=fmt, **quality, **options)
    return EncodedImage(out.getvalue(), CONTENT_TYPES[fmt], image.width, image.height)


class ImageProcessor:
    """Runs `inspect_and_reencode` off the event loop: `workers` threads, at most `max_pending`
    images queued or running (later callers wait their turn instead of piling up work)."""

    def __init__(self, *, max_pixels: int, workers: int = 2, max_pending: int | None = None):
        self.max_pixels = max_pixels
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="images")
        self._slots = asyncio.Semaphore(max_pending or 2 * workers)

    async def process(self, data: bytes) -> ProcessedImage:
        async with self._slots:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._executor, self._run, data)

    def _run(self, data: bytes) -> ProcessedImage:
        return inspect_and_reencode(data, max_pixels=self.max_pixels)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
