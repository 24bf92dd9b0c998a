"""Issue 16: replies, mentions, pins (migration 0006)."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Table

from storage.tables.base import fk_column, metadata
from storage.types import Id, UTCDateTime

# A reply's parent. The parent may be deleted (SET NULL: the reply then shows a deleted parent)
# and so may its author's account (SET NULL: no name); the reply itself goes with its message.
message_replies = Table(
    "message_replies",
    metadata,
    Column("message_id", Id, ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True),
    fk_column("parent_id", "messages.id", ondelete="SET NULL", nullable=True),
    fk_column("parent_user_id", "users.id", ondelete="SET NULL", nullable=True),
    Index(None, "parent_id"),
    Index(None, "parent_user_id"),
)


message_mentions = Table(
    "message_mentions",
    metadata,
    Column("message_id", Id, ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Index(None, "user_id"),
)


message_pins = Table(
    "message_pins",
    metadata,
    Column("message_id", Id, ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True),
    fk_column("group_id", "study_groups.id"),
    fk_column("pinned_by", "users.id", ondelete="SET NULL", nullable=True),
    Column("pinned_at", UTCDateTime(), nullable=False),
    Index(None, "group_id", "pinned_at"),
)
