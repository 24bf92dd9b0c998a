"""The root's uploads part: the blob store (the local directory), Pillow's image processor on
its own bounded thread pool, the upload service, and the hourly sweep of files whose upload
rows went with a deleted account."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from adapters.blobs import LocalBlobStore
from adapters.images import ImageProcessor
from adapters.upload_images import UploadImages
from domain.errors import DomainError
from domain.uploads import UploadLimits, UploadService
from wiring.keys import SETTINGS, UOW, UPLOADS

log = logging.getLogger("studysync.uploads")
SWEEP_EVERY_SECONDS = 3600


async def uploads_context(app: web.Application) -> AsyncIterator[None]:
    config = app[SETTINGS].uploads
    images = UploadImages(ImageProcessor(max_pixels=config.max_pixels, workers=config.workers))
    service = UploadService(
        app[UOW],
        images,
        LocalBlobStore(config.path),
        UploadLimits(max_bytes=config.max_bytes, quota_bytes=config.quota_bytes),
    )
    app[UPLOADS] = service
    sweeping = asyncio.create_task(_sweep_orphans(service))
    yield
    sweeping.cancel()
    await asyncio.gather(sweeping, return_exceptions=True)
    images.close()


async def _sweep_orphans(service: UploadService) -> None:
    while True:
        await asyncio.sleep(SWEEP_EVERY_SECONDS)  # not at start-up: workers start together
        try:
            removed = await service.sweep()
        except (DomainError, OSError) as error:  # database or disk trouble: next time
            log.warning("sweeping orphaned upload files failed: %s", error)
            continue
        if removed:
            log.info("removed %d upload files of deleted accounts", removed)
