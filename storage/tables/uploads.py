"""Uploads (issue 16, migration 0005)."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table

from storage.tables.base import created_column, fk_column, id_column, metadata
from storage.types import Id

# An uploaded image and its thumbnail, each a blob under its own random key (the capability in
# its URL). Rows go with their owner (ON DELETE CASCADE: account deletion relies on it).
uploads = Table(
    "uploads",
    metadata,
    id_column(),
    fk_column("user_id", "users.id"),
    Column("blob_key", String(64), nullable=False, unique=True),
    Column("thumbnail_key", String(64), nullable=False, unique=True),
    Column("content_type", String(32), nullable=False),
    Column("thumbnail_content_type", String(32), nullable=False),
    Column("size", Integer, nullable=False),
    Column("thumbnail_size", Integer, nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    created_column(),
    Index(None, "user_id"),
)


# The upload an image message carries (sent with uploadId). A table of its own, not a column of
# `messages`: SQLite cannot add a named foreign key to a table in place, and rebuilding
# `messages` would cascade-delete its reactions.
message_uploads = Table(
    "message_uploads",
    metadata,
    Column("message_id", Id, ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True),
    fk_column("upload_id", "uploads.id"),
    Index(None, "upload_id"),
)
