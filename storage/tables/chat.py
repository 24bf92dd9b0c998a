"""Messages, reactions and notifications; the full-text index names (0007)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from storage.tables.base import created_column, fk_column, id_column, metadata
from storage.types import Emoji, UTCDateTime

messages = Table(
    "messages",
    metadata,
    id_column(),  # auto-increment: ids sort in creation order, which makes them the history cursor
    fk_column("group_id", "study_groups.id"),
    # 0004: NULL once the author deleted their account ("Deleted user"); see domain/accounts.py.
    fk_column("user_id", "users.id", ondelete="SET NULL", nullable=True),
    Column("content", Text, nullable=False),
    Column("message_type", String(16), nullable=False, default="text"),
    Column("image_url", String(2048), nullable=True),
    Column("client_id", String(64), nullable=True),
    created_column(),
    Column("edited_at", UTCDateTime(), nullable=True),
    # Retried sends with the same clientId hit this constraint (NULL client ids never collide).
    UniqueConstraint("group_id", "user_id", "client_id"),
    Index(None, "group_id", "id"),
    CheckConstraint(
        "message_type IN ('text', 'image', 'announcement')", name="message_type_values"
    ),
)


message_reactions = Table(
    "message_reactions",
    metadata,
    id_column(),
    fk_column("message_id", "messages.id"),
    fk_column("user_id", "users.id"),
    Column("emoji", Emoji(), nullable=False),
    created_column(),
    UniqueConstraint("message_id", "user_id", "emoji"),
)


notifications = Table(
    "notifications",
    metadata,
    id_column(),
    fk_column("user_id", "users.id"),
    Column("type", String(32), nullable=False),
    Column("title", String(200), nullable=False),
    Column("message", String(500), nullable=False),
    Column("data", JSON, nullable=False),
    Column("read", Boolean, nullable=False, default=False),
    created_column(),
    Index(None, "user_id", "id"),
)


# The message full-text index is engine-specific DDL made by migration 0007 and not described by
# this metadata: SQLite's FTS5 table (and its shadow tables) and MariaDB's FULLTEXT index.
# tests/storage/test_schema.py leaves these names out of the comparison.
SEARCH_INDEX_TABLE = "messages_fts"


SEARCH_INDEX_NAME = "ix_messages_content_fulltext"


def is_search_index(name: str | None) -> bool:
    return bool(name) and (name == SEARCH_INDEX_NAME or str(name).startswith(SEARCH_INDEX_TABLE))
