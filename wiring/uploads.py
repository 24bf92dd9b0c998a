"""The root's uploads part: the blob store (the local directory), Pillow's image processor on
its own bounded thread pool, and the upload service."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from adapters.blobs import LocalBlobStore
from adapters.images import ImageProcessor
from adapters.upload_images import UploadImages
from domain.uploads import UploadLimits, UploadService
from wiring.keys import SETTINGS, UOW, UPLOADS


async def uploads_context(app: web.Application) -> AsyncIterator[None]:
    config = app[SETTINGS].uploads
    images = UploadImages(ImageProcessor(max_pixels=config.max_pixels, workers=config.workers))
    app[UPLOADS] = UploadService(
        app[UOW],
        images,
        LocalBlobStore(config.path),
        UploadLimits(max_bytes=config.max_bytes, quota_bytes=config.quota_bytes),
    )
    yield
    images.close()
