"""The domain's image port (domain.ports.ImageCleaner) on Pillow's ImageProcessor: the
adapter's refusals become the domain errors the transports answer (415, 422)."""

from __future__ import annotations

from adapters.images import (
    CorruptImage,
    ImageProcessor,
    ProcessedImage,
    TooManyPixels,
    UnsupportedImage,
)
from domain.errors import InvalidInput, UnsupportedMedia


class UploadImages:
    def __init__(self, processor: ImageProcessor) -> None:
        self._processor = processor

    async def process(self, data: bytes) -> ProcessedImage:
        try:
            return await self._processor.process(data)
        except UnsupportedImage:
            raise UnsupportedMedia(
                "Only PNG, JPEG, GIF and WebP images can be uploaded",
                {"file": "not a PNG, JPEG, GIF or WebP image (judged by its bytes)"},
            ) from None
        except TooManyPixels:
            limit = self._processor.max_pixels
            raise InvalidInput(
                f"The image has too many pixels (at most {limit})",
                {"file": f"more than {limit} pixels"},
            ) from None
        except CorruptImage:
            raise InvalidInput(
                "The image is damaged or truncated", {"file": "does not decode as an image"}
            ) from None

    def close(self) -> None:
        self._processor.close()
