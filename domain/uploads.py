"""Uploaded images: checked and re-encoded off the event loop, stored as blobs under random
keys, counted against a per-user quota, attached to image messages by their id.

The bytes arrive from the transport already bounded by `max_bytes` (it refuses more while
streaming); the image port decides what the bytes are (never the name or declared type), and
what is kept is only the re-encoded pixels and a thumbnail.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from domain.errors import Conflict, NotFound, PayloadTooLarge
from domain.ports import BlobStore, ImageCleaner, UnitOfWork, UnitOfWorkFactory

URL_PREFIX = "/uploads/"  # the serving route; the key after it is the capability
MAX_KEY_CHARS = 64  # longer than any key a store makes: answered not_found without a query


def upload_url(key: str) -> str:
    """Root-relative: clients resolve it against the server they talk to."""
    return URL_PREFIX + key


@dataclass(frozen=True)
class MessageImage:
    """What an image message shows: the upload's two URLs and the image's size."""

    url: str
    thumbnail_url: str
    width: int
    height: int


@dataclass(frozen=True)
class NewUpload:
    user_id: int
    key: str
    thumbnail_key: str
    content_type: str
    thumbnail_content_type: str
    size: int
    thumbnail_size: int
    width: int
    height: int

    @property
    def stored_bytes(self) -> int:
        return self.size + self.thumbnail_size


@dataclass(frozen=True)
class Upload(NewUpload):
    id: int
    created_at: datetime

    @property
    def url(self) -> str:
        return upload_url(self.key)

    @property
    def thumbnail_url(self) -> str:
        return upload_url(self.thumbnail_key)

    def as_message_image(self) -> MessageImage:
        return MessageImage(self.url, self.thumbnail_url, self.width, self.height)


@dataclass(frozen=True)
class ServedFile:
    path: Path
    content_type: str


@dataclass(frozen=True)
class UploadLimits:
    max_bytes: int
    quota_bytes: int


def _quota_full(used: int, quota: int, adding: int = 0) -> Conflict:
    return Conflict(
        f"Your upload quota is full ({used} of {quota} bytes used)"
        if adding == 0
        else f"This upload ({adding} bytes) does not fit in your quota ({used} of {quota} used)",
        {"usedBytes": used, "quotaBytes": quota, "uploadBytes": adding},
    )


async def attachable_upload(uow: UnitOfWork, user_id: int, upload_id: int) -> Upload:
    """The upload an image message may carry: the sender's own; any other id is not found
    (a foreign id is not told apart from a missing one)."""
    upload = await uow.uploads.get(upload_id)
    if upload is None or upload.user_id != user_id:
        raise NotFound("Upload not found", {"uploadId": "no upload of yours has this id"})
    return upload


class UploadService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        images: ImageCleaner,
        blobs: BlobStore,
        limits: UploadLimits,
    ) -> None:
        self._uow = uow
        self._images = images
        self._blobs = blobs
        self.limits = limits

    async def check_room(self, user_id: int) -> None:
        """Refuse before the body is read when the quota is already used up."""
        async with self._uow() as uow:
            used = await uow.uploads.used_bytes(user_id)
        if used >= self.limits.quota_bytes:
            raise _quota_full(used, self.limits.quota_bytes)

    async def create(self, user_id: int, data: bytes) -> Upload:
        """Check and re-encode the image (the image port's threads), store image and thumbnail,
        then record them if they fit in the quota: the owner's row is locked while the sum
        is read and the row inserted, so uploads fired at once never exceed it. Anything
        refused leaves no file and no row."""
        if len(data) > self.limits.max_bytes:
            raise PayloadTooLarge(f"An upload is at most {self.limits.max_bytes} bytes")
        clean = await self._images.process(data)
        key = await self._blobs.put(clean.image.data)
        try:
            thumbnail_key = await self._blobs.put(clean.thumbnail.data)
        except BaseException:
            await self._discard(key)
            raise
        new = NewUpload(
            user_id=user_id,
            key=key,
            thumbnail_key=thumbnail_key,
            content_type=clean.image.content_type,
            thumbnail_content_type=clean.thumbnail.content_type,
            size=len(clean.image.data),
            thumbnail_size=len(clean.thumbnail.data),
            width=clean.image.width,
            height=clean.image.height,
        )

        async def record(uow: UnitOfWork) -> Upload:
            await uow.uploads.lock_owner(user_id)
            used = await uow.uploads.used_bytes(user_id)
            if used + new.stored_bytes > self.limits.quota_bytes:
                raise _quota_full(used, self.limits.quota_bytes, new.stored_bytes)
            upload = await uow.uploads.add(new)
            await uow.commit()
            return upload

        try:
            return await self._uow.run(record)
        except BaseException:
            await self._discard(key, thumbnail_key)
            raise

    async def _discard(self, *keys: str) -> None:
        for key in keys:
            with contextlib.suppress(OSError):
                await self._blobs.delete(key)

    async def open(self, key: str) -> ServedFile:
        """The file behind a capability URL (image or thumbnail); unknown keys are not found.
        The database is asked first: a key that was never stored never reaches the files."""
        if len(key) > MAX_KEY_CHARS:
            raise NotFound("No such file")
        async with self._uow() as uow:
            content_type = await uow.uploads.content_type_of(key)
        path = None if content_type is None else self._blobs.open_path(key)
        if content_type is None or path is None:
            raise NotFound("No such file")
        return ServedFile(path, content_type)
