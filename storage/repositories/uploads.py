"""Uploaded images: rows per user, the quota's sum, and the content type behind a key."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from sqlalchemy import func, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.uploads import MessageImage, NewUpload, Upload
from storage.tables import message_uploads, uploads, users
from storage.types import new_id, utcnow

_COLUMN_NAMES = {"key": "blob_key"}  # record field -> column, where the names differ


def _upload(row: Any) -> Upload:
    return Upload(
        id=row.id,
        user_id=row.user_id,
        key=row.blob_key,
        thumbnail_key=row.thumbnail_key,
        content_type=row.content_type,
        thumbnail_content_type=row.thumbnail_content_type,
        size=row.size,
        thumbnail_size=row.thumbnail_size,
        width=row.width,
        height=row.height,
        created_at=row.created_at,
    )


async def images_by_message(
    db: AsyncConnection, message_ids: Sequence[int]
) -> dict[int, MessageImage]:
    """The image of each of these messages that carries an upload (one query)."""
    if not message_ids:
        return {}
    query = (
        select(message_uploads.c.message_id, uploads)
        .join(uploads, uploads.c.id == message_uploads.c.upload_id)
        .where(message_uploads.c.message_id.in_(message_ids))
    )
    return {row.message_id: _upload(row).as_message_image() for row in await db.execute(query)}


class SqlUploadRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._db = connection

    async def lock_owner(self, user_id: int) -> None:
        """Hold the owner's row until commit: one quota check at a time per user, across
        workers. SQLite needs no lock (BEGIN IMMEDIATE: one writer at a time)."""
        if self._db.dialect.name == "sqlite":
            return
        await self._db.execute(select(users.c.id).where(users.c.id == user_id).with_for_update())

    async def used_bytes(self, user_id: int) -> int:
        total = func.coalesce(func.sum(uploads.c.size + uploads.c.thumbnail_size), 0)
        query = select(total).where(uploads.c.user_id == user_id)
        if self._db.dialect.name != "sqlite":
            # A locking read sees the newest committed rows, not this transaction's snapshot.
            query = query.with_for_update()
        return int((await self._db.execute(query)).scalar_one())

    async def add(self, new: NewUpload) -> Upload:
        values = {_COLUMN_NAMES.get(name, name): value for name, value in asdict(new).items()}
        created_at = utcnow()
        result = await self._db.execute(insert(uploads).values(**values, created_at=created_at))
        return Upload(**asdict(new), id=new_id(result), created_at=created_at)

    async def attach(self, message_id: int, upload_id: int) -> None:
        await self._db.execute(
            insert(message_uploads).values(message_id=message_id, upload_id=upload_id)
        )

    async def get(self, upload_id: int) -> Upload | None:
        row = (await self._db.execute(select(uploads).where(uploads.c.id == upload_id))).first()
        return None if row is None else _upload(row)

    async def content_type_of(self, key: str) -> str | None:
        """The type of the image or thumbnail stored under this key."""
        query = select(uploads.c.blob_key, uploads.c.content_type,
                       uploads.c.thumbnail_content_type).where(
            or_(uploads.c.blob_key == key, uploads.c.thumbnail_key == key)
        )
        row = (await self._db.execute(query)).first()
        if row is None:
            return None
        return str(row.content_type if row.blob_key == key else row.thumbnail_content_type)
